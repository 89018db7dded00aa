// The system-bus connection to rpm-ostreed: registration (renewed when the daemon's name changes
// owner), bounded calls, the object cache kept current from signals, and who is told of changes.

import dbus from 'dbus-next';
import { withTimeout } from '../shared/bounded.ts';
import { describeError } from '../shared/errors.ts';
import { BASE_PATH, DaemonObjects, OM_IFACE, OS_IFACE, SYSROOT_IFACE, SYSROOT_PATH } from './daemon-objects.ts';
import { HostError, hostErrorOf, isDBusError } from './errors.ts';
import type { HostState } from './model.ts';

export const RPMOSTREE_NAME = 'org.projectatomic.rpmostree1';
const BUS_NAME = 'org.freedesktop.DBus';
const SIGNAL = 4;
const MAX_QUEUED_SIGNALS = 10_000;

export interface ConnectOptions {
  /** A bus address; default: the system bus (DBUS_SYSTEM_BUS_ADDRESS, else the standard socket). */
  readonly busAddress?: string;
  /** Shown by `rpm-ostree status` as the client; default `vespera-updates`. */
  readonly clientId?: string;
  /** Limit for calls that answer at once (reads, registration); default 25 s, like GDBus. */
  readonly callTimeoutMs?: number;
  /** Limit for calls that may wait on a polkit password prompt; default 10 minutes. */
  readonly authTimeoutMs?: number;
  /** Start rpm-ostreed again (it is bus-activated) when it leaves the bus; default true. */
  readonly reactivate?: boolean;
}

/** Counters for benchmarks and diagnostics: messages this client sent and received on the system bus. */
export interface BusStats {
  readonly sent: number;
  readonly received: number;
}

const INITIAL_STATE: HostState = { daemon: 'gone', deployments: [], automaticUpdatePolicy: 'unknown' };

export class DaemonConnection {
  /** Shown by `rpm-ostree status` as the client and in each transaction's command line. */
  readonly clientId: string;
  /** Limit for calls that may wait on a polkit password prompt. */
  readonly authTimeoutMs: number;
  readonly #bus: dbus.MessageBus;
  readonly #callTimeoutMs: number;
  readonly #reactivate: boolean;
  readonly #objects = new DaemonObjects();
  readonly #listeners = new Set<(state: HostState) => void>();
  readonly #goneListeners = new Set<() => void>();
  #state: HostState = INITIAL_STATE;
  #owner: string | undefined;
  #queue: dbus.Message[] | undefined;
  #epoch = 0;
  #notifyQueued = false;
  #closed = false;
  /** False until open() has registered and read everything itself. */
  #ready = false;
  #reactivateTimer: NodeJS.Timeout | undefined;
  #reactivateDelayMs = 1000;
  #sent = 0;
  #received = 0;

  private constructor(bus: dbus.MessageBus, options: ConnectOptions) {
    this.#bus = bus;
    this.clientId = options.clientId ?? 'vespera-updates';
    this.#callTimeoutMs = options.callTimeoutMs ?? 25_000;
    this.authTimeoutMs = options.authTimeoutMs ?? 600_000;
    this.#reactivate = options.reactivate ?? true;
  }

  /** Connects, registers with rpm-ostreed (starting it if needed) and reads the whole host state. */
  static async open(options: ConnectOptions): Promise<DaemonConnection> {
    const address = options.busAddress ?? process.env.DBUS_SYSTEM_BUS_ADDRESS ?? 'unix:path=/var/run/dbus/system_bus_socket';
    const bus = dbus.sessionBus({ busAddress: address });
    const connection = new DaemonConnection(bus, options);
    bus.on('message', (msg: dbus.Message) => connection.#onMessage(msg));
    try {
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          bus.once('connect', () => resolve());
          bus.once('error', (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))));
        }),
        options.callTimeoutMs ?? 25_000,
        'the system bus',
      );
    } catch (error) {
      bus.disconnect();
      throw new HostError('daemon-gone', `Cannot connect to the system bus at ${address}: ${describeError(error)}. Is D-Bus running?`, describeError(error));
    }
    connection.#sent += 1; // Hello
    bus.on('error', () => connection.#onBusError());
    try {
      await connection.#addMatch(`type='signal',sender='${BUS_NAME}',path='/org/freedesktop/DBus',interface='${BUS_NAME}',member='NameOwnerChanged',arg0='${RPMOSTREE_NAME}'`);
      await connection.#addMatch(`type='signal',sender='${RPMOSTREE_NAME}',path_namespace='${BASE_PATH}'`);
      await connection.#register();
      const epoch = connection.#epoch;
      await connection.resync();
      connection.#ready = true;
      // The daemon changed hands while we read: read again from the one that owns the name now.
      if (connection.#epoch !== epoch) await connection.#recover();
    } catch (error) {
      bus.disconnect();
      connection.#closed = true;
      if (error instanceof HostError) throw error;
      if (isDBusError(error) && error.type === 'org.freedesktop.DBus.Error.ServiceUnknown') {
        throw new HostError(
          'daemon-gone',
          'rpm-ostreed is not available on this system bus: this does not look like a Fedora Atomic (rpm-ostree) system.',
          `${error.type}: ${error.text}`,
        );
      }
      if (isDBusError(error) && error.type.startsWith('org.freedesktop.DBus.Error.Spawn.')) {
        throw new HostError(
          'daemon-gone',
          'rpm-ostreed, the system update service, failed to start; see `journalctl -u rpm-ostreed` for why, then try again.',
          `${error.type}: ${error.text}`,
        );
      }
      throw hostErrorOf(error, 'read the system state');
    }
    return connection;
  }

  get state(): HostState {
    return this.#state;
  }

  get stats(): BusStats {
    return { sent: this.#sent, received: this.#received };
  }

  /** Called with the new state after every change (coalesced per tick); returns an unsubscribe function. */
  onChange(listener: (state: HostState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Called when rpm-ostreed leaves the bus (idle exit, restart, crash). */
  onDaemonGone(listener: () => void): () => void {
    this.#goneListeners.add(listener);
    return () => this.#goneListeners.delete(listener);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reactivateTimer);
    this.#listeners.clear();
    this.#goneListeners.clear();
    // Disconnecting drops the registration: the daemon watches our unique name.
    this.#bus.disconnect();
  }

  /** Throws once this connection is closed, before anything is asked of the daemon. */
  ensureOpen(): void {
    if (this.#closed) throw new HostError('unknown', 'This connection to rpm-ostreed was closed; connect again.');
  }

  /** One method call, bounded by `timeoutMs` (default: the call timeout); resolves with the reply's body. */
  async call(
    destination: string,
    path: string,
    iface: string,
    member: string,
    signature = '',
    body: unknown[] = [],
    timeoutMs = this.#callTimeoutMs,
  ): Promise<unknown[]> {
    this.ensureOpen();
    this.#sent += 1;
    const reply = await withTimeout(
      this.#bus.call(new dbus.Message({ destination, path, interface: iface, member, signature, body })),
      timeoutMs,
      `${destination} (${member})`,
    );
    if (destination === RPMOSTREE_NAME && reply?.sender && this.#owner === undefined) this.#setOwner(reply.sender);
    return (reply?.body ?? []) as unknown[];
  }

  /** Calls a method of the booted OS object; these may wait on polkit, so they get the longer limit. */
  async callOs(member: string, signature: string, body: unknown[]): Promise<unknown[]> {
    const path = this.#objects.bootedOsPath();
    return await this.call(RPMOSTREE_NAME, path, OS_IFACE, member, signature, body, this.authTimeoutMs);
  }

  /** Sysroot.Reload: the daemon re-reads the sysroot from disk. */
  async reloadSysroot(): Promise<void> {
    await this.call(RPMOSTREE_NAME, SYSROOT_PATH, SYSROOT_IFACE, 'Reload');
  }

  /** Reads every object and property at once (GetManagedObjects); signals meanwhile are replayed after. */
  async resync(): Promise<void> {
    const epoch = this.#epoch;
    this.#queue ??= [];
    try {
      const [objects] = await this.call(RPMOSTREE_NAME, BASE_PATH, OM_IFACE, 'GetManagedObjects');
      if (epoch !== this.#epoch) return;
      this.#objects.replaceAll(objects);
    } finally {
      const queued = this.#queue ?? [];
      this.#queue = undefined;
      for (const msg of queued) this.#applySignal(msg);
      this.#recompute();
    }
  }

  async #addMatch(rule: string): Promise<void> {
    await this.call(BUS_NAME, '/org/freedesktop/DBus', BUS_NAME, 'AddMatch', 's', [rule]);
  }

  /** RegisterClient keeps the daemon from idle-exiting while this app runs. Denial is not fatal. */
  async #register(): Promise<void> {
    try {
      await this.call(RPMOSTREE_NAME, SYSROOT_PATH, SYSROOT_IFACE, 'RegisterClient', 'a{sv}', [{ id: new dbus.Variant('s', this.clientId) }]);
    } catch (error) {
      if (isDBusError(error) && error.type === 'org.freedesktop.DBus.Error.AccessDenied') return;
      throw error;
    }
  }

  #onMessage(msg: dbus.Message): void {
    this.#received += 1;
    if (msg.type !== SIGNAL) return;
    if (msg.sender === BUS_NAME && msg.member === 'NameOwnerChanged' && msg.interface === BUS_NAME && msg.body[0] === RPMOSTREE_NAME) {
      this.#onOwnerChanged(typeof msg.body[2] === 'string' ? msg.body[2] : '');
      return;
    }
    // Only the daemon's own connection speaks for it; the bus vouches for the sender field.
    if (this.#owner === undefined || msg.sender !== this.#owner) return;
    if (this.#queue) {
      if (this.#queue.length < MAX_QUEUED_SIGNALS) this.#queue.push(msg);
      return;
    }
    if (this.#applySignal(msg)) this.#recompute();
  }

  /** Applies one daemon signal to the object cache; true when something changed. */
  #applySignal(msg: dbus.Message): boolean {
    if (msg.sender !== this.#owner) return false;
    const effect = this.#objects.applySignal(msg);
    if (effect.invalidated) void this.#resyncQuietly();
    return effect.changed;
  }

  #onOwnerChanged(owner: string): void {
    if (this.#closed) return;
    if (owner === '') {
      if (this.#owner === undefined && this.#state.daemon === 'gone') return;
      this.#epoch += 1;
      this.#markGone();
      this.#scheduleReactivation();
      return;
    }
    if (owner === this.#owner) return;
    // A new daemon process: register again (registration belongs to the old one) and re-read everything.
    // While open() is still running (it may itself have started the daemon) it does that already.
    this.#setOwner(owner);
    if (this.#ready) void this.#recover();
  }

  #setOwner(owner: string): void {
    this.#owner = owner;
    this.#epoch += 1;
    clearTimeout(this.#reactivateTimer);
    this.#reactivateDelayMs = 1000;
  }

  async #recover(): Promise<void> {
    const epoch = this.#epoch;
    try {
      await this.#register();
      if (epoch === this.#epoch) await this.resync();
    } catch {
      // The new daemon went away again; its NameOwnerChanged will bring us back here.
    }
  }

  async #resyncQuietly(): Promise<void> {
    try {
      await this.resync();
    } catch {
      // The next signal or owner change tries again.
    }
  }

  /** rpm-ostreed is bus-activated: after it exits (crash, restart), starting it again restores state. */
  #scheduleReactivation(): void {
    if (!this.#reactivate || this.#closed) return;
    clearTimeout(this.#reactivateTimer);
    const delay = this.#reactivateDelayMs;
    this.#reactivateDelayMs = Math.min(this.#reactivateDelayMs * 2, 300_000);
    this.#reactivateTimer = setTimeout(() => {
      if (this.#closed || this.#owner !== undefined) return;
      this.call(BUS_NAME, '/org/freedesktop/DBus', BUS_NAME, 'StartServiceByName', 'su', [RPMOSTREE_NAME, 0]).then(
        () => {},
        () => this.#scheduleReactivation(),
      );
    }, delay);
    this.#reactivateTimer.unref();
  }

  #onBusError(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#markGone();
  }

  /** The daemon (or the bus) is gone: say so in the state and tell everyone who asked. */
  #markGone(): void {
    this.#owner = undefined;
    this.#state = { ...this.#state, daemon: 'gone', activeTransaction: undefined, daemonName: undefined };
    this.#scheduleNotify();
    for (const listener of [...this.#goneListeners]) listener();
  }

  #recompute(): void {
    if (this.#owner === undefined) return;
    const state = this.#objects.hostState(this.#owner, this.#uniqueName());
    if (!state) return;
    this.#state = state;
    this.#scheduleNotify();
  }

  /** This connection's own unique name (dbus-next sets it after Hello; its typings omit it). */
  #uniqueName(): string | undefined {
    const name = (this.#bus as unknown as { name?: unknown }).name;
    return typeof name === 'string' ? name : undefined;
  }

  #scheduleNotify(): void {
    if (this.#notifyQueued) return;
    this.#notifyQueued = true;
    queueMicrotask(() => {
      this.#notifyQueued = false;
      const state = this.#state;
      for (const listener of [...this.#listeners]) {
        try {
          listener(state);
        } catch {
          // A listener's bug must not stop the others or the client.
        }
      }
    });
  }
}
