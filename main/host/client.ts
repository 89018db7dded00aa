// The one module that owns all D-Bus state for rpm-ostreed: the system-bus connection, client
// registration (renewed when the daemon's name changes owner), the property cache kept current from
// PropertiesChanged, the typed HostState derived from it, and the operations that start transactions.

import dbus from 'dbus-next';
import { withTimeout } from '../shared/bounded.ts';
import { describeError } from '../shared/errors.ts';
import { isSha256Digest, type Sha256Digest } from '../shared/image-reference.ts';
import { daemonGone, errorFromDBus, HostError } from './errors.ts';
import {
  asDict,
  isWireVariant,
  parseActiveTransaction,
  parseCachedUpdate,
  parseDeployment,
  parseDeployments,
  parsePolicy,
  type Deployment,
  type HostState,
  type WireVariant,
} from './model.ts';
import { isDeploymentId, parsePackageDiff, type PackageDiffEntry } from './package-diff.ts';
import { PeerConnection } from './peer.ts';
import { formatRefspec, parseRefspec, type Refspec } from './refspec.ts';
import {
  attachTransaction,
  chainTransactions,
  observeTransaction,
  TRANSACTION_IFACE,
  type HostOperation,
  type Transaction,
  type TransactionHost,
} from './transaction.ts';

export const RPMOSTREE_NAME = 'org.projectatomic.rpmostree1';
const BASE_PATH = '/org/projectatomic/rpmostree1';
const SYSROOT_PATH = `${BASE_PATH}/Sysroot`;
const SYSROOT_IFACE = 'org.projectatomic.rpmostree1.Sysroot';
const OS_IFACE = 'org.projectatomic.rpmostree1.OS';
const OM_IFACE = 'org.freedesktop.DBus.ObjectManager';
const PROPS_IFACE = 'org.freedesktop.DBus.Properties';
const BUS_NAME = 'org.freedesktop.DBus';
const LOGIND_NAME = 'org.freedesktop.login1';
const SIGNAL = 4;
const MAX_OBJECTS = 64;

export type CleanupElement = 'base' | 'pending-deploy' | 'rollback-deploy' | 'repomd';

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

type Objects = Map<string, Map<string, Record<string, WireVariant>>>;

function isDBusError(error: unknown): error is { type: string; text: string } {
  return error instanceof dbus.DBusError || (typeof error === 'object' && error !== null && typeof (error as { type?: unknown }).type === 'string');
}

export class HostClient {
  readonly #bus: dbus.MessageBus;
  readonly #clientId: string;
  readonly #callTimeoutMs: number;
  readonly #authTimeoutMs: number;
  readonly #reactivate: boolean;
  readonly #objects: Objects = new Map();
  readonly #listeners = new Set<(state: HostState) => void>();
  readonly #goneListeners = new Set<() => void>();
  #state: HostState = INITIAL_STATE;
  #owner: string | undefined;
  #queue: dbus.Message[] | undefined;
  #epoch = 0;
  #notifyQueued = false;
  #closed = false;
  /** False until connect() has registered and read everything itself. */
  #ready = false;
  #reactivateTimer: NodeJS.Timeout | undefined;
  #reactivateDelayMs = 1000;
  #sent = 0;
  #received = 0;

  private constructor(bus: dbus.MessageBus, options: ConnectOptions) {
    this.#bus = bus;
    this.#clientId = options.clientId ?? 'vespera-updates';
    this.#callTimeoutMs = options.callTimeoutMs ?? 25_000;
    this.#authTimeoutMs = options.authTimeoutMs ?? 600_000;
    this.#reactivate = options.reactivate ?? true;
  }

  /** Connects, registers with rpm-ostreed (starting it if needed) and reads the whole host state. */
  static async connect(options: ConnectOptions = {}): Promise<HostClient> {
    const address = options.busAddress ?? process.env.DBUS_SYSTEM_BUS_ADDRESS ?? 'unix:path=/var/run/dbus/system_bus_socket';
    const bus = dbus.sessionBus({ busAddress: address });
    const client = new HostClient(bus, options);
    bus.on('message', (msg: dbus.Message) => client.#onMessage(msg));
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
    client.#sent += 1; // Hello
    bus.on('error', () => client.#onBusError());
    try {
      await client.#addMatch(`type='signal',sender='${BUS_NAME}',path='/org/freedesktop/DBus',interface='${BUS_NAME}',member='NameOwnerChanged',arg0='${RPMOSTREE_NAME}'`);
      await client.#addMatch(`type='signal',sender='${RPMOSTREE_NAME}',path_namespace='${BASE_PATH}'`);
      await client.#register();
      const epoch = client.#epoch;
      await client.#resync();
      client.#ready = true;
      // The daemon changed hands while we read: read again from the one that owns the name now.
      if (client.#epoch !== epoch) await client.#recover();
    } catch (error) {
      bus.disconnect();
      client.#closed = true;
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
      throw isDBusError(error) ? errorFromDBus(error.type, error.text, 'read the system state') : daemonGone('read the system state', describeError(error));
    }
    return client;
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

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reactivateTimer);
    this.#listeners.clear();
    this.#goneListeners.clear();
    // Disconnecting drops the registration: the daemon watches our unique name.
    this.#bus.disconnect();
    await Promise.resolve();
  }

  // -- operations ---------------------------------------------------------------------------

  /** Asks rpm-ostreed to look for an update (AutomaticUpdateTrigger, mode check); `cachedUpdate` tells. */
  async checkForUpdate(): Promise<Transaction> {
    const what = 'check for updates';
    return await this.#transaction('check', what, async () => {
      const reply = await this.#callOs('AutomaticUpdateTrigger', 'a{sv}', [
        { mode: new dbus.Variant('s', 'check'), 'output-to-self': new dbus.Variant('b', false), ...this.#commandLine('check') },
      ]);
      if (reply[0] !== true || typeof reply[1] !== 'string' || reply[1] === '') {
        throw new HostError('unknown', 'rpm-ostreed declined to check for updates; try again.', JSON.stringify(reply));
      }
      return reply[1];
    });
  }

  /** Pulls and stages the update the origin's tag points at now (Upgrade). */
  async stageUpdate(options: { lockFinalization?: boolean; downloadOnly?: boolean; allowDowngrade?: boolean } = {}): Promise<Transaction> {
    return await this.#transaction('stage', 'stage the update', async () => {
      const reply = await this.#callOs('Upgrade', 'a{sv}', [{ ...deployOptions(options), ...this.#commandLine('stage') }]);
      return stringReply(reply);
    });
  }

  /**
   * Deploys exactly this image manifest digest on the booted image's origin (Deploy with a `sha256:`
   * revision), optionally finalization-locked so the next boot keeps the current system until
   * `finalizeDeployment`.
   */
  async deployDigest(digest: Sha256Digest, options: { lockFinalization?: boolean } = {}): Promise<Transaction> {
    if (!isSha256Digest(digest)) throw new HostError('unknown', `"${String(digest)}" is not a sha256 image digest.`);
    if (this.#state.booted?.refspec?.kind !== 'container') {
      throw new HostError('unknown', 'The booted system does not come from a container image, so it cannot be updated by digest.');
    }
    return await this.#transaction('deploy', 'deploy the verified image', async () => {
      const reply = await this.#callOs('Deploy', 'sa{sv}', [digest, { ...deployOptions(options), ...this.#commandLine('deploy') }]);
      return stringReply(reply);
    });
  }

  /**
   * Lets a finalization-locked staged deployment be booted, and — as rpm-ostree does on success —
   * restarts the machine. `deployment` defaults to the staged one; its checksum must still match.
   */
  async finalizeDeployment(deployment: Deployment | undefined = this.#state.staged): Promise<Transaction> {
    if (!deployment?.staged) {
      throw new HostError('nothing-staged', 'There is no staged update to finalize; check for updates and stage one first.');
    }
    return await this.#transaction('finalize', 'finalize the staged update', async () => {
      const reply = await this.#callOs('FinalizeDeployment', 'a{sv}', [
        { checksum: new dbus.Variant('s', deployment.checksum), ...this.#commandLine('finalize') },
      ]);
      return stringReply(reply);
    });
  }

  /** Switches the origin to `refspec` and stages it (Rebase); `revision` pins a manifest digest. */
  async rebase(refspec: Refspec | string, options: { revision?: Sha256Digest; lockFinalization?: boolean } = {}): Promise<Transaction> {
    const text = typeof refspec === 'string' ? formatRefspec(parseRefspec(refspec)) : formatRefspec(refspec);
    if (options.revision !== undefined && !isSha256Digest(options.revision)) {
      throw new HostError('unknown', `"${String(options.revision)}" is not a sha256 image digest.`);
    }
    return await this.#transaction('rebase', `switch to ${text}`, async () => {
      const opts: Record<string, dbus.Variant> = { ...deployOptions(options), ...this.#commandLine('rebase') };
      if (options.revision !== undefined) opts.revision = new dbus.Variant('s', options.revision);
      const reply = await this.#callOs('Rebase', 'a{sv}sas', [opts, text, []]);
      return stringReply(reply);
    });
  }

  /**
   * Makes the previous deployment the next boot's default (Rollback). rpm-ostreed refuses while an
   * update is staged; `discardStaged: true` first removes it (Cleanup pending-deploy), else this throws
   * `staged-blocks-rollback` so the caller can offer that.
   */
  async rollback(options: { discardStaged?: boolean } = {}): Promise<Transaction> {
    const start = async (): Promise<Transaction> =>
      await this.#transaction('rollback', 'roll back', async () => stringReply(await this.#callOs('Rollback', 'a{sv}', [{}])));
    const staged = this.#state.staged;
    if (staged === undefined) return await start();
    if (!options.discardStaged) {
      throw new HostError(
        'staged-blocks-rollback',
        `An update${staged.version ? ` (${staged.version})` : ''} is staged for the next boot; rolling back would need it discarded first. Discard the staged update, then roll back.`,
      );
    }
    const cleanup = await this.cleanup(['pending-deploy']);
    return chainTransactions('rollback', cleanup, start);
  }

  async cleanup(elements: readonly CleanupElement[]): Promise<Transaction> {
    return await this.#transaction('cleanup', 'clean up deployments', async () => stringReply(await this.#callOs('Cleanup', 'as', [[...elements]])));
  }

  /**
   * Follows the transaction someone else started (the automatic timer, a terminal). Falls back to
   * watching ActiveTransaction when the daemon does not let this user connect to it.
   */
  async followActiveTransaction(): Promise<Transaction | undefined> {
    const active = this.#state.activeTransaction;
    if (!active || active.address === '') return undefined;
    try {
      return await attachTransaction(this.#transactionHost(), active.address, 'follow', `finish the ${active.method} started elsewhere`);
    } catch {
      return observeTransaction(this.#transactionHost(), active.address);
    }
  }

  /** Cancels whatever transaction is running, like `rpm-ostree cancel`. */
  async cancelActiveTransaction(): Promise<void> {
    const active = this.#state.activeTransaction;
    if (!active || active.address === '') return;
    const peer = await PeerConnection.open(active.address).catch((error: unknown) => {
      throw new HostError('unknown', `Could not reach the running transaction to cancel it: ${describeError(error)}`);
    });
    try {
      await peer.call('/', TRANSACTION_IFACE, 'Cancel');
    } finally {
      peer.close();
    }
  }

  /** Asks logind to restart the machine (interactive: polkit may ask for a password). */
  async reboot(): Promise<void> {
    try {
      await this.#call(LOGIND_NAME, '/org/freedesktop/login1', 'org.freedesktop.login1.Manager', 'Reboot', 'b', [true], this.#authTimeoutMs);
    } catch (error) {
      if (isDBusError(error) && error.type === 'org.freedesktop.DBus.Error.AccessDenied') {
        throw errorFromDBus(error.type, error.text, 'restart the machine');
      }
      throw new HostError(
        'unknown',
        `Could not ask the system to restart (${isDBusError(error) ? error.text || error.type : describeError(error)}); restart from the desktop's menu instead.`,
      );
    }
  }

  /**
   * The packages that differ between two deployments of this host (GetDeploymentsRpmDiff), read by
   * rpm-ostreed from their rpm databases. polkit action `repo-refresh`: may ask for a password.
   */
  async deploymentsRpmDiff(from: Deployment, to: Deployment): Promise<PackageDiffEntry[]> {
    const what = 'compare the packages of two deployments';
    if (!isDeploymentId(from.id) || !isDeploymentId(to.id)) throw new HostError('deployment-not-found', `Not deployment ids rpm-ostree makes: "${from.id.slice(0, 80)}", "${to.id.slice(0, 80)}".`);
    let reply: unknown[];
    try {
      reply = await this.#callOs('GetDeploymentsRpmDiff', 'ss', [from.id, to.id]);
    } catch (error) {
      throw this.#mapError(error, what);
    }
    return parsePackageDiff(reply[0]);
  }

  /** Sysroot.Reload then a full re-read: a sync barrier after outside changes (e.g. `ostree admin pin`). */
  async reload(): Promise<HostState> {
    try {
      await this.#call(RPMOSTREE_NAME, SYSROOT_PATH, SYSROOT_IFACE, 'Reload');
      await this.#resync();
    } catch (error) {
      throw this.#mapError(error, 'read the system state');
    }
    return this.#state;
  }

  // -- transactions -------------------------------------------------------------------------

  #transactionHost(): TransactionHost {
    return {
      settle: async () => {
        await this.#resync();
        return this.#state;
      },
      currentState: () => this.#state,
      onDaemonGone: (listener) => this.onDaemonGone(listener),
      onChange: (listener) => this.onChange(listener),
    };
  }

  async #transaction(operation: HostOperation, what: string, start: () => Promise<string>): Promise<Transaction> {
    if (this.#closed) throw new HostError('unknown', 'This connection to rpm-ostreed was closed; connect again.');
    let address: string;
    try {
      address = await start();
    } catch (error) {
      throw this.#mapError(error, what);
    }
    return await attachTransaction(this.#transactionHost(), address, operation, what);
  }

  #commandLine(operation: string): Record<string, dbus.Variant> {
    return { 'initiating-command-line': new dbus.Variant('s', `${this.#clientId} ${operation}`) };
  }

  async #callOs(member: string, signature: string, body: unknown[]): Promise<unknown[]> {
    const path = this.#bootedOsPath();
    return await this.#call(RPMOSTREE_NAME, path, OS_IFACE, member, signature, body, this.#authTimeoutMs);
  }

  #bootedOsPath(): string {
    const sysroot = this.#objects.get(SYSROOT_PATH)?.get(SYSROOT_IFACE);
    const booted = sysroot?.Booted?.value;
    if (typeof booted !== 'string' || booted === '/' || !this.#objects.has(booted)) {
      throw new HostError('unknown', 'rpm-ostreed reports no booted system (not booted into a deployment), so nothing can be updated.');
    }
    return booted;
  }

  #mapError(error: unknown, what: string): HostError {
    if (error instanceof HostError) return error;
    if (isDBusError(error)) return errorFromDBus(error.type, error.text, what);
    return daemonGone(what, describeError(error));
  }

  // -- bus plumbing ---------------------------------------------------------------------------

  async #call(
    destination: string,
    path: string,
    iface: string,
    member: string,
    signature = '',
    body: unknown[] = [],
    timeoutMs = this.#callTimeoutMs,
  ): Promise<unknown[]> {
    if (this.#closed) throw new HostError('unknown', 'This connection to rpm-ostreed was closed; connect again.');
    this.#sent += 1;
    const reply = await withTimeout(
      this.#bus.call(new dbus.Message({ destination, path, interface: iface, member, signature, body })),
      timeoutMs,
      `${destination} (${member})`,
    );
    if (destination === RPMOSTREE_NAME && reply?.sender && this.#owner === undefined) this.#setOwner(reply.sender);
    return (reply?.body ?? []) as unknown[];
  }

  async #addMatch(rule: string): Promise<void> {
    await this.#call(BUS_NAME, '/org/freedesktop/DBus', BUS_NAME, 'AddMatch', 's', [rule]);
  }

  /** RegisterClient keeps the daemon from idle-exiting while this app runs. Denial is not fatal. */
  async #register(): Promise<void> {
    try {
      await this.#call(RPMOSTREE_NAME, SYSROOT_PATH, SYSROOT_IFACE, 'RegisterClient', 'a{sv}', [{ id: new dbus.Variant('s', this.#clientId) }]);
    } catch (error) {
      if (isDBusError(error) && error.type === 'org.freedesktop.DBus.Error.AccessDenied') return;
      throw error;
    }
  }

  /** Reads every object and property at once (GetManagedObjects); signals meanwhile are replayed after. */
  async #resync(): Promise<void> {
    const epoch = this.#epoch;
    this.#queue ??= [];
    try {
      const [objects] = await this.#call(RPMOSTREE_NAME, BASE_PATH, OM_IFACE, 'GetManagedObjects');
      if (epoch !== this.#epoch) return;
      this.#objects.clear();
      const entries = typeof objects === 'object' && objects !== null ? Object.entries(objects).slice(0, MAX_OBJECTS) : [];
      for (const [path, interfaces] of entries) this.#setInterfaces(path, interfaces);
    } finally {
      const queued = this.#queue ?? [];
      this.#queue = undefined;
      for (const msg of queued) this.#applySignal(msg);
      this.#recompute();
    }
  }

  #setInterfaces(path: string, interfaces: unknown): void {
    if (typeof interfaces !== 'object' || interfaces === null) return;
    for (const [iface, props] of Object.entries(interfaces)) {
      if (iface !== SYSROOT_IFACE && iface !== OS_IFACE) continue;
      const dict = asDict(props);
      if (!dict) continue;
      let object = this.#objects.get(path);
      if (!object) {
        if (this.#objects.size >= MAX_OBJECTS) return;
        object = new Map();
        this.#objects.set(path, object);
      }
      object.set(iface, { ...dict });
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
      if (this.#queue.length < 10_000) this.#queue.push(msg);
      return;
    }
    if (this.#applySignal(msg)) this.#recompute();
  }

  /** Applies one daemon signal to the property cache; true when something changed. */
  #applySignal(msg: dbus.Message): boolean {
    if (msg.sender !== this.#owner) return false;
    if (msg.interface === PROPS_IFACE && msg.member === 'PropertiesChanged') {
      const [iface, changed, invalidated] = msg.body as [unknown, unknown, unknown];
      const object = this.#objects.get(msg.path);
      const props = typeof iface === 'string' ? object?.get(iface) : undefined;
      const dict = asDict(changed);
      if (!props || !dict) return false;
      Object.assign(props, dict);
      if (Array.isArray(invalidated) && invalidated.length > 0) void this.#resyncQuietly();
      return true;
    }
    if (msg.interface === OM_IFACE && msg.path === BASE_PATH) {
      const [path, second] = msg.body as [unknown, unknown];
      if (typeof path !== 'string') return false;
      if (msg.member === 'InterfacesAdded') {
        this.#setInterfaces(path, second);
        return true;
      }
      if (msg.member === 'InterfacesRemoved' && Array.isArray(second)) {
        const object = this.#objects.get(path);
        for (const iface of second) if (typeof iface === 'string') object?.delete(iface);
        if (object?.size === 0) this.#objects.delete(path);
        return true;
      }
    }
    return false;
  }

  #onOwnerChanged(owner: string): void {
    if (this.#closed) return;
    if (owner === '') {
      if (this.#owner === undefined && this.#state.daemon === 'gone') return;
      this.#epoch += 1;
      this.#owner = undefined;
      this.#state = { ...this.#state, daemon: 'gone', activeTransaction: undefined, daemonName: undefined };
      this.#scheduleNotify();
      for (const listener of [...this.#goneListeners]) listener();
      this.#scheduleReactivation();
      return;
    }
    if (owner === this.#owner) return;
    // A new daemon process: register again (registration belongs to the old one) and re-read everything.
    // While connect() is still running (it may itself have started the daemon) it does that already.
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
      if (epoch === this.#epoch) await this.#resync();
    } catch {
      // The new daemon went away again; its NameOwnerChanged will bring us back here.
    }
  }

  async #resyncQuietly(): Promise<void> {
    try {
      await this.#resync();
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
      this.#call(BUS_NAME, '/org/freedesktop/DBus', BUS_NAME, 'StartServiceByName', 'su', [RPMOSTREE_NAME, 0]).then(
        () => {},
        () => this.#scheduleReactivation(),
      );
    }, delay);
    this.#reactivateTimer.unref();
  }

  #onBusError(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#owner = undefined;
    this.#state = { ...this.#state, daemon: 'gone', activeTransaction: undefined, daemonName: undefined };
    this.#scheduleNotify();
    for (const listener of [...this.#goneListeners]) listener();
  }

  #recompute(): void {
    const sysroot = this.#objects.get(SYSROOT_PATH)?.get(SYSROOT_IFACE);
    if (!sysroot || this.#owner === undefined) return;
    const deployments = parseDeployments(sysroot.Deployments?.value);
    const bootedPath = sysroot.Booted?.value;
    const os = typeof bootedPath === 'string' ? this.#objects.get(bootedPath)?.get(OS_IFACE) : undefined;
    const booted = deployments.find((d) => d.booted);
    const staged = deployments.find((d) => d.staged);
    const osName = typeof os?.Name?.value === 'string' ? os.Name.value : booted?.osname;
    const first = deployments.find((d) => d.osname === osName);
    const rollbackId = parseDeployment(os?.RollbackDeployment?.value)?.id;
    const rollback = deployments.find((d) => d.id === rollbackId);
    const cachedUpdate = os?.HasCachedUpdateRpmDiff?.value === true ? parseCachedUpdate(os.CachedUpdate?.value) : undefined;
    const activeTransaction = parseActiveTransaction(sysroot.ActiveTransaction?.value, sysroot.ActiveTransactionPath?.value, this.#uniqueName());
    const state: HostState = {
      daemon: 'running',
      daemonName: this.#owner,
      ...(osName !== undefined ? { osName } : {}),
      deployments,
      ...(booted ? { booted } : {}),
      ...(first && !first.booted ? { pending: first } : {}),
      ...(staged ? { staged } : {}),
      ...(rollback ? { rollback } : {}),
      ...(cachedUpdate ? { cachedUpdate } : {}),
      ...(activeTransaction ? { activeTransaction } : {}),
      automaticUpdatePolicy: parsePolicy(isWireVariant(sysroot.AutomaticUpdatePolicy) ? sysroot.AutomaticUpdatePolicy.value : undefined),
    };
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

function deployOptions(options: { lockFinalization?: boolean; downloadOnly?: boolean; allowDowngrade?: boolean }): Record<string, dbus.Variant> {
  const out: Record<string, dbus.Variant> = {};
  if (options.lockFinalization) out['lock-finalization'] = new dbus.Variant('b', true);
  if (options.downloadOnly) out['download-only'] = new dbus.Variant('b', true);
  if (options.allowDowngrade !== undefined) out['allow-downgrade'] = new dbus.Variant('b', options.allowDowngrade);
  return out;
}

function stringReply(reply: unknown[]): string {
  const address = reply[0];
  if (typeof address !== 'string' || address === '' || address.length > 1024) {
    throw new HostError('unknown', 'rpm-ostreed answered without a transaction address; try again.', JSON.stringify(reply));
  }
  return address;
}

/** Connects to rpm-ostreed on the system bus; see HostClient. */
export async function connectHost(options: ConnectOptions = {}): Promise<HostClient> {
  return await HostClient.connect(options);
}
