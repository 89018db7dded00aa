// What the privileged helper does as root: apply a plan, list backups, restore one. Every change goes
// through one transaction (commitChanges): under the lock, stale check, validation, backup, atomic
// writes, read-back and re-validation, and the backup put back when anything fails.

import { dirname, join } from 'node:path';
import { describeError } from '../shared/errors.ts';
import { diskPathOf, hostPathOf, type HelperTarget } from './host-files.ts';
import { checkRepositoryName, formatEnforcement, NO_ENFORCEMENT, parseEnforcementText, withMode } from './host-enforcement.ts';
import { currentText, HelperError, pathsOf, refuse, TARGET_RULES, withLock, type HelperContext, type HelperResult } from './helper-context.ts';
import { applyProblems, parseHelperPlan, type StagedFile } from './helper-plan.ts';
import { sha256Text } from './plan.ts';
import { backupsDir, createBackup, pruneBackups, putBack, readManifest, restoreConsent, savedText, writeManifest, type BackupManifest } from './policy-backups.ts';
import { parsePolicyText } from './policy-parse.ts';
import { looseningsOf } from './policy-strictness.ts';
import { checkTarget, readRegular, removeFile, removeStaleTemps, writeAtomically } from './safe-files.ts';

export { exitCodeOf, HELPER_EXIT, HelperError, type HelperCode, type HelperContext, type HelperResult } from './helper-context.ts';
export { listBackups, type BackupFile, type BackupManifest } from './policy-backups.ts';
export { parseHelperPlan } from './helper-plan.ts';

/** One file a transaction writes (`after` text) or removes (`after` null). */
export interface FileChange {
  readonly target: HelperTarget;
  readonly after: string | null;
  /** The SHA-256 the file must still have (null: must not exist); omitted: whatever is there. */
  readonly expectSha256?: string | null;
}

export interface TransactionRequest {
  readonly reason: BackupManifest['reason'];
  /** For a restore: the backup being restored. */
  readonly restoring?: string;
  readonly changes: readonly FileChange[];
  /**
   * Everything wrong with the files as they would be (empty: go ahead); run before writing and again on
   * what is read back after. May throw a HelperError to stop with its own code.
   */
  readonly validate: (files: readonly StagedFile[], phase: 'before-write' | 'after-write') => Promise<string[]>;
}

export interface TransactionResult {
  readonly backup: BackupManifest;
  readonly changed: readonly string[];
}

/** Removes temp files a killed helper left: in the policy folders and in those of the files about to change. */
async function cleanTemps(ctx: HelperContext, targets: readonly HelperTarget[]): Promise<void> {
  const paths = pathsOf(ctx);
  const folders = new Set([join(paths.etcRoot, 'containers'), paths.registriesDir, paths.keyDir, ...targets.map((t) => dirname(diskPathOf(paths, t)))]);
  for (const folder of folders) await removeStaleTemps(folder);
}

/** Writes first (in TARGET_RULES order: what others refer to comes first), removals last, in reverse. */
function writeOrder(files: readonly StagedFile[]): StagedFile[] {
  const order = (f: StagedFile) => (f.after === null ? 100 - TARGET_RULES[f.target.kind].order : TARGET_RULES[f.target.kind].order);
  return [...files].sort((a, b) => order(a) - order(b));
}

/**
 * The one way the helper changes files; callers hold the lock (withLock). A new verb that writes files
 * describes its changes and its validation here, and gets the same stale check, backup, atomic writes,
 * read-back and rollback as apply and restore. A new kind of file is a HelperTarget (host-files.ts: its
 * fixed path) and a TARGET_RULES row (helper-context.ts: write order, size limit, mode).
 */
export async function commitChanges(ctx: HelperContext, request: TransactionRequest): Promise<TransactionResult> {
  const files: StagedFile[] = [];
  for (const change of request.changes) {
    const before = await currentText(ctx, change.target, false);
    if (change.expectSha256 !== undefined && (before === null ? null : sha256Text(before)) !== change.expectSha256) {
      throw new HelperError('helper-stale-plan', `Nothing was changed: ${hostPathOf(change.target)} changed since the plan was made. Make the plan again and review it.`);
    }
    files.push({ target: change.target, before, after: change.after });
  }
  await cleanTemps(ctx, files.map((f) => f.target));
  const problems = await request.validate(files, 'before-write');
  if (problems.length > 0) refuse(problems.join('; '));

  const ordered = writeOrder(files);
  const backup = await createBackup(ctx, ordered, request.reason, request.restoring);
  try {
    for (const f of ordered) {
      const path = diskPathOf(pathsOf(ctx), f.target);
      await checkTarget(ctx.root, path, true);
      if (f.after === null) await removeFile(path);
      else await writeAtomically(path, f.after, { ...(ctx.faults ? { faults: ctx.faults } : {}), mode: TARGET_RULES[f.target.kind].mode });
    }
  } catch (error) {
    await rollBack(ctx, backup, 'helper-write-failed', `writing failed (${describeError(error)})`);
  }
  const after = await readBack(ctx, ordered, request);
  if (after.length > 0) await rollBack(ctx, backup, 'helper-revalidation-failed', `the files re-read after writing failed validation (${after.join('; ')})`);
  return { backup, changed: ordered.map((f) => hostPathOf(f.target)) };
}

async function readBack(ctx: HelperContext, files: readonly StagedFile[], request: TransactionRequest): Promise<string[]> {
  const problems: string[] = [];
  const reread: StagedFile[] = [];
  for (const f of files) {
    const bytes = await readRegular(diskPathOf(pathsOf(ctx), f.target), TARGET_RULES[f.target.kind].maxBytes);
    const now = bytes?.toString('utf8') ?? null;
    if (now !== f.after) problems.push(`${hostPathOf(f.target)} did not read back as written`);
    reread.push({ ...f, after: now });
  }
  if (problems.length > 0) return problems;
  try {
    return await request.validate(reread, 'after-write');
  } catch (error) {
    return [describeError(error)];
  }
}

async function rollBack(ctx: HelperContext, backup: BackupManifest, code: 'helper-write-failed' | 'helper-revalidation-failed', what: string): Promise<never> {
  try {
    await putBack(ctx, backup);
  } catch (error) {
    throw new HelperError(
      'helper-restore-failed',
      `${what}, and putting the old files back failed too (${describeError(error)}). The old files are in ${join(backupsDir(ctx), backup.id)}; copy them back by hand.`,
    );
  }
  await writeManifest(ctx, { ...backup, complete: true, outcome: 'rolled-back' });
  throw new HelperError(code, `Nothing was changed: ${what}; the previous files were put back from backup ${backup.id}.`);
}

// ---- apply ----

export async function applyPlan(ctx: HelperContext, planText: string): Promise<HelperResult> {
  const plan = parseHelperPlan(planText);
  return await withLock(ctx, async () => {
    const originalPolicy = await currentText(ctx, { kind: 'policy' }, false);
    const { backup, changed } = await commitChanges(ctx, {
      reason: 'apply',
      changes: plan.changes.map((c) => ({ target: c.target, after: c.after, expectSha256: c.beforeSha256 })),
      validate: async (files) => await applyProblems(ctx, files, originalPolicy),
    });
    await writeManifest(ctx, { ...backup, complete: true, outcome: 'applied' });
    await pruneBackups(ctx);
    return {
      message: `Applied: wrote ${changed.join(', ')}; the previous files are in backup ${backup.id} (restore with: vespera-updates policy restore ${backup.id}).`,
      backup: backup.id,
      changed,
    };
  });
}

// ---- restore ----

export interface RestoreOptions {
  /** restoreConsent() of this backup over the current files: the person saw what loosens and agreed. */
  readonly looseningConfirmed?: string;
}

/** What restoring `restored` over `current` policy.json text loosens, in words; empty when nothing does. */
function restoreLoosenings(current: string | null, restored: string | null): string[] {
  // No policy, or one that does not load, fails every pull: restoring over it is never a tightening we
  // can prove, and removing or breaking the file is never a loosening.
  if (restored === null) return [];
  let after;
  try {
    after = parsePolicyText(restored, hostPathOf({ kind: 'policy' }));
  } catch {
    return [];
  }
  if (current === null) return ['/etc/containers/policy.json does not exist now, so every pull fails; the restored policy lets images through again'];
  let before;
  try {
    before = parsePolicyText(current, hostPathOf({ kind: 'policy' }));
  } catch (error) {
    return [`the current /etc/containers/policy.json does not load (${describeError(error)}), so every pull fails now; the restored policy lets images through again`];
  }
  return looseningsOf(before, after).map((l) => l.message);
}

export async function restoreBackup(ctx: HelperContext, id: string, options: RestoreOptions = {}): Promise<HelperResult> {
  const manifest = await readManifest(ctx, id);
  return await withLock(ctx, async () => {
    const changes: FileChange[] = [];
    for (const f of manifest.files) changes.push({ target: f.target, after: await savedText(ctx, manifest, f) });
    const { backup, changed } = await commitChanges(ctx, {
      reason: 'restore',
      restoring: id,
      changes,
      validate: (files, phase) => {
        if (phase === 'after-write') return Promise.resolve([]);
        const policy = files.find((f) => f.target.kind === 'policy');
        const loosenings = policy ? restoreLoosenings(policy.before, policy.after) : [];
        if (loosenings.length === 0) return Promise.resolve([]);
        const consent = restoreConsent(id, files.map((f) => ({ hostPath: hostPathOf(f.target), text: f.before })));
        if (options.looseningConfirmed === consent) return Promise.resolve([]);
        throw new HelperError(
          'helper-restore-loosens',
          `Nothing was changed: restoring backup ${id} would loosen the signature policy: ${loosenings.join('; ')}. It is restored only once you have seen this and confirmed it.`,
          { details: { loosenings, consent } },
        );
      },
    });
    await writeManifest(ctx, { ...backup, complete: true, outcome: 'restored' });
    await pruneBackups(ctx);
    let note = '';
    const policy = manifest.files.find((f) => f.target.kind === 'policy');
    if (policy?.existed) {
      try {
        parsePolicyText((await savedText(ctx, manifest, policy)) ?? '', hostPathOf(policy.target));
      } catch (error) {
        note = ` Note: the restored policy.json is invalid, as it was before: ${describeError(error)}`;
      }
    }
    return { message: `Restored backup ${id} (${changed.join(', ')}); the files it replaced are in backup ${backup.id}.${note}`, backup: backup.id, changed };
  });
}

// ---- changes the helper computes itself ----

/** A file a verb computes from what is on disk (`after` null: remove it). */
export interface ComputedChange {
  readonly target: HelperTarget;
  readonly after: string | null;
}

/**
 * For the verbs that are given no content (automatic-updates, enforce): under the lock, reads the
 * targets, lets `compute` decide from what is on disk now, and commits through commitChanges. `compute`
 * throws a HelperError to refuse; nothing to change is an answer, not a backup.
 */
export async function applyComputed(
  ctx: HelperContext,
  targets: readonly HelperTarget[],
  compute: (current: ReadonlyMap<HelperTarget['kind'], string | null>) => readonly ComputedChange[],
): Promise<HelperResult> {
  return await withLock(ctx, async () => {
    const current = new Map<HelperTarget['kind'], string | null>();
    for (const target of targets) current.set(target.kind, await currentText(ctx, target, false));
    const changes = compute(current).filter((c) => c.after !== (current.get(c.target.kind) ?? null));
    if (changes.length === 0) return { message: 'Nothing to change.', changed: [] };
    const { backup, changed } = await commitChanges(ctx, {
      reason: 'apply',
      // What `compute` saw must still be there when the files are written.
      changes: changes.map((c) => {
        const before = current.get(c.target.kind) ?? null;
        return { target: c.target, after: c.after, expectSha256: before === null ? null : sha256Text(before) };
      }),
      validate: () => Promise.resolve([]),
    });
    await writeManifest(ctx, { ...backup, complete: true, outcome: 'applied' });
    await pruneBackups(ctx);
    return { message: `Wrote ${changed.join(', ')}; the previous files are in backup ${backup.id} (restore with: vespera-updates policy restore ${backup.id}).`, backup: backup.id, changed };
  });
}

/**
 * Records whether Vespera Updates enforces `repository` itself (app-enforced mode) for the whole host.
 * The helper computes the new record from the one on disk: it is given only a name and a mode.
 */
export async function recordEnforcement(ctx: HelperContext, repository: string, mode: 'app' | 'none'): Promise<HelperResult> {
  try {
    checkRepositoryName(repository);
  } catch (error) {
    refuse(describeError(error));
  }
  const target: HelperTarget = { kind: 'enforcement' };
  return await applyComputed(ctx, [target], (current) => {
    const before = current.get('enforcement') ?? null;
    let record = NO_ENFORCEMENT;
    if (before !== null) {
      try {
        record = parseEnforcementText(before, hostPathOf(target));
      } catch (error) {
        refuse(`the current record is damaged, so it was left for a person to look at: ${describeError(error)}`);
      }
    }
    const next = withMode(record, repository, mode, new Date(), ctx.requestedBy);
    return next === record && before !== null ? [] : [{ target, after: formatEnforcement(next) }];
  });
}
