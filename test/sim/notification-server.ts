// The notification-server stand-in as tests drive it: start it on a session bus, read back every call
// the app made, and press a button or close a notification the way a person would.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import dbus from 'dbus-next';
import { spawnManaged, type ManagedProcess } from '../world/processes.ts';
import type { World, WorldPart } from '../world/world.ts';

const SERVER_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'notification_server.py');
// Debian's python3 with PyGObject; the python3 first on PATH may be another one without `gi`.
const PYTHON = '/usr/bin/python3';
const NAME = 'org.freedesktop.Notifications';
const PATH = '/org/freedesktop/Notifications';
const CONTROL = 'org.vespera.test.NotificationServer';

/** What real servers advertise (GNOME Shell: actions, body, body-markup, persistence, …). */
export const DEFAULT_CAPABILITIES = ['actions', 'body', 'body-markup', 'persistence'] as const;

export interface ShownNotification {
  readonly id: number;
  readonly appName: string;
  readonly replacesId: number;
  /** True when replacesId named a notification still showing, which was updated in place. */
  readonly replaced: boolean;
  readonly appIcon: string;
  readonly summary: string;
  readonly body: string;
  /** The buttons shown: empty when the server lacks the `actions` capability. */
  readonly actions: ReadonlyArray<{ key: string; label: string }>;
  readonly hints: Readonly<Record<string, { type: string; value: unknown }>>;
  readonly expireTimeout: number;
  /** Unique bus name of the client that sent it. */
  readonly sender: string;
}

export type RecordedCall =
  | { method: 'Notify'; sender: string; notification: ShownNotification }
  | { method: 'CloseNotification'; sender: string; id: number }
  | { method: 'GetCapabilities' | 'GetServerInformation'; sender: string };

export interface NotificationServerOptions {
  readonly capabilities?: readonly string[];
  readonly log?: (line: string) => void;
}

export class NotificationServer {
  readonly process: ManagedProcess;
  /** The server's unique name on the bus (`:1.7`): the sender of its signals. */
  readonly uniqueName: string;
  readonly #bus: dbus.MessageBus;

  private constructor(process: ManagedProcess, uniqueName: string, bus: dbus.MessageBus) {
    this.process = process;
    this.uniqueName = uniqueName;
    this.#bus = bus;
  }

  static async start(busAddress: string, options: NotificationServerOptions = {}): Promise<NotificationServer> {
    const capabilities = (options.capabilities ?? DEFAULT_CAPABILITIES).join(',');
    const { process, readyLine } = await spawnManaged(
      'notification server',
      PYTHON,
      [SERVER_SCRIPT, '--address', busAddress, '--capabilities', capabilities],
      {
        readyLine: (line) => line.startsWith('ready '),
        ...(options.log ? { onLine: (line: string) => options.log?.(`notification server: ${line}`) } : {}),
      },
    );
    const bus = dbus.sessionBus({ busAddress });
    bus.on('error', (error) => options.log?.(`notification server control connection: ${String(error)}`));
    return new NotificationServer(process, (readyLine ?? '').slice('ready '.length), bus);
  }

  async #control(member: string, signature = '', body: unknown[] = []): Promise<dbus.Message | null> {
    return this.#bus.call(new dbus.Message({ destination: NAME, path: PATH, interface: CONTROL, member, signature, body }));
  }

  async record(): Promise<{ calls: RecordedCall[]; showing: ShownNotification[] }> {
    const reply = await this.#control('Record');
    return JSON.parse(reply?.body[0] as string) as { calls: RecordedCall[]; showing: ShownNotification[] };
  }

  /** Every Notify call received, in order, as the server took it (with the id it answered). */
  async sent(): Promise<ShownNotification[]> {
    const { calls } = await this.record();
    return calls.flatMap((call) => (call.method === 'Notify' ? [call.notification] : []));
  }

  /** The notifications on screen now. */
  async showing(): Promise<ShownNotification[]> {
    return (await this.record()).showing;
  }

  /** Waits until at least `count` notifications were sent; returns them all. */
  async waitForSent(count: number, timeoutMs = 5000): Promise<ShownNotification[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const sent = await this.sent();
      if (sent.length >= count) return sent;
      if (Date.now() > deadline) throw new Error(`the notification server received ${sent.length} notifications, expected ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** A person clicks button `actionKey` (`default` is a click on the notification's body). */
  async press(id: number, actionKey: string, activationToken = ''): Promise<void> {
    await this.#control('Press', 'uss', [id, actionKey, activationToken]);
  }

  /** A person closes the notification. */
  async dismiss(id: number): Promise<void> {
    await this.#control('Dismiss', 'u', [id]);
  }

  /** The notification times out. */
  async expire(id: number): Promise<void> {
    await this.#control('Expire', 'u', [id]);
  }

  async stop(): Promise<void> {
    this.#bus.disconnect();
    await this.process.stop();
  }
}

const servers = new WeakMap<World, NotificationServer>();

/** Every world has a notification server on its session bus unless started `without: ['notifications']`. */
export const notificationServerPart: WorldPart = {
  name: 'notifications',
  async start(world) {
    const server = await NotificationServer.start(world.sessionBus.address, { log: world.log });
    servers.set(world, server);
    world.onStop(() => server.stop());
  },
};

/** The world's notification server; fails clearly for a world started without one. */
export function notificationsIn(world: World): NotificationServer {
  const server = servers.get(world);
  if (!server) throw new Error('this world was started without a notification server');
  return server;
}
