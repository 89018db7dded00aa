// The contract of preload/contract.ts served by the flows: every command the windows may invoke and
// every event they follow, plus the desktop notifications that speak for the watch. The Electron IPC
// handlers and the web bridge both answer through one UiBackend, so the tray and the demo run the same code.

import type {
  CommandInput,
  CommandName,
  CommandOutput,
  EventName,
  Events,
  OperationOutcome,
  Settings,
  StatusSnapshot,
  VesperaApi,
  View,
} from '../../preload/contract.ts';
import { UpdateNotifier } from '../notify/update-notifier.ts';
import { displayValue } from '../shared/display-text.ts';
import { describeError } from '../shared/errors.ts';
import { isSha256Digest } from '../shared/image-reference.ts';
import { readAppState, writeAppState } from './app-state.ts';
import { runDoctor } from './doctor.ts';
import { ImageChecks } from './image-checks.ts';
import { migrationPreview, planMigration, type MigrationPlan } from './migration.ts';
import { runMigration, type MigrationOutcome } from './migration-run.ts';
import { planRollback, rollbackPreview, runRollback } from './rollback.ts';
import { openSession, type FlowSession } from './session.ts';
import { UpdateWatch } from './update-watch.ts';
import { signedBy } from './views.ts';
import { startupHousekeeping } from './host-housekeeping.ts';
import { HostBusyError } from './host-lock.ts';
import { withHostRun } from './host-run.ts';

export interface AutostartControl {
  get(): Promise<boolean>;
  set(enabled: boolean): Promise<void>;
}

export interface UiBackendOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Start-at-login lives with the app shell (XDG autostart files). */
  readonly autostart?: AutostartControl;
  /** Desktop notifications (default on). */
  readonly notifications?: boolean;
  /** First update check after start, then every `checkEveryMs` (defaults 20 s and 6 h). */
  readonly firstCheckAfterMs?: number;
  readonly checkEveryMs?: number;
  /** How often the trust root is reloaded (default: the configuration's trust.refresh-every). */
  readonly trustRefreshEveryMs?: number;
  /** The app shell shows a window (a notification's Details button). */
  readonly showWindow?: (view: View) => void;
  readonly log?: (line: string) => void;
}

const PLAN_LIFETIME_MS = 30 * 60_000;
const MAX_PLANS = 8;

/** A migration's outcome as the wizard shows it. */
function migrationOutcomeView(outcome: MigrationOutcome): OperationOutcome {
  const hostState =
    outcome.hostState === 'as-planned'
      ? outcome.rebootRequired
        ? 'Migrated; restart to boot the verified image.'
        : 'Migrated; nothing needs a restart.'
      : outcome.hostState === 'as-before'
        ? 'The host is exactly as it was before the migration.'
        : 'Undoing the migration partly failed; the message says what is left to do.';
  return { ok: outcome.ok, message: outcome.message, ...(outcome.code ? { code: outcome.code } : {}), hostState, rebootRequired: outcome.rebootRequired };
}

export class UiBackend implements VesperaApi {
  readonly #session: FlowSession;
  readonly #checks: ImageChecks;
  readonly #watch: UpdateWatch;
  readonly #options: UiBackendOptions;
  readonly #listeners = new Map<EventName, Set<(payload: never) => void>>();
  readonly #plans = new Map<string, { plan: MigrationPlan; at: number }>();
  readonly #timers: NodeJS.Timeout[] = [];
  #notifier: UpdateNotifier | undefined;
  #automaticStaging: boolean;

  private constructor(session: FlowSession, options: UiBackendOptions, automaticStaging: boolean) {
    this.#session = session;
    this.#options = options;
    this.#checks = new ImageChecks(session.config, session.trust);
    this.#automaticStaging = automaticStaging;
    this.#watch = new UpdateWatch(session, this.#checks, {
      automaticStaging: () => this.#automaticStaging,
      ...(options.log ? { log: options.log } : {}),
    });
  }

  static async start(options: UiBackendOptions = {}): Promise<UiBackend> {
    const session = await openSession({ ...(options.env ? { env: options.env } : {}), clientId: 'vespera-updates' });
    const state = await readAppState(session.stateDir);
    const backend = new UiBackend(session, options, state.automaticStaging ?? session.config.updates.automaticStaging);
    await backend.#begin();
    return backend;
  }

  async #begin(): Promise<void> {
    this.#watch.onSnapshot((snapshot) => {
      this.#emit('status.changed', snapshot);
      void this.#speak(snapshot);
    });
    this.#watch.onProgress((event) => this.#emit('operation.progress', event));
    await startupHousekeeping(this.#session, this.#checks, (line) => this.#options.log?.(line));
    await this.#watch.start();
    if (this.#options.notifications !== false) {
      try {
        this.#notifier = await UpdateNotifier.open({ reminders: this.#session.config.reminders, env: this.#session.env });
        this.#notifier.onAction((event) => {
          if (event.action === 'restart') {
            void this.#watch.restartNow().then((outcome) => this.#options.log?.(`restart from a notification: ${outcome.message}`));
          } else {
            this.#navigate('details');
          }
        });
      } catch (error) {
        this.#options.log?.(`notifications are off: ${describeError(error)}`);
      }
    }
    void this.#speak(this.#watch.snapshot());
    // In the background only the registry is asked: rpm-ostree's own check may need a password.
    const check = (): void => {
      if (!this.#session.host.state.activeTransaction) void this.#watch.check({ askHost: false });
    };
    this.#timers.push(setTimeout(check, this.#options.firstCheckAfterMs ?? 20_000).unref());
    this.#timers.push(setInterval(check, this.#options.checkEveryMs ?? 6 * 3_600_000).unref());
    // Sigstore rotates its roots: a root loaded at start must not stay for the app's lifetime.
    const refreshRoot = async (): Promise<void> => {
      try {
        if (await this.#session.trust.refreshTrustRoot?.()) {
          this.#options.log?.('the Sigstore trusted root changed; checking every signature again');
          await this.#watch.recheckAll();
        }
      } catch (error) {
        this.#options.log?.(`the trusted root could not be reloaded; the one in use stays: ${describeError(error)}`);
      }
    };
    this.#timers.push(setInterval(() => void refreshRoot(), this.#options.trustRefreshEveryMs ?? this.#session.config.trust.refreshEveryMs).unref());
  }

  snapshot(): StatusSnapshot {
    return displayValue(this.#watch.snapshot());
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#watch.close();
    this.#listeners.clear();
    await this.#notifier?.close();
    await this.#session.close();
  }

  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  #emit<E extends EventName>(event: E, payload: Events[E]): void {
    // Registry-controlled text (versions, reasons, signer names) reaches the windows only made safe.
    const shown = displayValue(payload);
    for (const listener of this.#listeners.get(event) ?? []) (listener as (p: Events[E]) => void)(shown);
  }

  #navigate(view: View): void {
    this.#emit('navigate', { view });
    this.#options.showWindow?.(view);
  }

  /** What the watch has to say to the desktop, through the reminder policy. */
  async #speak(snapshot: StatusSnapshot): Promise<void> {
    const notifier = this.#notifier;
    if (!notifier) return;
    const update = snapshot.update;
    if (update && isSha256Digest(update.digest)) {
      if (update.state === 'ready' && update.signature.status === 'verified') {
        // The notice names the headline package changes: it goes out once rpm-ostree has answered.
        const packages = update.changes?.packages;
        if (packages?.status === 'loading') return;
        const changes = packages?.status === 'listed' ? packages.summary : undefined;
        await notifier.notify({ kind: 'update-ready', digest: update.digest, version: update.version ?? update.digest, signedBy: signedBy(update.signature), ...(changes ? { changes } : {}) });
        return;
      }
      if (update.state === 'failed') {
        await notifier.notify({
          kind: 'verification-failed',
          digest: update.digest,
          reason: update.signature.failure?.message ?? 'the signature does not verify',
          ...(update.version ? { version: update.version } : {}),
        });
        return;
      }
    }
    if (snapshot.health !== 'update-ready') await notifier.withdraw('update-ready');
    if (snapshot.health === 'unverified') {
      const booted = snapshot.deployments.find((d) => d.role === 'booted');
      if (booted?.imageReference) await notifier.notify({ kind: 'unverified-host', image: booted.imageReference });
    } else {
      await notifier.withdraw('unverified-host');
    }
  }

  async invoke<C extends CommandName>(command: C, input: CommandInput<C>): Promise<CommandOutput<C>> {
    return displayValue(await this.#dispatch(command, input as never)) as CommandOutput<C>;
  }

  async #dispatch(command: CommandName, input: never): Promise<unknown> {
    switch (command) {
      case 'status.get':
        return this.#watch.snapshot();
      case 'update.check':
        return await this.#watch.check();
      case 'update.stage':
        return await this.#watch.stage();
      case 'update.restartNow':
        return await this.#watch.restartNow();
      case 'update.discardStaged':
        return await this.#watch.discardStaged();
      case 'migration.preview': {
        const plan = await planMigration(this.#session, this.#checks, input);
        this.#remember(plan);
        return migrationPreview(plan);
      }
      case 'migration.run': {
        const { planId } = input as CommandInput<'migration.run'>;
        const entry = this.#plans.get(planId);
        if (!entry || Date.now() - entry.at > PLAN_LIFETIME_MS) {
          return { ok: false, code: 'plan-expired', message: 'This plan is no longer current; review the migration again.' } satisfies OperationOutcome;
        }
        this.#plans.delete(planId);
        return await this.#hostRun('migrate', async () => {
          const outcome = await runMigration(this.#session, this.#checks, entry.plan, (event) => this.#emit('operation.progress', event));
          await this.#watch.refresh();
          return migrationOutcomeView(outcome);
        });
      }
      case 'rollback.preview':
        return rollbackPreview(await planRollback(this.#session, this.#checks));
      case 'rollback.run':
        return await this.#hostRun('rollback', async () => {
          const outcome = await runRollback(this.#session, input, (event) => this.#emit('operation.progress', event));
          await this.#watch.refresh();
          return outcome;
        });
      case 'host.reboot':
        // The same path as Restart now: a held deployment is released only when it verifies, so a
        // restart after an app-enforced migration boots the migrated system, not the old one.
        return await this.#watch.restartNow();
      case 'doctor.run':
        return await runDoctor(this.#session, this.#checks);
      case 'settings.get':
        return await this.#settings();
      case 'settings.set':
        return await this.#changeSettings(input);
    }
  }

  /** A command that changes the host, under the host-wide lock; another run holding it is an outcome, not a crash. */
  async #hostRun(operation: string, work: () => Promise<OperationOutcome>): Promise<OperationOutcome> {
    try {
      return await withHostRun(this.#session, this.#checks, operation, work, {
        emit: (event) => this.#emit('operation.progress', event),
        onResolved: (lines) => lines.forEach((line) => this.#options.log?.(line)),
      });
    } catch (error) {
      if (error instanceof HostBusyError) return { ok: false, code: error.code, message: error.message, hostState: 'The host is as it was.' };
      throw error;
    }
  }

  #remember(plan: MigrationPlan): void {
    this.#plans.set(plan.id, { plan, at: Date.now() });
    while (this.#plans.size > MAX_PLANS) this.#plans.delete(this.#plans.keys().next().value as string);
  }

  async #settings(): Promise<Settings> {
    return { autostart: (await this.#options.autostart?.get()) ?? false, automaticStaging: this.#automaticStaging };
  }

  async #changeSettings(change: Partial<Settings>): Promise<Settings> {
    if (change.autostart !== undefined) {
      if (!this.#options.autostart) throw Object.assign(new Error('Start at login is managed by the desktop app, not here.'), { code: 'unsupported' });
      await this.#options.autostart.set(change.autostart);
    }
    if (change.automaticStaging !== undefined) {
      const state = await readAppState(this.#session.stateDir);
      await writeAppState(this.#session.stateDir, { ...state, automaticStaging: change.automaticStaging });
      this.#automaticStaging = change.automaticStaging;
      void this.#watch.refresh();
    }
    return await this.#settings();
  }
}
