// The signed-update watch: whenever the host's deployments or cached update change, find the exact
// digest that will boot, verify it (once per digest), classify the host, and publish a snapshot;
// plus the update actions: check, stage (by digest), restart now (finalizing only what verified), discard.

import type { OperationOutcome, ProgressEvent, StatusSnapshot } from '../../preload/contract.ts';
import { HostError, type Deployment, type HostState, type Transaction } from '../host/index.ts';
import { describeError } from '../shared/errors.ts';
import { repositoryName, type DockerReference } from '../shared/image-reference.ts';
import { isVerified, verdictOfCode } from '../trust/index.ts';
import { NO_ENFORCEMENT, readHostEnforcement, type HostEnforcement } from '../policy/host-enforcement.ts';
import { automaticRunRecordPath, noticeOfAutomaticRun, readAutomaticRunRecord, type AutomaticRunRecord } from './automatic-run-record.ts';
import { UpdateChanges } from './changes.ts';
import { brokenPolicy, enforcementOf, type Enforcement } from './enforcement.ts';
import { buildSnapshot, plainRestartTarget } from './classification.ts';
import { HostBusyError } from './host-lock.ts';
import { describeUnfinishedRuns } from './unfinished-runs.ts';
import { withHostRun } from './host-run.ts';
import { failureOf, imageOf, type Expectation, type ImageChecks, type ResolvedImage } from './image-checks.ts';
import { followTransaction, type ProgressListener } from './progress.ts';
import type { FlowSession } from './session.ts';
import { judgeOffer, offerNotices, unboundNote, type OfferVerdict } from './update-order.ts';
import { VerdictMemory, verdictKey } from './verdict-memory.ts';
import { failureText, signatureView, signedBy, verdictOf, type CheckState } from './views.ts';

export interface WatchOptions {
  /** App-enforced mode: stage verified updates (held until restart) without asking. */
  readonly automaticStaging?: () => boolean;
  readonly log?: (line: string) => void;
}

interface AvailableUpdate {
  readonly resolved: ResolvedImage;
}

function checkKey(image: DockerReference, platformDigest: string): string {
  return `${repositoryName(image)}@${platformDigest}`;
}

export class UpdateWatch {
  readonly #session: FlowSession;
  readonly #checks: ImageChecks;
  readonly #options: WatchOptions;
  readonly #checkStates = new Map<string, CheckState>();
  readonly #expectations = new Map<string, Expectation>();
  readonly #pending = new Set<Promise<unknown>>();
  /** The running check per digest, so an operation can wait for the one it needs (never for itself). */
  readonly #running = new Map<string, Promise<void>>();
  readonly #snapshotListeners = new Set<(s: StatusSnapshot) => void>();
  readonly #progressListeners = new Set<ProgressListener>();
  readonly #autoStaged = new Set<string>();
  /** Bumped when every answer is forgotten, so checks started before cannot write stale ones. */
  #generation = 0;
  /** What the followed tag names now, and how it compares with the host. */
  #offer: { resolved: ResolvedImage; verdict: OfferVerdict } | undefined;
  /** Package and source changes of the update, fetched as soon as something is staged. */
  readonly #changes: UpdateChanges;
  #record: { record: HostEnforcement; problem?: string } = { record: NO_ENFORCEMENT };
  /** What the host-wide automatic-updates service decided last (root-written, shown as a notice). */
  #automaticRun: AutomaticRunRecord | undefined;
  #unfinished: readonly string[] = [];
  #enforcement: Enforcement | undefined;
  #nextEnforcement: Enforcement | undefined;
  readonly #memory: VerdictMemory;
  #available: AvailableUpdate | undefined;
  #lastCheck: { at: Date; ok: boolean; message: string } | undefined;
  #operation: { kind: ProgressEvent['operation']; title: string; percent?: number; message?: string } | undefined;
  #snapshot: StatusSnapshot | undefined;
  #refreshing: Promise<void> | undefined;
  #refreshAgain = false;
  #offHost: (() => void) | undefined;
  #closed = false;

  constructor(session: FlowSession, checks: ImageChecks, options: WatchOptions = {}) {
    this.#session = session;
    this.#checks = checks;
    this.#options = options;
    this.#memory = new VerdictMemory(session.stateDir);
    this.#changes = new UpdateChanges(session.host, session.config.changes.headline, {
      changed: () => this.#publish(),
      track: (work) => {
        this.#pending.add(work);
        void work.finally(() => this.#pending.delete(work));
      },
    });
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
        this.#offer ??= { resolved, verdict: judgeOffer(this.#session.host.state, resolved) };
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
    return image && deployment.imageDigest ? this.#checkStates.get(checkKey(image, deployment.imageDigest)) : undefined;
  }

  get available(): (ResolvedImage & { check?: CheckState }) | undefined {
    if (!this.#available) return undefined;
    const check = this.#checkStates.get(checkKey(this.#available.resolved.image, this.#available.resolved.platformDigest));
    return { ...this.#available.resolved, ...(check ? { check } : {}) };
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
        await this.#expect(image);
        this.#startCheck(checkKey(image, deployment.imageDigest), () => this.#checks.checkDeployment(deployment));
      }
    }
    const avail = this.#available?.resolved;
    if (avail && [host.booted?.imageDigest, host.staged?.imageDigest].includes(avail.platformDigest)) this.#available = undefined;
    this.#changes.follow(host);
    this.#publish();
    this.#maybeAutoStage(host);
  }

  async #expect(image: DockerReference): Promise<Expectation> {
    const key = repositoryName(image);
    let expectation = this.#expectations.get(key);
    if (!expectation) {
      expectation = await this.#checks.expectationFor(image);
      this.#expectations.set(key, expectation);
    }
    return expectation;
  }

  /** Waits for the check of one digest, if one is running. */
  async #checked(key: string): Promise<CheckState | undefined> {
    await this.#running.get(key);
    return this.#checkStates.get(key);
  }

  /**
   * Forgets every signature answer and checks again: the trust root changed, and answers made under
   * the old one no longer hold. Checks still running under the old root are ignored when they end.
   */
  async recheckAll(): Promise<void> {
    this.#generation++;
    this.#checkStates.clear();
    const available = this.#available?.resolved;
    if (available) this.#startCheck(checkKey(available.image, available.platformDigest), () => this.#checks.checkResolved(available, { fresh: true }), true);
    await this.refresh();
  }

  #startCheck(key: string, run: () => Promise<Awaited<ReturnType<ImageChecks['checkDeployment']>>>, fresh = false): void {
    const known = this.#checkStates.get(key);
    if (known && !fresh) return;
    this.#checkStates.set(key, { status: 'checking' });
    const generation = this.#generation;
    const work = run()
      .then(async (result) => {
        const state: CheckState = result ? await this.#remembered(key, { status: 'done', result, at: this.#session.now() }) : { status: 'not-applicable', why: 'not a registry image' };
        if (generation === this.#generation) this.#checkStates.set(key, state);
      })
      .catch((error: unknown) => {
        if (generation === this.#generation) this.#checkStates.set(key, { status: 'done', result: failureOf({ registry: '', repository: key }, error), at: this.#session.now() });
      })
      .finally(() => {
        this.#pending.delete(work);
        if (this.#running.get(key) === work) this.#running.delete(key);
        this.#publish();
        this.#maybeAutoStage(this.#session.host.state);
      });
    this.#pending.add(work);
    this.#running.set(key, work);
  }

  /**
   * Keeps the last good verdict: a verified check is remembered for this digest and expectation; a
   * check that could not be made carries the time it last verified, if it ever did.
   */
  async #remembered(key: string, check: Extract<CheckState, { status: 'done' }>): Promise<CheckState> {
    const at = key.lastIndexOf('@');
    const repository = key.slice(0, at);
    const memoryKey = verdictKey(repository, key.slice(at + 1), this.#expectations.get(repository)?.description ?? '');
    try {
      if (isVerified(check.result)) {
        await this.#memory.remember(memoryKey, { checkedAt: check.at.toISOString(), signedBy: signedBy(signatureView(check)) });
        return check;
      }
      if (verdictOfCode(check.result.code) !== 'unchecked') return check;
      const last = await this.#memory.get(memoryKey);
      return last ? { ...check, lastVerified: last } : check;
    } catch {
      return check;
    }
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

  /**
   * An operation that changes the host: it holds the host-wide lock (one run at a time, for every
   * user and the CLI) and first finishes or undoes what an interrupted run left.
   */
  async #change(kind: ProgressEvent['operation'], title: string, work: () => Promise<OperationOutcome>): Promise<OperationOutcome> {
    this.#operation = { kind, title };
    this.#publish();
    try {
      return await withHostRun(this.#session, this.#checks, kind, work, {
        emit: (e) => this.#emitProgress(e),
        onResolved: (lines) => this.#options.log?.(`watch: ${lines.join(' ')}`),
      });
    } catch (error) {
      if (error instanceof HostBusyError) return { ok: false, code: error.code, message: error.message, hostState: 'The host is as it was.' };
      throw error;
    } finally {
      this.#operation = undefined;
      this.#publish();
      // Automatic staging waits while an operation runs; it may be due now.
      this.#maybeAutoStage(this.#session.host.state);
    }
  }

  /**
   * Resolves the booted image's tag and verifies what it names now. With `askHost` (a person asked)
   * rpm-ostree checks too, which refreshes its cached update but may need polkit authorization; the
   * periodic background check leaves it out so it never raises a password prompt.
   */
  async check(options: { askHost?: boolean } = {}): Promise<OperationOutcome> {
    return await this.#run('check', 'Checking for updates', async () => {
      const host = this.#session.host;
      const image = imageOf(host.state.booted);
      let hostProblem: string | undefined;
      if ((options.askHost ?? true) && host.state.daemon === 'running') {
        try {
          const outcome = await followTransaction(await host.checkForUpdate(), 'check', 'Asking rpm-ostree for updates', (e) => this.#emitProgress(e));
          if (!outcome.ok) hostProblem = outcome.error.message;
        } catch (error) {
          hostProblem = describeError(error);
        }
      }
      if (!image?.tag) {
        const message = hostProblem ?? 'This host does not follow a registry image tag; there is nothing for Vespera Updates to check.';
        this.#lastCheck = { at: this.#session.now(), ok: hostProblem === undefined, message };
        return { ok: hostProblem === undefined, message, ...(hostProblem ? { code: 'check-failed' } : {}) };
      }
      this.#emitProgress({ operation: 'check', step: 'Looking up the image in its registry' });
      let resolved: ResolvedImage;
      try {
        resolved = await this.#checks.resolve(image);
      } catch (error) {
        const failure = failureOf(image, error);
        const message = `Could not check for updates: ${failure.message.replace(/\.?$/, '.')} Nothing was installed; the host is as it was.${hostNote(hostProblem)}`;
        this.#lastCheck = { at: this.#session.now(), ok: false, message };
        this.#publish();
        return { ok: false, code: failure.code, message };
      }
      const state = host.state;
      const offer = judgeOffer(state, resolved);
      this.#offer = { resolved, verdict: offer };
      if (offer.kind === 'older') {
        // Never an update, whatever its signature: going back is the rollback wizard's decision.
        this.#available = undefined;
        this.#lastCheck = { at: this.#session.now(), ok: true, message: offer.notice.message };
        this.#publish();
        return { ok: false, code: 'tag-downgrade', message: `${offer.notice.message}${hostNote(hostProblem)}` };
      }
      if (offer.kind === 'current') {
        this.#available = undefined;
        const staged = resolved.platformDigest === state.staged?.imageDigest;
        const message = `${staged ? 'The newest build is already staged for the next restart.' : 'Up to date: this host runs the newest build.'}${hostNote(hostProblem)}`;
        this.#lastCheck = { at: this.#session.now(), ok: true, message };
        await this.refresh();
        return { ok: true, message };
      }
      this.#available = { resolved };
      await this.#expect(image);
      this.#emitProgress({ operation: 'check', step: 'Verifying the update’s signature' });
      const key = checkKey(image, resolved.platformDigest);
      this.#startCheck(key, () => this.#checks.checkResolved(resolved, { fresh: true }), true);
      const check = await this.#checked(key);
      const verdict = verdictOf(check);
      const version = resolved.version ?? resolved.platformDigest;
      const why = failureText(check) ?? 'it was not checked';
      const message =
        verdict === 'verified'
          ? `A signed update is available: ${version}.${unboundNote(check)}`
          : verdict === 'unchecked'
            ? `An update (${version}) is available, but its signature could not be checked, so it will not be installed until it verifies: ${why}`
            : `An update (${version}) is available, but it failed its signature check and will not be installed: ${why}`;
      this.#lastCheck = { at: this.#session.now(), ok: verdict !== 'unchecked', message: `${message}${hostNote(hostProblem)}` };
      this.#publish();
      if (verdict === 'verified') return { ok: true, message: `${message}${hostNote(hostProblem)}` };
      return { ok: false, message: `${message}${hostNote(hostProblem)}`, code: verdict === 'unchecked' ? 'update-unchecked' : 'update-not-verified' };
    });
  }

  /**
   * Stages the verified update. Where the app enforces (keyless-only images) it deploys that exact
   * digest, finalization-locked; elsewhere rpm-ostree upgrades and the app verifies what it staged.
   */
  async stage(): Promise<OperationOutcome> {
    const available = this.available;
    if (!available) return { ok: false, code: 'nothing-available', message: 'There is no update to stage; check for updates first.' };
    if (available.check?.status !== 'done' || !isVerified(available.check.result)) {
      return { ok: false, code: 'update-not-verified', message: 'The available update has not passed its signature check, so it will not be staged.' };
    }
    const broken = brokenPolicy(this.#enforcement);
    if (broken) return { ok: false, code: 'policy-invalid', message: `Not staged: rpm-ostree cannot download any image while the signature policy does not load. ${broken}`, hostState: 'The host is as it was.' };
    const appEnforced = this.#enforcement?.mode === 'app-enforced';
    return await this.#change('stage', 'Staging the update', async () => {
      let transaction: Transaction;
      try {
        transaction = appEnforced
          ? await this.#session.host.deployDigest(available.digest, { lockFinalization: true })
          : await this.#session.host.stageUpdate();
      } catch (error) {
        return hostFailure(error, 'Nothing was staged.');
      }
      const outcome = await followTransaction(transaction, 'stage', appEnforced ? 'Staging the verified digest' : 'Staging the update', (e) => this.#emitProgress(e));
      if (!outcome.ok) return { ok: false, code: outcome.error.code, message: `${outcome.error.message} Nothing was staged.`, hostState: 'The host is as it was.' };
      await this.refresh();
      const staged = this.#session.host.state.staged;
      const stagedImage = imageOf(staged);
      const check = staged && stagedImage && staged.imageDigest ? await this.#checked(checkKey(stagedImage, staged.imageDigest)) : undefined;
      if (!staged) return { ok: true, message: outcome.messages.at(-1) ?? 'No update was staged.' };
      if (check?.status === 'done' && !isVerified(check.result)) {
        return { ok: false, code: check.result.code, message: `What rpm-ostree staged failed its signature check: ${check.result.message} Discard it.` };
      }
      return {
        ok: true,
        message: `Staged ${staged.version ?? staged.imageDigest ?? ''}: restart to apply it.${staged.finalizationLocked ? ' It is held until you restart from Vespera Updates.' : ''}`,
        rebootRequired: true,
      };
    });
  }

  /** Boots the staged update now, finalizing a held one only when its digest verified (fresh check). */
  async restartNow(): Promise<OperationOutcome> {
    const host = this.#session.host;
    const staged = host.state.staged;
    if (!staged) {
      if (host.state.pending) return await this.#change('restart', 'Restarting', () => this.#reboot());
      return { ok: false, code: 'nothing-staged', message: 'Nothing is waiting for a restart.' };
    }
    const image = imageOf(staged);
    if (image && staged.imageDigest) {
      const key = checkKey(image, staged.imageDigest);
      this.#startCheck(key, () => this.#checks.checkDeployment(staged, { fresh: true }), true);
      const check = await this.#checked(key);
      const verdict = verdictOf(check);
      if (verdict === 'unchecked') {
        return { ok: false, code: 'update-unchecked', message: `The staged update's signature could not be checked (${failureText(check) ?? ''}); it was not applied. Try again when the registry can be reached.` };
      }
      if (verdict !== 'verified') {
        return { ok: false, code: 'update-not-verified', message: `The staged update is not verified (${failureText(check) ?? 'it could not be checked'}); it was not applied. Discard it.` };
      }
    }
    if (!staged.finalizationLocked) return await this.#change('restart', 'Restarting into the update', () => this.#reboot());
    return await this.#change('restart', 'Restarting into the verified update', async () => {
      try {
        const outcome = await followTransaction(await host.finalizeDeployment(staged), 'restart', 'Releasing the verified update', (e) => this.#emitProgress(e));
        if (!outcome.ok) return { ok: false, code: outcome.error.code, message: `${outcome.error.message} The computer was not restarted.` };
        return { ok: true, message: 'Restarting into the verified update.' };
      } catch (error) {
        return hostFailure(error, 'The computer was not restarted.');
      }
    });
  }

  async #reboot(): Promise<OperationOutcome> {
    try {
      await this.#session.host.reboot();
      return { ok: true, message: 'Restarting.' };
    } catch (error) {
      return hostFailure(error, 'The computer was not restarted.');
    }
  }

  /** Removes the staged deployment (`Cleanup(pending-deploy)`): the next boot is the current system. */
  async discardStaged(): Promise<OperationOutcome> {
    if (!this.#session.host.state.staged) return { ok: false, code: 'nothing-staged', message: 'There is no staged update to discard.' };
    const outcome = await this.#change('discard', 'Discarding the staged update', async (): Promise<OperationOutcome> => {
      try {
        const done = await followTransaction(await this.#session.host.cleanup(['pending-deploy']), 'discard', 'Removing the staged deployment', (e) => this.#emitProgress(e));
        if (!done.ok) return { ok: false, code: done.error.code, message: done.error.message };
        await this.refresh();
        const next = plainRestartTarget(this.#session.host.state);
        return { ok: true, message: `The staged update was discarded; the next boot is ${next?.booted ? 'the current system' : (next?.version ?? 'the default deployment')}.` };
      } catch (error) {
        return hostFailure(error, 'Nothing was discarded.');
      }
    });
    // What the tag offers is offered again (a good update stays available; a bad one stays reported).
    if (outcome.ok) await this.check({ askHost: false });
    return outcome;
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
      tagNotices: offerNotices(this.#offer, this.available?.check, this.#session.now(), this.#session.config.updates.maxTagAgeMs),
      host: this.#session.host.state,
      enforcement: this.#enforcement,
      nextEnforcement: this.#nextEnforcement,
      checkOf: (d) => this.checkOf(d),
      expectationOf: (image) => this.#expectations.get(repositoryName(image)),
      available: this.available,
      lastCheck: this.#lastCheck,
      ...(this.#record.problem ? { recordProblem: this.#record.problem } : {}),
      unfinishedRuns: this.#unfinished,
      operation: this.#operation,
    });
    return this.#changes.annotate(snapshot, this.#session.host.state);
  }
}

/** rpm-ostree's own update check failing is worth saying, after what the registry showed. */
function hostNote(problem: string | undefined): string {
  return problem ? ` (rpm-ostree's own check did not complete: ${problem})` : '';
}

function hostFailure(error: unknown, consequence: string): OperationOutcome {
  if (error instanceof HostError) return { ok: false, code: error.code, message: `${error.message} ${consequence}` };
  return { ok: false, code: 'unknown', message: `${describeError(error)} ${consequence}` };
}
