// Tests' handle on the rpm-ostreed stand-in: its test-only control surface (/org/vespera/Sim on the
// world's system bus) for faults, simulated reboots, the automatic timer, and the daemon's recorded state.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import dbus from 'dbus-next';

export const RPMOSTREE_NAME = 'org.projectatomic.rpmostree1';
const SIM_PATH = '/org/vespera/Sim';
const SIM_IFACE = 'org.vespera.Sim';

/** Fault knobs; each stays set until cleared (restart-in-transaction fires once). */
export interface SimFaults {
  /** Methods polkit refuses (AccessDenied with rpm-ostreed's text), e.g. `['Rebase', 'RegisterClient']`. */
  readonly deny?: readonly string[];
  /** Every pull fails with this containers/image message (see `networkFailure`). */
  readonly pullFailure?: string;
  /** The daemon restarts (new process, new unique name) at this method's first checkpoint; `*` = any. */
  readonly restartInTransaction?: string;
  /** Transactions wait at their first checkpoint until `release()`. */
  readonly holdTransactions?: boolean;
  /** Idle exit after this many seconds without a registered client or transaction (0 = never). */
  readonly idleExitSeconds?: number;
  /** A pause at each checkpoint, to make transactions last. */
  readonly stepDelayMs?: number;
}

export interface SimDeployment {
  readonly id: string;
  readonly osname: string;
  readonly checksum: string;
  readonly serial: number;
  readonly refspec: string | null;
  readonly version: string | null;
  readonly timestamp: number;
  readonly booted: boolean;
  readonly staged: boolean;
  readonly pinned: boolean;
  readonly locked: boolean;
  readonly override_digest: string | null;
  readonly image: { readonly digest: string; readonly ref: string } | null;
}

export interface RebootRecord {
  readonly source: string;
  readonly reason?: string;
  readonly checksum?: string;
  readonly interactive?: boolean;
  readonly caller?: string;
  readonly time: number;
}

/** The daemon's whole state as its Dump method reports it. */
export interface SimState {
  readonly uniqueName: string;
  readonly pid: number;
  /** Wall-clock seconds when the daemon last emitted PropertiesChanged (null before any). */
  readonly lastPropertiesChangedAt: number | null;
  readonly deployments: readonly SimDeployment[];
  readonly bootedId: string | null;
  readonly cachedUpdate: Record<string, unknown> | null;
  readonly automaticUpdatePolicy: string;
  readonly reboots: readonly RebootRecord[];
  readonly rebooting: boolean;
  readonly faults: Record<string, unknown>;
  readonly bootCount: number;
  readonly clients: ReadonlyArray<{ readonly name: string; readonly id: string | null }>;
  readonly transaction: {
    readonly method: string;
    readonly sender: string;
    readonly address: string;
    readonly title: string;
    readonly started: boolean;
    readonly finished: boolean;
    readonly held: boolean;
    readonly peers: number;
    readonly client: string;
  } | null;
}

const FAULT_KEYS: Record<keyof SimFaults, string> = {
  deny: 'deny',
  pullFailure: 'pull-failure',
  restartInTransaction: 'restart-in-transaction',
  holdTransactions: 'hold-transactions',
  idleExitSeconds: 'idle-exit-seconds',
  stepDelayMs: 'step-delay-ms',
};

function faultVariant(key: keyof SimFaults, value: unknown): dbus.Variant {
  switch (key) {
    case 'deny':
      return new dbus.Variant('as', value);
    case 'pullFailure':
    case 'restartInTransaction':
      return new dbus.Variant('s', value);
    case 'holdTransactions':
      return new dbus.Variant('b', value);
    case 'idleExitSeconds':
    case 'stepDelayMs':
      return new dbus.Variant('i', value);
  }
}

export class SimulatedHost {
  readonly busAddress: string;
  readonly stateDir: string;
  readonly registryHost: string;
  #bus: dbus.MessageBus | undefined;

  constructor(busAddress: string, stateDir: string, registryHost: string) {
    this.busAddress = busAddress;
    this.stateDir = stateDir;
    this.registryHost = registryHost;
  }

  /** The message a pull gets when the registry cannot be reached, worded like containers/image. */
  networkFailure(): string {
    return `pinging container registry ${this.registryHost}: Get "https://${this.registryHost}/v2/": dial tcp ${this.registryHost}: connect: connection refused`;
  }

  async setFaults(faults: SimFaults): Promise<void> {
    const dict: Record<string, dbus.Variant> = {};
    for (const [key, value] of Object.entries(faults) as Array<[keyof SimFaults, unknown]>) {
      if (value !== undefined) dict[FAULT_KEYS[key]] = faultVariant(key, value);
    }
    await this.#call('SetFaults', 'a{sv}', [dict]);
  }

  async clearFaults(): Promise<void> {
    await this.#call('ClearFaults');
  }

  /** Lets a transaction held by `holdTransactions` go on. */
  async release(): Promise<void> {
    await this.#call('Release');
  }

  /**
   * Reboots the simulated machine. `finalize: false` is a shutdown that skipped staged-deployment
   * finalization (power loss); a finalization-locked deployment is discarded either way. Resolves
   * once the daemon is back under a new unique name.
   */
  async reboot(options: { finalize?: boolean } = {}): Promise<void> {
    const before = await this.owner();
    await this.#call('SimulateReboot', 'b', [options.finalize ?? true]);
    await this.waitForNewOwner(before);
  }

  /** Restarts the daemon (a new process and unique name), e.g. a package update or crash-restart. */
  async restart(): Promise<void> {
    const before = await this.owner();
    await this.#call('Restart');
    await this.waitForNewOwner(before);
  }

  async setAutomaticUpdatePolicy(policy: 'none' | 'check' | 'stage' | 'apply'): Promise<void> {
    await this.#call('SetAutomaticUpdatePolicy', 's', [policy]);
  }

  /** "Someone else" runs `rpm-ostree upgrade --trigger-automatic-update-policy` (the timer), already started. */
  async triggerAutomaticUpdate(mode: 'check' | 'stage' | 'apply' | 'auto'): Promise<{ enabled: boolean; address: string }> {
    const reply = await this.#call('TriggerAutomaticUpdate', 's', [mode]);
    return { enabled: reply[0] as boolean, address: reply[1] as string };
  }

  /** `ostree admin pin [--unpin] INDEX`, as an administrator would run it. */
  async setPinned(index: number, pinned: boolean): Promise<void> {
    await this.#call('SetPinned', 'ub', [index, pinned]);
  }

  async dump(): Promise<SimState> {
    const reply = await this.#call('Dump');
    const parsed = JSON.parse(String(reply[0])) as SimState;
    if (!Array.isArray(parsed.deployments) || typeof parsed.uniqueName !== 'string') {
      throw new Error('the stand-in returned a malformed state dump');
    }
    return parsed;
  }

  /** Reboots requested through logind (Reboot) and by the daemon itself (FinalizeDeployment, reboot:true). */
  async reboots(): Promise<{ logind: RebootRecord[]; daemon: RebootRecord[] }> {
    return { logind: await this.logindReboots(), daemon: [...(await this.dump()).reboots] };
  }

  async logindReboots(): Promise<RebootRecord[]> {
    let text: string;
    try {
      text = await readFile(join(this.stateDir, 'logind-reboots.jsonl'), 'utf8');
    } catch {
      return [];
    }
    return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as RebootRecord);
  }

  /**
   * Every restart asked for so far, by anyone, oldest first: logind's Reboot and rpm-ostreed's own
   * (FinalizeDeployment or a rollback with reboot). Read from the files both keep, so asking never
   * starts the daemon; the records survive simulated reboots, so a caller counts what it has seen.
   */
  async rebootRequests(): Promise<RebootRecord[]> {
    let daemon: RebootRecord[] = [];
    try {
      // The daemon replaces this file whole (write, then rename), so it is never read half-written.
      const saved = JSON.parse(await readFile(join(this.stateDir, 'sysroot.json'), 'utf8')) as { reboots?: unknown };
      if (Array.isArray(saved.reboots)) daemon = saved.reboots as RebootRecord[];
    } catch {
      // Not written yet.
    }
    return [...(await this.logindReboots()), ...daemon].sort((a, b) => a.time - b.time);
  }

  /** The daemon's current unique name without starting it (undefined while it is not running). */
  async owner(): Promise<string | undefined> {
    try {
      const reply = await this.#bus$().call(
        new dbus.Message({
          destination: 'org.freedesktop.DBus',
          path: '/org/freedesktop/DBus',
          interface: 'org.freedesktop.DBus',
          member: 'GetNameOwner',
          signature: 's',
          body: [RPMOSTREE_NAME],
        }),
      );
      return reply?.body[0] as string;
    } catch {
      return undefined;
    }
  }

  /** Waits until the daemon runs under a unique name other than `previous`. */
  async waitForNewOwner(previous: string | undefined, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const now = await this.owner();
      if (now !== undefined && now !== previous) return now;
      await sleep(20);
    }
    throw new Error(`rpm-ostreed stand-in did not come back within ${timeoutMs} ms:\n${await this.log()}`);
  }

  /** Waits until nobody owns the daemon's name (idle exit). */
  async waitUntilGone(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await this.owner()) === undefined) return;
      await sleep(20);
    }
    throw new Error(`rpm-ostreed stand-in was still running after ${timeoutMs} ms`);
  }

  /** The daemon's own log, for failure messages. */
  async log(): Promise<string> {
    try {
      return await readFile(join(this.stateDir, 'rpmostreed.log'), 'utf8');
    } catch {
      return '(no log)';
    }
  }

  async pid(): Promise<number | undefined> {
    try {
      return Number(await readFile(join(this.stateDir, 'rpmostreed.pid'), 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** Ends the daemon and the control connection; the world calls this on stop. */
  async stop(): Promise<void> {
    const owner = await this.owner();
    const pid = await this.pid();
    this.#bus?.disconnect();
    this.#bus = undefined;
    if (owner === undefined || pid === undefined) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    // Once exited it is a zombie until whoever adopted it reaps it; that counts as gone.
    for (let i = 0; i < 150 && running(pid); i++) await sleep(10);
    if (running(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
  }

  #bus$(): dbus.MessageBus {
    if (!this.#bus) {
      const bus = dbus.sessionBus({ busAddress: this.busAddress });
      bus.on('error', () => {
        if (this.#bus === bus) this.#bus = undefined;
      });
      this.#bus = bus;
    }
    return this.#bus;
  }

  async #call(member: string, signature = '', body: unknown[] = []): Promise<unknown[]> {
    const reply = await this.#bus$().call(
      new dbus.Message({ destination: RPMOSTREE_NAME, path: SIM_PATH, interface: SIM_IFACE, member, signature, body }),
    );
    return (reply?.body ?? []) as unknown[];
  }
}

/** Alive and not a zombie, per /proc. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
