// The host client's public face: HostClient, whose methods read the host state and start rpm-ostreed
// transactions (update, deploy, finalize, rebase, rollback, cleanup) over one DaemonConnection.

import dbus from 'dbus-next';
import { describeError } from '../shared/errors.ts';
import { isSha256Digest, type Sha256Digest } from '../shared/image-reference.ts';
import { DaemonConnection, type BusStats, type ConnectOptions } from './daemon-connection.ts';
import { errorFromDBus, HostError, hostErrorOf, isDBusError } from './errors.ts';
import type { Deployment, HostState } from './model.ts';
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

export { RPMOSTREE_NAME, type BusStats, type ConnectOptions } from './daemon-connection.ts';

const LOGIND_NAME = 'org.freedesktop.login1';

export type CleanupElement = 'base' | 'pending-deploy' | 'rollback-deploy' | 'repomd';

export class HostClient {
  readonly #connection: DaemonConnection;

  private constructor(connection: DaemonConnection) {
    this.#connection = connection;
  }

  /** Connects, registers with rpm-ostreed (starting it if needed) and reads the whole host state. */
  static async connect(options: ConnectOptions = {}): Promise<HostClient> {
    return new HostClient(await DaemonConnection.open(options));
  }

  get state(): HostState {
    return this.#connection.state;
  }

  get stats(): BusStats {
    return this.#connection.stats;
  }

  /** Called with the new state after every change (coalesced per tick); returns an unsubscribe function. */
  onChange(listener: (state: HostState) => void): () => void {
    return this.#connection.onChange(listener);
  }

  /** Called when rpm-ostreed leaves the bus (idle exit, restart, crash). */
  onDaemonGone(listener: () => void): () => void {
    return this.#connection.onDaemonGone(listener);
  }

  async close(): Promise<void> {
    this.#connection.close();
    await Promise.resolve();
  }

  // -- operations ---------------------------------------------------------------------------

  /** Asks rpm-ostreed to look for an update (AutomaticUpdateTrigger, mode check); `cachedUpdate` tells. */
  async checkForUpdate(): Promise<Transaction> {
    const what = 'check for updates';
    return await this.#transaction('check', what, async () => {
      const reply = await this.#connection.callOs('AutomaticUpdateTrigger', 'a{sv}', [
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
      const reply = await this.#connection.callOs('Upgrade', 'a{sv}', [{ ...deployOptions(options), ...this.#commandLine('stage') }]);
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
    if (this.#connection.state.booted?.refspec?.kind !== 'container') {
      throw new HostError('unknown', 'The booted system does not come from a container image, so it cannot be updated by digest.');
    }
    return await this.#transaction('deploy', 'deploy the verified image', async () => {
      const reply = await this.#connection.callOs('Deploy', 'sa{sv}', [digest, { ...deployOptions(options), ...this.#commandLine('deploy') }]);
      return stringReply(reply);
    });
  }

  /**
   * Lets a finalization-locked staged deployment be booted, and — as rpm-ostree does on success —
   * restarts the machine. `deployment` defaults to the staged one; its checksum must still match.
   */
  async finalizeDeployment(deployment: Deployment | undefined = this.#connection.state.staged): Promise<Transaction> {
    if (!deployment?.staged) {
      throw new HostError('nothing-staged', 'There is no staged update to finalize; check for updates and stage one first.');
    }
    return await this.#transaction('finalize', 'finalize the staged update', async () => {
      const reply = await this.#connection.callOs('FinalizeDeployment', 'a{sv}', [
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
      const reply = await this.#connection.callOs('Rebase', 'a{sv}sas', [opts, text, []]);
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
      await this.#transaction('rollback', 'roll back', async () => stringReply(await this.#connection.callOs('Rollback', 'a{sv}', [{}])));
    const staged = this.#connection.state.staged;
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
    return await this.#transaction('cleanup', 'clean up deployments', async () => stringReply(await this.#connection.callOs('Cleanup', 'as', [[...elements]])));
  }

  /**
   * Follows the transaction someone else started (the automatic timer, a terminal). Falls back to
   * watching ActiveTransaction when the daemon does not let this user connect to it.
   */
  async followActiveTransaction(): Promise<Transaction | undefined> {
    const active = this.#connection.state.activeTransaction;
    if (!active || active.address === '') return undefined;
    try {
      return await attachTransaction(this.#transactionHost(), active.address, 'follow', `finish the ${active.method} started elsewhere`);
    } catch {
      return observeTransaction(this.#transactionHost(), active.address);
    }
  }

  /** Cancels whatever transaction is running, like `rpm-ostree cancel`. */
  async cancelActiveTransaction(): Promise<void> {
    const active = this.#connection.state.activeTransaction;
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
      await this.#connection.call(LOGIND_NAME, '/org/freedesktop/login1', 'org.freedesktop.login1.Manager', 'Reboot', 'b', [true], this.#connection.authTimeoutMs);
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
      reply = await this.#connection.callOs('GetDeploymentsRpmDiff', 'ss', [from.id, to.id]);
    } catch (error) {
      throw hostErrorOf(error, what);
    }
    return parsePackageDiff(reply[0]);
  }

  /** Sysroot.Reload then a full re-read: a sync barrier after outside changes (e.g. `ostree admin pin`). */
  async reload(): Promise<HostState> {
    try {
      await this.#connection.reloadSysroot();
      await this.#connection.resync();
    } catch (error) {
      throw hostErrorOf(error, 'read the system state');
    }
    return this.#connection.state;
  }

  // -- transactions -------------------------------------------------------------------------

  #transactionHost(): TransactionHost {
    return {
      settle: async () => {
        await this.#connection.resync();
        return this.#connection.state;
      },
      currentState: () => this.#connection.state,
      onDaemonGone: (listener) => this.onDaemonGone(listener),
      onChange: (listener) => this.onChange(listener),
    };
  }

  async #transaction(operation: HostOperation, what: string, start: () => Promise<string>): Promise<Transaction> {
    this.#connection.ensureOpen();
    let address: string;
    try {
      address = await start();
    } catch (error) {
      throw hostErrorOf(error, what);
    }
    return await attachTransaction(this.#transactionHost(), address, operation, what);
  }

  #commandLine(operation: string): Record<string, dbus.Variant> {
    return { 'initiating-command-line': new dbus.Variant('s', `${this.#connection.clientId} ${operation}`) };
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
