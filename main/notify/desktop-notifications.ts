// The app's own connection to the desktop's notification server (org.freedesktop.Notifications on the
// session bus): whether one is there and what it can show, Notify/CloseNotification, and typed events.
//
// Electron's Notification cannot carry buttons on Linux, so this speaks the Desktop Notifications
// Specification 1.2 directly. Everything the server sends is checked: replies by signature and range,
// signals by sender (only the current owner of the name), by id (only notifications sent from here)
// and by action key (only keys this client offered).
//
// The content and event types are notification-model.ts's, the spec's names and reply checks
// notification-wire.ts's, the errors and their messages notify-errors.ts's; all are re-exported here.

import dbus from 'dbus-next';
import { withTimeout } from '../shared/bounded.ts';
import { withoutControls } from '../shared/display-text.ts';
import { describeError } from '../shared/errors.ts';
import { Listeners } from './listeners.ts';
import type { ActionEvent, Availability, ClosedEvent, NotificationContent, ServerInfo } from './notification-model.ts';
import { BUS_NAME, BUS_PATH, CLOSE_REASONS, expectReply, isNotificationId, NAME, parseCapabilities, PATH, shortString, URGENCY } from './notification-wire.ts';
import { asNotifyError, badReply, noServer, noSessionBus, NotifyError } from './notify-errors.ts';

export type {
  ActionEvent,
  Availability,
  ClosedEvent,
  CloseReason,
  NotificationButton,
  NotificationContent,
  ServerInfo,
  Urgency,
} from './notification-model.ts';
export { NotifyError, type NotifyErrorCode } from './notify-errors.ts';

export interface DesktopNotificationsOptions {
  /** Session bus address; defaults to DBUS_SESSION_BUS_ADDRESS from `env`. */
  readonly busAddress?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Shown by servers as the sender. */
  readonly appName?: string;
  /** Basename of the app's .desktop file, so the desktop can group and theme the notices. */
  readonly desktopEntry?: string;
  /** Deadline for each call to the bus or the server. */
  readonly callTimeoutMs?: number;
}

const MAX_TOKEN = 4096;
// Servers that never report closing (persistence without NotificationClosed) must not grow this forever.
const MAX_TRACKED = 256;

interface Sent {
  readonly actionKeys: ReadonlySet<string>;
  activationToken?: string;
}

type Internal =
  | { status: 'available'; server: ServerInfo; capabilities: ReadonlySet<string>; owner: string }
  | { status: 'unavailable'; error: NotifyError };

export class DesktopNotifications {
  readonly #bus: dbus.MessageBus | undefined;
  readonly #appName: string;
  readonly #desktopEntry: string;
  readonly #timeoutMs: number;
  #state: Internal;
  #probing: Promise<void> | undefined;
  #probeAgain = false;
  #closed = false;
  /** Notifications sent to the current server, by id. */
  readonly #sent = new Map<number, Sent>();
  readonly #actions = new Listeners<ActionEvent>();
  readonly #closes = new Listeners<ClosedEvent>();
  readonly #availability = new Listeners<Availability>();

  private constructor(bus: dbus.MessageBus | undefined, state: Internal, options: DesktopNotificationsOptions) {
    this.#bus = bus;
    this.#state = state;
    this.#appName = options.appName ?? 'Vespera Updates';
    this.#desktopEntry = options.desktopEntry ?? 'vespera-updates';
    this.#timeoutMs = options.callTimeoutMs ?? 5000;
  }

  /**
   * Connects to the session bus and looks for a notification server. Never rejects: without a bus
   * or a server the result is `unavailable` with the reason, and it turns `available` by itself when
   * a server takes the name later.
   */
  static async connect(options: DesktopNotificationsOptions = {}): Promise<DesktopNotifications> {
    const env = options.env ?? process.env;
    const address = options.busAddress ?? env.DBUS_SESSION_BUS_ADDRESS;
    const timeoutMs = options.callTimeoutMs ?? 5000;
    if (!address) {
      return new DesktopNotifications(undefined, { status: 'unavailable', error: noSessionBus('DBUS_SESSION_BUS_ADDRESS is not set') }, options);
    }
    let bus: dbus.MessageBus;
    try {
      bus = dbus.sessionBus({ busAddress: address });
    } catch (error) {
      return new DesktopNotifications(undefined, { status: 'unavailable', error: noSessionBus(describeError(error)) }, options);
    }
    const client = new DesktopNotifications(bus, { status: 'unavailable', error: noServer() }, options);
    try {
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          bus.once('connect', () => resolve());
          bus.once('error', reject);
        }),
        timeoutMs,
        'The session bus',
      );
    } catch (error) {
      bus.disconnect();
      client.#closed = true;
      client.#state = { status: 'unavailable', error: noSessionBus(describeError(error)) };
      return client;
    }
    bus.on('error', (error) => client.#lostBus(error));
    bus.on('message', (message) => {
      // Handled after the current batch of messages: a Notify reply and a signal about the new id
      // can arrive in one read, and the id must be recorded (in the reply's continuation) first.
      if (message.type === dbus.MessageType.SIGNAL) setImmediate(() => client.#onSignal(message));
    });
    try {
      await client.#busCall('AddMatch', 's', [`type='signal',sender='${BUS_NAME}',path='${BUS_PATH}',interface='${BUS_NAME}',member='NameOwnerChanged',arg0='${NAME}'`]);
      await client.#busCall('AddMatch', 's', [`type='signal',sender='${NAME}',path='${PATH}',interface='${NAME}'`]);
    } catch (error) {
      bus.disconnect();
      client.#closed = true;
      client.#state = { status: 'unavailable', error: asNotifyError(error, 'The session bus') };
      return client;
    }
    await client.#probe();
    return client;
  }

  get availability(): Availability {
    const state = this.#state;
    return state.status === 'available'
      ? { status: 'available', server: state.server, capabilities: state.capabilities }
      : state;
  }

  /** Capabilities of the current server; empty while none is there. */
  get capabilities(): ReadonlySet<string> {
    return this.#state.status === 'available' ? this.#state.capabilities : new Set();
  }

  /**
   * The availability, looking for a server again first when there was none: a server may be D-Bus
   * activatable (started by the first call), or may have come back without us noticing yet.
   */
  async ready(): Promise<Availability> {
    if (this.#state.status === 'unavailable' && !this.#closed) await this.#probe();
    return this.availability;
  }

  onAvailability(callback: (availability: Availability) => void): () => void {
    return this.#availability.add(callback);
  }

  onAction(callback: (event: ActionEvent) => void): () => void {
    return this.#actions.add(callback);
  }

  onClosed(callback: (event: ClosedEvent) => void): () => void {
    return this.#closes.add(callback);
  }

  /**
   * Shows a notification, or updates `replaces` in place when it is one of ours still on screen.
   * Buttons are sent only to a server that advertises `actions`. Resolves with the server's id.
   */
  async show(content: NotificationContent, options: { replaces?: number } = {}): Promise<number> {
    await this.ready();
    const state = this.#state;
    if (state.status === 'unavailable') throw state.error;
    const buttons = state.capabilities.has('actions') ? content.buttons : [];
    const hints: Record<string, dbus.Variant> = {
      urgency: new dbus.Variant('y', URGENCY[content.urgency]),
      'desktop-entry': new dbus.Variant('s', this.#desktopEntry),
    };
    if (content.category) hints.category = new dbus.Variant('s', content.category);
    const replaces = options.replaces !== undefined && this.#sent.has(options.replaces) ? options.replaces : 0;
    const reply = await this.#serverCall('Notify', 'susssasa{sv}i', [
      this.#appName,
      replaces,
      content.icon ?? '',
      // The last line of defence: nothing that reaches the desktop carries control characters.
      withoutControls(content.summary),
      withoutControls(content.body),
      buttons.flatMap((b) => [b.key, withoutControls(b.label)]),
      hints,
      content.expireTimeoutMs ?? -1,
    ]);
    const id = expectReply(reply, 'u', 'Notify')[0];
    if (!isNotificationId(id)) throw badReply('Notify', `an id of ${String(id)}`);
    if (replaces !== 0 && id !== replaces) this.#sent.delete(replaces);
    this.#sent.delete(id);
    this.#sent.set(id, { actionKeys: new Set(buttons.map((b) => b.key)) });
    if (this.#sent.size > MAX_TRACKED) this.#sent.delete(this.#sent.keys().next().value as number);
    return id;
  }

  /** Takes a notification sent from here off the screen; one already gone is not an error. */
  async close(id: number): Promise<void> {
    if (!this.#sent.has(id) || this.#state.status !== 'available') return;
    try {
      await this.#serverCall('CloseNotification', 'u', [id]);
    } catch (error) {
      // The spec has servers answer an error for an id that is no longer showing: that is success here.
      if (!(error instanceof NotifyError && error.code === 'server-refused')) throw error;
      this.#sent.delete(id);
    }
  }

  /** Ends the connection; the client is unavailable afterwards. */
  disconnect(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#bus?.disconnect();
    this.#setState({ status: 'unavailable', error: new NotifyError('closed', 'The notification connection was closed by Vespera Updates; restart the app to show notifications again.') });
    this.#actions.clear();
    this.#closes.clear();
    this.#availability.clear();
  }

  // ---- the server's presence ----

  /** Asks the name's current owner what it is; coalesces overlapping requests. */
  #probe(): Promise<void> {
    if (this.#probing) {
      this.#probeAgain = true;
      return this.#probing;
    }
    this.#probing = (async () => {
      do {
        this.#probeAgain = false;
        this.#setState(await this.#inspectServer());
      } while (this.#probeAgain && !this.#closed);
    })().finally(() => {
      this.#probing = undefined;
    });
    return this.#probing;
  }

  async #inspectServer(): Promise<Internal> {
    if (this.#closed) return this.#state;
    try {
      // GetCapabilities first: calling the name starts an activatable server, and the reply's sender
      // is the unique name whose signals count from now on.
      const capsReply = await this.#serverCall('GetCapabilities');
      const owner = capsReply?.sender;
      if (typeof owner !== 'string' || !owner.startsWith(':')) throw badReply('GetCapabilities', 'no sender');
      const capabilities = parseCapabilities(expectReply(capsReply, 'as', 'GetCapabilities')[0]);
      const info = expectReply(await this.#serverCall('GetServerInformation'), 'ssss', 'GetServerInformation');
      const [name, vendor, version, specVersion] = info.map((v) => shortString(v, 'GetServerInformation'));
      return { status: 'available', owner, capabilities, server: { name: name ?? '', vendor: vendor ?? '', version: version ?? '', specVersion: specVersion ?? '' } };
    } catch (error) {
      return { status: 'unavailable', error: asNotifyError(error, 'The notification server') };
    }
  }

  #setState(next: Internal): void {
    const previous = this.#state;
    this.#state = next;
    const sameServer = previous.status === 'available' && next.status === 'available' && previous.owner === next.owner;
    // Ids belong to one server run: a new server starts over and knows nothing of ours.
    if (!sameServer) this.#sent.clear();
    const changed =
      previous.status !== next.status ||
      (next.status === 'available' && !sameServer) ||
      (previous.status === 'unavailable' && next.status === 'unavailable' && previous.error.code !== next.error.code);
    if (changed) this.#availability.emit(this.availability);
  }

  #lostBus(error: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#bus?.disconnect();
    this.#setState({ status: 'unavailable', error: noSessionBus(`the connection failed: ${describeError(error)}`) });
  }

  // ---- signals ----

  #onSignal(message: dbus.Message): void {
    if (this.#closed) return;
    if (message.sender === BUS_NAME && message.path === BUS_PATH && message.interface === BUS_NAME && message.member === 'NameOwnerChanged') {
      if (message.signature !== 'sss') return;
      const [name, , newOwner] = message.body as unknown[];
      if (name !== NAME) return;
      if (newOwner === '') this.#setState({ status: 'unavailable', error: noServer() });
      else void this.#probe();
      return;
    }
    const state = this.#state;
    // Anyone on the session bus can emit a signal with this interface; only the server's count.
    if (message.path !== PATH || message.interface !== NAME || state.status !== 'available' || message.sender !== state.owner) return;
    const body = message.body as unknown[];
    const id = body[0];
    if (!isNotificationId(id)) return;
    const sent = this.#sent.get(id);
    if (!sent) return;
    if (message.member === 'ActionInvoked' && message.signature === 'us') {
      const key = body[1];
      if (typeof key !== 'string' || !sent.actionKeys.has(key)) return;
      const token = sent.activationToken;
      delete sent.activationToken;
      this.#actions.emit(token === undefined ? { id, actionKey: key } : { id, actionKey: key, activationToken: token });
    } else if (message.member === 'ActivationToken' && message.signature === 'us') {
      const token = body[1];
      // Tokens are opaque printable strings (X11 startup ids, xdg-activation tokens).
      if (typeof token === 'string' && token.length > 0 && token.length <= MAX_TOKEN && /^[\x21-\x7e]+$/.test(token)) {
        sent.activationToken = token;
      }
    } else if (message.member === 'NotificationClosed' && message.signature === 'uu') {
      const reason = body[1];
      this.#sent.delete(id);
      this.#closes.emit({ id, reason: (typeof reason === 'number' ? CLOSE_REASONS[reason] : undefined) ?? 'undefined' });
    }
  }

  // ---- calls ----

  async #serverCall(member: string, signature = '', body: unknown[] = []): Promise<dbus.Message | null> {
    return this.#call(new dbus.Message({ destination: NAME, path: PATH, interface: NAME, member, signature, body }), 'The notification server');
  }

  async #busCall(member: string, signature: string, body: unknown[]): Promise<dbus.Message | null> {
    return this.#call(new dbus.Message({ destination: BUS_NAME, path: BUS_PATH, interface: BUS_NAME, member, signature, body }), 'The session bus');
  }

  async #call(message: dbus.Message, what: string): Promise<dbus.Message | null> {
    if (!this.#bus || this.#closed) throw this.#state.status === 'unavailable' ? this.#state.error : noServer();
    try {
      return await withTimeout(this.#bus.call(message), this.#timeoutMs, what);
    } catch (error) {
      throw asNotifyError(error, what);
    }
  }
}
