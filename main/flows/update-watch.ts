// The signed-update watch: whenever the host's deployments or cached update change, find the exact
// digest that will boot, verify it (once per digest), classify the host, and publish a snapshot; the
// update actions (check, stage, restart now, discard: update-actions.ts) run through it.

import type { OperationOutcome, ProgressEvent, StatusSnapshot } from '../../preload/contract.ts';
import type { Deployment, HostState } from '../host/index.ts';
import { describeError } from '../shared/errors.ts';
import { isVerified } from '../trust/index.ts';
import { NO_ENFORCEMENT, readHostEnforcement, type HostEnforcement } from '../policy/host-enforcement.ts';
import { automaticRunRecordPath, noticeOfAutomaticRun, readAutomaticRunRecord, type AutomaticRunRecord } from './automatic-run-record.ts';
import { UpdateChanges } from './changes.ts';
import { checkKey, DigestChecks } from './digest-checks.ts';
import { enforcementOf, type Enforcement } from './enforcement.ts';
import { buildSnapshot, plainRestartTarget } from './classification.ts';
import { describeUnfinishedRuns } from './unfinished-runs.ts';
import { imageOf, type ImageChecks } from './image-checks.ts';
import type { ProgressListener } from './progress.ts';
import type { FlowSession } from './session.ts';
import { checkForUpdate, discardStagedUpdate, restartIntoStaged, stageUpdate, type AvailableUpdate, type TagFindings, type UpdateActionContext } from './update-actions.ts';
import { judgeOffer, offerNotices } from './update-order.ts';
import type { CheckState } from './views.ts';

export interface WatchOptions {
  /** App-enforced mode: stage verified updates (held until restart) without asking. */
  readonly automaticStaging?: () => boolean;
  readonly log?: (line: string) => void;
}

export class UpdateWatch {
  readonly #session: FlowSession;
  readonly #checks: ImageChecks;
  readonly #options: WatchOptions;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #digestChecks: DigestChecks;
  readonly #snapshotListeners = new Set<(s: StatusSnapshot) => void>();
  readonly #progressListeners = new Set<ProgressListener>();
  readonly #autoStaged = new Set<string>();
  readonly #findings: TagFindings = { offer: undefined, available: undefined, lastCheck: undefined };
  /** Package and source changes of the update, fetched as soon as something is staged. */
  readonly #changes: UpdateChanges;
  #record: { record: HostEnforcement; problem?: string } = { record: NO_ENFORCEMENT };
  /** What the host-wide automatic-updates service decided last (root-written, shown as a notice). */
  #automaticRun: AutomaticRunRecord | undefined;
  #unfinished: readonly string[] = [];
  #enforcement: Enforcement | undefined;
  #nextEnforcement: Enforcement | undefined;
  #operation: { kind: ProgressEvent['operation']; title: string; percent?: number; message?: string } | undefined;
  #snapshot: StatusSnapshot | undefined;
  #refreshing: Promise<void> | undefined;
  #refreshAgain = false;
  #offHost: (() => void) | undefined;
  #closed = false;
  /** What the update actions see of this watch. */
  readonly #actions: UpdateActionContext;

  constructor(session: FlowSession, checks: ImageChecks, options: WatchOptions = {}) {
    this.#session = session;
    this.#checks = checks;
    this.#options = options;
    this.#digestChecks = new DigestChecks(session, checks, {
      pending: this.#pending,
      ended: () => {
        this.#publish();
        this.#maybeAutoStage(this.#session.host.state);
      },
    });
    this.#changes = new UpdateChanges(session.host, session.config.changes.headline, {
      changed: () => this.#publish(),
      track: (work) => {
        this.#pending.add(work);
        void work.finally(() => this.#pending.delete(work));
      },
    });
    this.#actions = {
      session,
      checks,
      digestChecks: this.#digestChecks,
      findings: this.#findings,
      available: () => this.available,
      enforcement: () => this.#enforcement,
      refresh: () => this.refresh(),
      publish: () => this.#publish(),
      emitProgress: (event) => this.#emitProgress(event),
      log: (line) => this.#options.log?.(line),
      run: (kind, title, work) => this.#run(kind, title, work),
    };
  }

  /** Reads the state, starts the first checks, and follows the host from then on. */
  async start(): Promise<StatusSnapshot> {
    this.#offHost = this.#session.host.onChange(() => void this.refresh());
    await this.refresh();
    this.#probeTag();
    return this.snapshot();
  }

  /**
   * Looks up what the followed tag names now (registry only), to report a tag that moved back to an
   * older build or stopped moving. Quiet when the registry cannot be reached: `check` says that.
   */
  #probeTag(): void {
    const image = imageOf(this.#session.host.state.booted);
    if (!image?.tag) return;
    const work = this.#checks
      .resolve(image)
      .then((resolved) => {
        this.#findings.offer ??= { resolved, verdict: judgeOffer(this.#session.host.state, resolved) };
      })
      .catch((error: unknown) => this.#options.log?.(`watch: the tag could not be looked up: ${describeError(error)}`))
      .finally(() => {
        this.#pending.delete(work);
        this.#publish();
      });
    this.#pending.add(work);
  }

  close(): void {
    this.#closed = true;
    this.#offHost?.();
    this.#snapshotListeners.clear();
    this.#progressListeners.clear();
  }

  snapshot(): StatusSnapshot {
    this.#snapshot ??= this.#build();
    return this.#snapshot;
  }

  onSnapshot(listener: (s: StatusSnapshot) => void): () => void {
    this.#snapshotListeners.add(listener);
    return () => this.#snapshotListeners.delete(listener);
  }

  onProgress(listener: ProgressListener): () => void {
    this.#progressListeners.add(listener);
    return () => this.#progressListeners.delete(listener);
  }

  /** Resolves once every signature check started so far has an answer (the CLI waits on this). */
  async settle(): Promise<StatusSnapshot> {
    while (this.#pending.size > 0 || this.#refreshing) {
      await Promise.allSettled([...this.#pending, this.#refreshing]);
    }
    return this.snapshot();
  }

  /** The check result for a deployment, or for the available update, when there is one. */
  checkOf(deployment: Deployment): CheckState | undefined {
    const image = imageOf(deployment);
    return image && deployment.imageDigest ? this.#digestChecks.stateOf(checkKey(image, deployment.imageDigest)) : undefined;
  }

  get available(): AvailableUpdate | undefined {
    const resolved = this.#findings.available?.resolved;
    if (!resolved) return undefined;
    const check = this.#digestChecks.stateOf(checkKey(resolved.image, resolved.platformDigest));
    return { ...resolved, ...(check ? { check } : {}) };
  }

  get enforcement(): Enforcement | undefined {
    return this.#enforcement;
  }

  /** Re-reads enforcement and starts checks for digests not yet known. Coalesces concurrent calls. */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#refreshAgain = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#refreshAgain = false;
        try {
          await this.#refreshOnce();
        } catch (error) {
          this.#options.log?.(`watch: refresh failed: ${describeError(error)}`);
        }
      } while (this.#refreshAgain && !this.#closed);
    })().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refreshOnce(): Promise<void> {
    const host = this.#session.host.state;
    this.#record = await readHostEnforcement(this.#session.policy);
    this.#automaticRun = await readAutomaticRunRecord(automaticRunRecordPath(this.#session));
    this.#unfinished = await describeUnfinishedRuns(this.#session);
    this.#enforcement = await enforcementOf(host.booted, this.#session.policy, this.#record.record);
    const next = plainRestartTarget(host);
    const nextDiffers = next !== undefined && next.id !== host.booted?.id && next.origin !== host.booted?.origin;
    this.#nextEnforcement = nextDiffers ? await enforcementOf(next, this.#session.policy, this.#record.record) : undefined;
    for (const deployment of [host.booted, host.staged, next, host.rollback]) {
      const image = imageOf(deployment);
      if (deployment && image && deployment.imageDigest) {
        await this.#digestChecks.expect(image);
        this.#digestChecks.start(checkKey(image, deployment.imageDigest), () => this.#checks.checkDeployment(deployment));
      }
    }
    const avail = this.#findings.available?.resolved;
    if (avail && [host.booted?.imageDigest, host.staged?.imageDigest].includes(avail.platformDigest)) this.#findings.available = undefined;
    this.#changes.follow(host);
    this.#publish();
    this.#maybeAutoStage(host);
  }

  /**
   * Forgets every signature answer and checks again: the trust root changed, and answers made under
   * the old one no longer hold. Checks still running under the old root are ignored when they end.
   */
  async recheckAll(): Promise<void> {
    this.#digestChecks.forgetAll();
    const available = this.#findings.available?.resolved;
    if (available) this.#digestChecks.start(checkKey(available.image, available.platformDigest), () => this.#checks.checkResolved(available, { fresh: true }), true);
    await this.refresh();
  }

  #emitProgress(event: ProgressEvent): void {
    if (this.#operation) {
      this.#operation = { ...this.#operation, ...(event.percent !== undefined ? { percent: event.percent } : {}), ...(event.message ? { message: event.message } : {}) };
    }
    for (const listener of this.#progressListeners) listener(event);
    this.#publish();
  }

  async #run<T>(kind: ProgressEvent['operation'], title: string, work: () => Promise<T>): Promise<T> {
    this.#operation = { kind, title };
    this.#publish();
    try {
      return await work();
    } finally {
      this.#operation = undefined;
      this.#publish();
      // Automatic staging waits while an operation runs; it may be due now.
      this.#maybeAutoStage(this.#session.host.state);
    }
  }

  /** Checks what the followed tag names now (see `checkForUpdate`). */
  async check(options: { askHost?: boolean } = {}): Promise<OperationOutcome> {
    return await checkForUpdate(this.#actions, options);
  }

  /** Stages the verified update (see `stageUpdate`). */
  async stage(): Promise<OperationOutcome> {
    return await stageUpdate(this.#actions);
  }

  /** Boots the staged update now, finalizing a held one only when its digest verified (fresh check). */
  async restartNow(): Promise<OperationOutcome> {
    return await restartIntoStaged(this.#actions);
  }

  /** Removes the staged deployment (`Cleanup(pending-deploy)`): the next boot is the current system. */
  async discardStaged(): Promise<OperationOutcome> {
    return await discardStagedUpdate(this.#actions);
  }

  #maybeAutoStage(host: HostState): void {
    const available = this.available;
    if (
      this.#closed ||
      this.#operation ||
      this.#enforcement?.mode !== 'app-enforced' ||
      !(this.#options.automaticStaging?.() ?? false) ||
      host.staged ||
      host.activeTransaction ||
      !available ||
      available.check?.status !== 'done' ||
      !isVerified(available.check.result) ||
      // Signed, but nothing signed says it is this repository's: a person must decide.
      available.check.result.binding.kind === 'none' ||
      this.#autoStaged.has(available.platformDigest)
    ) {
      return;
    }
    const digest = available.platformDigest;
    this.#autoStaged.add(digest);
    const work = this.stage().then((outcome) => {
      // Another run held the host: try again a minute later, rather than never (or at once, in a loop).
      if (outcome.code === 'host-busy') {
        setTimeout(() => {
          this.#autoStaged.delete(digest);
          this.#maybeAutoStage(this.#session.host.state);
        }, 60_000).unref();
      }
      this.#options.log?.(`watch: automatic staging: ${outcome.message}`);
    });
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  }

  #publish(): void {
    const next = this.#build();
    const changed = JSON.stringify(next) !== JSON.stringify(this.#snapshot);
    this.#snapshot = next;
    if (changed) for (const listener of this.#snapshotListeners) listener(next);
  }

  #build(): StatusSnapshot {
    const snapshot = this.#buildFromHost();
    const automatic = noticeOfAutomaticRun(this.#automaticRun);
    return automatic ? { ...snapshot, notices: [automatic, ...snapshot.notices] } : snapshot;
  }

  #buildFromHost(): StatusSnapshot {
    const snapshot = buildSnapshot({
      tagNotices: offerNotices(this.#findings.offer, this.available?.check, this.#session.now(), this.#session.config.updates.maxTagAgeMs),
      host: this.#session.host.state,
      enforcement: this.#enforcement,
      nextEnforcement: this.#nextEnforcement,
      checkOf: (d) => this.checkOf(d),
      expectationOf: (image) => this.#digestChecks.expectationOf(image),
      available: this.available,
      lastCheck: this.#findings.lastCheck,
      ...(this.#record.problem ? { recordProblem: this.#record.problem } : {}),
      unfinishedRuns: this.#unfinished,
      operation: this.#operation,
    });
    return this.#changes.annotate(snapshot, this.#session.host.state);
  }
}
