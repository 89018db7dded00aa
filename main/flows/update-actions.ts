// The update actions a person (or automatic staging) takes through the watch: check what the followed
// tag offers, stage it by digest, restart into it (finalizing only what verified), discard it; and their wording.

import type { OperationOutcome, ProgressEvent } from '../../preload/contract.ts';
import { HostError, type Transaction } from '../host/index.ts';
import { describeError } from '../shared/errors.ts';
import { isVerified } from '../trust/index.ts';
import { checkKey, type DigestChecks } from './digest-checks.ts';
import { brokenPolicy, type Enforcement } from './enforcement.ts';
import { plainRestartTarget } from './classification.ts';
import { HostBusyError } from './host-lock.ts';
import { withHostRun } from './host-run.ts';
import { failureOf, imageOf, type ImageChecks, type ResolvedImage } from './image-checks.ts';
import { followTransaction } from './progress.ts';
import type { FlowSession } from './session.ts';
import { judgeOffer, unboundNote, type OfferVerdict } from './update-order.ts';
import { failureText, verdictOf, type CheckState } from './views.ts';

/** What the watch last found about the followed tag: the actions update it, the snapshot shows it. */
export interface TagFindings {
  /** What the followed tag names now, and how it compares with the host. */
  offer: { resolved: ResolvedImage; verdict: OfferVerdict } | undefined;
  /** A newer build the tag names, until the host stages or boots it. */
  available: { readonly resolved: ResolvedImage } | undefined;
  lastCheck: { at: Date; ok: boolean; message: string } | undefined;
}

/** The available update with its signature check, when it has one. */
export type AvailableUpdate = ResolvedImage & { check?: CheckState };

/** What of the watch the actions use: its host and checks, what it found, and its operation frame. */
export interface UpdateActionContext {
  readonly session: FlowSession;
  readonly checks: ImageChecks;
  readonly digestChecks: DigestChecks;
  readonly findings: TagFindings;
  available(): AvailableUpdate | undefined;
  enforcement(): Enforcement | undefined;
  refresh(): Promise<void>;
  publish(): void;
  emitProgress(event: ProgressEvent): void;
  log(line: string): void;
  /** Runs `work` as the operation under way: shown in the snapshot, automatic staging waits for it. */
  run<T>(kind: ProgressEvent['operation'], title: string, work: () => Promise<T>): Promise<T>;
}

/**
 * An operation that changes the host: it holds the host-wide lock (one run at a time, for every
 * user and the CLI) and first finishes or undoes what an interrupted run left.
 */
async function changeHost(watch: UpdateActionContext, kind: ProgressEvent['operation'], title: string, work: () => Promise<OperationOutcome>): Promise<OperationOutcome> {
  return await watch.run(kind, title, async () => {
    try {
      return await withHostRun(watch.session, watch.checks, kind, work, {
        emit: (e) => watch.emitProgress(e),
        onResolved: (lines) => watch.log(`watch: ${lines.join(' ')}`),
      });
    } catch (error) {
      if (error instanceof HostBusyError) return { ok: false, code: error.code, message: error.message, hostState: 'The host is as it was.' };
      throw error;
    }
  });
}

/**
 * Resolves the booted image's tag and verifies what it names now. With `askHost` (a person asked)
 * rpm-ostree checks too, which refreshes its cached update but may need polkit authorization; the
 * periodic background check leaves it out so it never raises a password prompt.
 */
export async function checkForUpdate(watch: UpdateActionContext, options: { askHost?: boolean } = {}): Promise<OperationOutcome> {
  return await watch.run('check', 'Checking for updates', async () => {
    const host = watch.session.host;
    const image = imageOf(host.state.booted);
    let hostProblem: string | undefined;
    if ((options.askHost ?? true) && host.state.daemon === 'running') {
      try {
        const outcome = await followTransaction(await host.checkForUpdate(), 'check', 'Asking rpm-ostree for updates', (e) => watch.emitProgress(e));
        if (!outcome.ok) hostProblem = outcome.error.message;
      } catch (error) {
        hostProblem = describeError(error);
      }
    }
    if (!image?.tag) {
      const message = hostProblem ?? 'This host does not follow a registry image tag; there is nothing for Vespera Updates to check.';
      watch.findings.lastCheck = { at: watch.session.now(), ok: hostProblem === undefined, message };
      return { ok: hostProblem === undefined, message, ...(hostProblem ? { code: 'check-failed' } : {}) };
    }
    watch.emitProgress({ operation: 'check', step: 'Looking up the image in its registry' });
    let resolved: ResolvedImage;
    try {
      resolved = await watch.checks.resolve(image);
    } catch (error) {
      const failure = failureOf(image, error);
      const message = `Could not check for updates: ${failure.message.replace(/\.?$/, '.')} Nothing was installed; the host is as it was.${hostNote(hostProblem)}`;
      watch.findings.lastCheck = { at: watch.session.now(), ok: false, message };
      watch.publish();
      return { ok: false, code: failure.code, message };
    }
    const state = host.state;
    const offer = judgeOffer(state, resolved);
    watch.findings.offer = { resolved, verdict: offer };
    if (offer.kind === 'older') {
      // Never an update, whatever its signature: going back is the rollback wizard's decision.
      watch.findings.available = undefined;
      watch.findings.lastCheck = { at: watch.session.now(), ok: true, message: offer.notice.message };
      watch.publish();
      return { ok: false, code: 'tag-downgrade', message: `${offer.notice.message}${hostNote(hostProblem)}` };
    }
    if (offer.kind === 'current') {
      watch.findings.available = undefined;
      const staged = resolved.platformDigest === state.staged?.imageDigest;
      const message = `${staged ? 'The newest build is already staged for the next restart.' : 'Up to date: this host runs the newest build.'}${hostNote(hostProblem)}`;
      watch.findings.lastCheck = { at: watch.session.now(), ok: true, message };
      await watch.refresh();
      return { ok: true, message };
    }
    watch.findings.available = { resolved };
    await watch.digestChecks.expect(image);
    watch.emitProgress({ operation: 'check', step: 'Verifying the update’s signature' });
    const key = checkKey(image, resolved.platformDigest);
    watch.digestChecks.start(key, () => watch.checks.checkResolved(resolved, { fresh: true }), true);
    const check = await watch.digestChecks.checked(key);
    const verdict = verdictOf(check);
    const version = resolved.version ?? resolved.platformDigest;
    const why = failureText(check) ?? 'it was not checked';
    const message =
      verdict === 'verified'
        ? `A signed update is available: ${version}.${unboundNote(check)}`
        : verdict === 'unchecked'
          ? `An update (${version}) is available, but its signature could not be checked, so it will not be installed until it verifies: ${why}`
          : `An update (${version}) is available, but it failed its signature check and will not be installed: ${why}`;
    watch.findings.lastCheck = { at: watch.session.now(), ok: verdict !== 'unchecked', message: `${message}${hostNote(hostProblem)}` };
    watch.publish();
    if (verdict === 'verified') return { ok: true, message: `${message}${hostNote(hostProblem)}` };
    return { ok: false, message: `${message}${hostNote(hostProblem)}`, code: verdict === 'unchecked' ? 'update-unchecked' : 'update-not-verified' };
  });
}

/**
 * Stages the verified update. Where the app enforces (keyless-only images) it deploys that exact
 * digest, finalization-locked; elsewhere rpm-ostree upgrades and the app verifies what it staged.
 */
export async function stageUpdate(watch: UpdateActionContext): Promise<OperationOutcome> {
  const available = watch.available();
  if (!available) return { ok: false, code: 'nothing-available', message: 'There is no update to stage; check for updates first.' };
  if (available.check?.status !== 'done' || !isVerified(available.check.result)) {
    return { ok: false, code: 'update-not-verified', message: 'The available update has not passed its signature check, so it will not be staged.' };
  }
  const broken = brokenPolicy(watch.enforcement());
  if (broken) return { ok: false, code: 'policy-invalid', message: `Not staged: rpm-ostree cannot download any image while the signature policy does not load. ${broken}`, hostState: 'The host is as it was.' };
  const appEnforced = watch.enforcement()?.mode === 'app-enforced';
  return await changeHost(watch, 'stage', 'Staging the update', async () => {
    let transaction: Transaction;
    try {
      transaction = appEnforced
        ? await watch.session.host.deployDigest(available.digest, { lockFinalization: true })
        : await watch.session.host.stageUpdate();
    } catch (error) {
      return hostFailure(error, 'Nothing was staged.');
    }
    const outcome = await followTransaction(transaction, 'stage', appEnforced ? 'Staging the verified digest' : 'Staging the update', (e) => watch.emitProgress(e));
    if (!outcome.ok) return { ok: false, code: outcome.error.code, message: `${outcome.error.message} Nothing was staged.`, hostState: 'The host is as it was.' };
    await watch.refresh();
    const staged = watch.session.host.state.staged;
    const stagedImage = imageOf(staged);
    const check = staged && stagedImage && staged.imageDigest ? await watch.digestChecks.checked(checkKey(stagedImage, staged.imageDigest)) : undefined;
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
export async function restartIntoStaged(watch: UpdateActionContext): Promise<OperationOutcome> {
  const host = watch.session.host;
  const staged = host.state.staged;
  if (!staged) {
    if (host.state.pending) return await changeHost(watch, 'restart', 'Restarting', () => rebootHost(watch));
    return { ok: false, code: 'nothing-staged', message: 'Nothing is waiting for a restart.' };
  }
  const image = imageOf(staged);
  if (image && staged.imageDigest) {
    const key = checkKey(image, staged.imageDigest);
    watch.digestChecks.start(key, () => watch.checks.checkDeployment(staged, { fresh: true }), true);
    const check = await watch.digestChecks.checked(key);
    const verdict = verdictOf(check);
    if (verdict === 'unchecked') {
      return { ok: false, code: 'update-unchecked', message: `The staged update's signature could not be checked (${failureText(check) ?? ''}); it was not applied. Try again when the registry can be reached.` };
    }
    if (verdict !== 'verified') {
      return { ok: false, code: 'update-not-verified', message: `The staged update is not verified (${failureText(check) ?? 'it could not be checked'}); it was not applied. Discard it.` };
    }
  }
  if (!staged.finalizationLocked) return await changeHost(watch, 'restart', 'Restarting into the update', () => rebootHost(watch));
  return await changeHost(watch, 'restart', 'Restarting into the verified update', async () => {
    try {
      const outcome = await followTransaction(await host.finalizeDeployment(staged), 'restart', 'Releasing the verified update', (e) => watch.emitProgress(e));
      if (!outcome.ok) return { ok: false, code: outcome.error.code, message: `${outcome.error.message} The computer was not restarted.` };
      return { ok: true, message: 'Restarting into the verified update.' };
    } catch (error) {
      return hostFailure(error, 'The computer was not restarted.');
    }
  });
}

async function rebootHost(watch: UpdateActionContext): Promise<OperationOutcome> {
  try {
    await watch.session.host.reboot();
    return { ok: true, message: 'Restarting.' };
  } catch (error) {
    return hostFailure(error, 'The computer was not restarted.');
  }
}

/** Removes the staged deployment (`Cleanup(pending-deploy)`): the next boot is the current system. */
export async function discardStagedUpdate(watch: UpdateActionContext): Promise<OperationOutcome> {
  if (!watch.session.host.state.staged) return { ok: false, code: 'nothing-staged', message: 'There is no staged update to discard.' };
  const outcome = await changeHost(watch, 'discard', 'Discarding the staged update', async (): Promise<OperationOutcome> => {
    try {
      const done = await followTransaction(await watch.session.host.cleanup(['pending-deploy']), 'discard', 'Removing the staged deployment', (e) => watch.emitProgress(e));
      if (!done.ok) return { ok: false, code: done.error.code, message: done.error.message };
      await watch.refresh();
      const next = plainRestartTarget(watch.session.host.state);
      return { ok: true, message: `The staged update was discarded; the next boot is ${next?.booted ? 'the current system' : (next?.version ?? 'the default deployment')}.` };
    } catch (error) {
      return hostFailure(error, 'Nothing was discarded.');
    }
  });
  // What the tag offers is offered again (a good update stays available; a bad one stays reported).
  if (outcome.ok) await checkForUpdate(watch, { askHost: false });
  return outcome;
}

/** rpm-ostree's own update check failing is worth saying, after what the registry showed. */
function hostNote(problem: string | undefined): string {
  return problem ? ` (rpm-ostree's own check did not complete: ${problem})` : '';
}

function hostFailure(error: unknown, consequence: string): OperationOutcome {
  if (error instanceof HostError) return { ok: false, code: error.code, message: `${error.message} ${consequence}` };
  return { ok: false, code: 'unknown', message: `${describeError(error)} ${consequence}` };
}
