// What the privileged helper does as root: apply a plan, list backups, restore one. It trusts nothing
// it is given: paths come from fixed targets, contents are re-validated with the same model, the old
// files are backed up first, and a failed write or re-check puts the backup back.

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readdir, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CodedError, describeError } from '../shared/errors.ts';
import { diskPathOf, hostPathOf, OWN_REGISTRIES_FILE, policyPaths, readRegistriesFiles, type PlanTarget, type PolicyPaths } from './host-files.ts';
import { readLocatedJson, type JsonNode } from './located-json.ts';
import { checkRepositoryName, formatEnforcement, MAX_ENFORCEMENT_CHARS, NO_ENFORCEMENT, parseEnforcementText, withMode } from './host-enforcement.ts';
import { checkPolicyChange, keyPathsOf } from './policy-change.ts';
import { parsePolicyText, PolicyFileError, MAX_POLICY_CHARS } from './policy-parse.ts';
import { sha256Text, type HelperPlan } from './plan.ts';
import { checkKeyFileName, MAX_KEY_CHARS, parsePublisherKey } from './public-key.ts';
import { mergeRegistriesFiles, parseRegistriesFile } from './registries-d.ts';
import { checkTarget, ensurePrivateFolder, readRegular, removeFile, removeStaleTemps, writeAtomically, type WriteFaults } from './safe-files.ts';

/** Exit codes of the helper program; each failure code says whether anything changed. */
export const HELPER_EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  refusedInput: 3,
  stalePlan: 4,
  unsafeTarget: 5,
  revalidationFailed: 6,
  writeFailed: 7,
  restoreFailed: 8,
  notAuthorized: 9,
  notFound: 10,
} as const;

export type HelperCode =
  | 'helper-failure'
  | 'helper-usage'
  | 'helper-refused-input'
  | 'helper-stale-plan'
  | 'helper-unsafe-target'
  | 'helper-revalidation-failed'
  | 'helper-write-failed'
  | 'helper-restore-failed'
  | 'helper-not-authorized'
  | 'helper-not-found';

const EXIT_OF: Record<HelperCode, number> = {
  'helper-failure': HELPER_EXIT.failure,
  'helper-usage': HELPER_EXIT.usage,
  'helper-refused-input': HELPER_EXIT.refusedInput,
  'helper-stale-plan': HELPER_EXIT.stalePlan,
  'helper-unsafe-target': HELPER_EXIT.unsafeTarget,
  'helper-revalidation-failed': HELPER_EXIT.revalidationFailed,
  'helper-write-failed': HELPER_EXIT.writeFailed,
  'helper-restore-failed': HELPER_EXIT.restoreFailed,
  'helper-not-authorized': HELPER_EXIT.notAuthorized,
  'helper-not-found': HELPER_EXIT.notFound,
};

export class HelperError extends CodedError<HelperCode> {
  get exitCode(): number {
    return EXIT_OF[this.code];
  }
}

export function exitCodeOf(code: HelperCode): number {
  return EXIT_OF[code];
}

export interface HelperContext {
  /** `/` on a host; a temp folder in tests. etc is `root/etc`, backups `root/var/lib/…`. */
  readonly root: string;
  readonly faults?: WriteFaults;
  /** Who asked (PKEXEC_UID), recorded in the backup. */
  readonly requestedBy?: string;
}

export interface BackupFile {
  readonly target: PlanTarget;
  readonly hostPath: string;
  readonly existed: boolean;
  readonly sha256?: string;
  /** File name of the saved copy inside the backup folder. */
  readonly saved?: string;
}

export interface BackupManifest {
  readonly format: 'vespera-policy-backup/1';
  readonly id: string;
  readonly created: string;
  readonly reason: 'apply' | 'restore';
  /** For a restore: the backup restored. */
  readonly restoring?: string;
  readonly requestedBy?: string;
  readonly complete: boolean;
  readonly outcome?: 'applied' | 'rolled-back' | 'restored';
  readonly files: readonly BackupFile[];
}

export interface HelperResult {
  readonly message: string;
  readonly backup?: string;
  readonly changed: readonly string[];
}

const MAX_PLAN_CHANGES = 16;
const MAX_BACKUPS = 20;
const BACKUP_ID = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;
const ORDER: Record<PlanTarget['kind'], number> = { key: 0, registries: 1, policy: 2, enforcement: 3 };

function backupsDir(ctx: HelperContext): string {
  return join(ctx.root, 'var', 'lib', 'vespera-updates', 'policy-backups');
}

function pathsOf(ctx: HelperContext): PolicyPaths {
  return policyPaths(join(ctx.root, 'etc'));
}

function refuse(message: string): never {
  throw new HelperError('helper-refused-input', `Refused, nothing was changed: ${message}`);
}

function maxBytesOf(target: PlanTarget): number {
  return target.kind === 'key' ? MAX_KEY_CHARS : target.kind === 'enforcement' ? MAX_ENFORCEMENT_CHARS : MAX_POLICY_CHARS;
}

// ---- the plan on stdin ----

function objectMembers(node: JsonNode, what: string, known: readonly string[]): Map<string, JsonNode> {
  if (node.kind !== 'object') refuse(`${what} must be a JSON object`);
  const out = new Map<string, JsonNode>();
  for (const m of node.members) {
    if (!known.includes(m.key)) refuse(`${what} has an unknown key "${m.key}"`);
    out.set(m.key, m.value);
  }
  return out;
}

function parseTarget(node: JsonNode | undefined): PlanTarget {
  if (!node) refuse('a change has no target');
  const m = objectMembers(node, 'a target', ['kind', 'name']);
  const kind = m.get('kind');
  if (kind?.kind !== 'string') refuse('a target has no kind');
  if (kind.value === 'policy' || kind.value === 'registries') {
    if (m.has('name')) refuse(`a ${kind.value} target takes no name`);
    return { kind: kind.value };
  }
  if (kind.value !== 'key') refuse(`unknown target kind "${kind.value}" (the helper writes only policy.json, its registries.d file and keys)`);
  const name = m.get('name');
  if (name?.kind !== 'string') refuse('a key target needs a name');
  try {
    return { kind: 'key', name: checkKeyFileName(name.value) };
  } catch (error) {
    return refuse(describeError(error));
  }
}

/** Parses the plan JSON, refusing anything unexpected. */
export function parseHelperPlan(text: string): HelperPlan {
  let root: JsonNode;
  try {
    root = readLocatedJson(text, { maxLength: 4 * MAX_POLICY_CHARS, maxDepth: 8 }).root;
  } catch (error) {
    return refuse(`the plan is not valid JSON (${describeError(error)})`);
  }
  const top = objectMembers(root, 'the plan', ['format', 'changes']);
  const format = top.get('format');
  if (format?.kind !== 'string' || format.value !== 'vespera-policy-plan/1') refuse('the plan is not in the format vespera-policy-plan/1');
  const changes = top.get('changes');
  if (changes?.kind !== 'array') refuse('the plan has no list of changes');
  if (changes.items.length === 0) refuse('the plan changes nothing');
  if (changes.items.length > MAX_PLAN_CHANGES) refuse(`the plan has more than ${MAX_PLAN_CHANGES} changes`);
  const seen = new Set<string>();
  const parsed = changes.items.map((item) => {
    const m = objectMembers(item, 'a change', ['target', 'beforeSha256', 'after']);
    const target = parseTarget(m.get('target'));
    const id = JSON.stringify(target);
    if (seen.has(id)) refuse(`the plan changes ${hostPathOf(target)} twice`);
    seen.add(id);
    const before = m.get('beforeSha256');
    if (!before || (before.kind !== 'null' && (before.kind !== 'string' || !/^[0-9a-f]{64}$/.test(before.value)))) refuse(`the change of ${hostPathOf(target)} has no valid beforeSha256`);
    const after = m.get('after');
    if (after?.kind !== 'string') refuse(`the change of ${hostPathOf(target)} has no new content`);
    if (after.value.length > maxBytesOf(target)) refuse(`the new ${hostPathOf(target)} is too large`);
    return { target, beforeSha256: before.kind === 'string' ? before.value : null, after: after.value };
  });
  return { format: 'vespera-policy-plan/1', changes: parsed };
}

// ---- validation of new contents, as root ----

interface Validated {
  readonly target: PlanTarget;
  readonly path: string;
  readonly before: string | null;
  readonly after: string;
}

async function currentText(ctx: HelperContext, target: PlanTarget, create: boolean): Promise<string | null> {
  const path = diskPathOf(pathsOf(ctx), target);
  try {
    await checkTarget(ctx.root, path, create);
    const bytes = await readRegular(path, maxBytesOf(target));
    return bytes === null ? null : bytes.toString('utf8');
  } catch (error) {
    if (error instanceof CodedError && error.code === 'unsafe-target') throw new HelperError('helper-unsafe-target', `Refused, nothing was changed: ${error.message}`);
    throw error;
  }
}

/** Checks the contents the helper is about to have on disk: every rule of the model, plus its own limits. */
async function validateContents(ctx: HelperContext, changes: readonly Validated[], originalPolicy: string | null): Promise<string[]> {
  const problems: string[] = [];
  const keyDir = pathsOf(ctx).keyDir;
  const written = new Set<string>();
  for (const c of changes) {
    if (c.target.kind !== 'key') continue;
    written.add(hostPathOf(c.target));
    if (c.before !== null) problems.push(`${hostPathOf(c.target)} already exists; the helper never replaces a key other rules may trust`);
    try {
      const key = parsePublisherKey(c.after, hostPathOf(c.target));
      if (key.pem !== c.after) problems.push(`${hostPathOf(c.target)} is not in canonical PEM form`);
    } catch (error) {
      problems.push(describeError(error));
    }
  }
  const registries = changes.find((c) => c.target.kind === 'registries');
  if (registries) {
    try {
      const content = parseRegistriesFile(OWN_REGISTRIES_FILE, registries.after);
      if (content.defaultDocker) problems.push(`${hostPathOf(registries.target)} may not define default-docker`);
      for (const e of content.docker) {
        if (e.useSigstoreAttachments !== true || e.lookaside !== undefined || e.lookasideStaging !== undefined) {
          problems.push(`${hostPathOf(registries.target)} may only turn use-sigstore-attachments on (scope "${e.scope}")`);
        }
      }
      if (registries.before !== null) {
        const kept = new Set(content.docker.map((e) => e.scope));
        for (const e of parseRegistriesFile(OWN_REGISTRIES_FILE, registries.before).docker) {
          if (!kept.has(e.scope)) problems.push(`${hostPathOf(registries.target)} would drop its entry for "${e.scope}"`);
        }
      }
      const others = (await readRegistriesFiles(pathsOf(ctx).registriesDir)).filter((f) => f.name !== OWN_REGISTRIES_FILE);
      mergeRegistriesFiles([...others, { name: OWN_REGISTRIES_FILE, text: registries.after }]);
    } catch (error) {
      problems.push(describeError(error));
    }
  }
  const enforcement = changes.find((c) => c.target.kind === 'enforcement');
  if (enforcement) {
    try {
      parseEnforcementText(enforcement.after, `the new ${hostPathOf(enforcement.target)}`);
    } catch (error) {
      problems.push(describeError(error));
    }
  }
  const policy = changes.find((c) => c.target.kind === 'policy');
  if (policy) {
    if (originalPolicy === null) problems.push(`${hostPathOf(policy.target)} does not exist; the helper only changes an existing policy`);
    else {
      try {
        const before = parsePolicyText(originalPolicy, hostPathOf(policy.target));
        const after = parsePolicyText(policy.after, `the new ${hostPathOf(policy.target)}`);
        const report = checkPolicyChange(before, after);
        problems.push(...report.violations.map((v) => `in the new policy, ${v}`));
        const docker = after.transports.find((t) => t.transport === 'docker');
        for (const scope of [...report.addedScopes, ...report.replaced]) {
          for (const keyPath of keyPathsOf(docker?.scopes.find((s) => s.scope === scope)?.requirements ?? [])) {
            if (written.has(keyPath)) continue;
            const name = keyPath.slice(keyPath.lastIndexOf('/') + 1);
            try {
              const existing = await readRegular(join(keyDir, checkKeyFileName(name)), MAX_KEY_CHARS);
              if (existing === null) problems.push(`the new rule for "${scope}" trusts ${keyPath}, which does not exist`);
              else parsePublisherKey(existing.toString('utf8'), keyPath);
            } catch (error) {
              problems.push(describeError(error));
            }
          }
        }
      } catch (error) {
        if (error instanceof PolicyFileError && error.source === hostPathOf(policy.target)) {
          problems.push(`the current policy is invalid, fix it first: ${error.message}`);
        } else problems.push(describeError(error));
      }
    }
  }
  return problems;
}

// ---- backups ----

function newBackupId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

async function writeManifest(ctx: HelperContext, manifest: BackupManifest): Promise<void> {
  await writeAtomically(join(backupsDir(ctx), manifest.id, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
}

async function createBackup(ctx: HelperContext, files: readonly { target: PlanTarget; before: string | null }[], reason: BackupManifest['reason'], restoring?: string): Promise<BackupManifest> {
  await ensurePrivateFolder(ctx.root, backupsDir(ctx));
  const id = newBackupId();
  const folder = join(backupsDir(ctx), id);
  await checkTarget(ctx.root, join(folder, 'manifest.json'), true);
  const saved: BackupFile[] = [];
  for (const [i, f] of files.entries()) {
    if (f.before === null) {
      saved.push({ target: f.target, hostPath: hostPathOf(f.target), existed: false });
      continue;
    }
    const name = `file-${i}`;
    await writeAtomically(join(folder, name), f.before, { mode: 0o600 });
    saved.push({ target: f.target, hostPath: hostPathOf(f.target), existed: true, sha256: sha256Text(f.before), saved: name });
  }
  const manifest: BackupManifest = {
    format: 'vespera-policy-backup/1',
    id,
    created: new Date().toISOString(),
    reason,
    ...(restoring ? { restoring } : {}),
    ...(ctx.requestedBy ? { requestedBy: ctx.requestedBy } : {}),
    complete: false,
    files: saved,
  };
  await writeManifest(ctx, manifest);
  return manifest;
}

async function readManifest(ctx: HelperContext, id: string): Promise<BackupManifest> {
  if (!BACKUP_ID.test(id)) throw new HelperError('helper-usage', `"${id}" is not a backup id; list them with: vespera-updates policy restore`);
  const path = join(backupsDir(ctx), id, 'manifest.json');
  await checkTarget(ctx.root, path, false);
  const bytes = await readRegular(path, 256 * 1024);
  if (bytes === null) throw new HelperError('helper-not-found', `There is no backup ${id}; list them with: vespera-updates policy restore`);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(bytes.toString('utf8')) as BackupManifest;
  } catch {
    throw new HelperError('helper-failure', `The backup ${id} is damaged (its manifest is not readable); it was left as it is.`);
  }
  if (manifest.format !== 'vespera-policy-backup/1' || manifest.id !== id || !Array.isArray(manifest.files)) {
    throw new HelperError('helper-failure', `The backup ${id} is damaged (its manifest is not readable); it was left as it is.`);
  }
  const files: readonly BackupFile[] = manifest.files;
  for (const f of files) hostPathOf(f.target);
  return manifest;
}

async function savedText(ctx: HelperContext, manifest: BackupManifest, file: BackupFile): Promise<string | null> {
  if (!file.existed) return null;
  if (!file.saved || !/^file-\d+$/.test(file.saved)) throw new HelperError('helper-failure', `The backup ${manifest.id} is damaged; it was left as it is.`);
  const bytes = await readRegular(join(backupsDir(ctx), manifest.id, file.saved), maxBytesOf(file.target));
  const text = bytes?.toString('utf8') ?? null;
  if (text === null || sha256Text(text) !== file.sha256) throw new HelperError('helper-failure', `The saved copy of ${file.hostPath} in backup ${manifest.id} does not match its checksum; it was left as it is.`);
  return text;
}

/** Puts every file of a backup back (restoring content or removing files that did not exist). */
async function putBack(ctx: HelperContext, manifest: BackupManifest): Promise<void> {
  const files = [...manifest.files].sort((a, b) => ORDER[b.target.kind] - ORDER[a.target.kind]);
  for (const f of files) {
    const path = diskPathOf(pathsOf(ctx), f.target);
    await checkTarget(ctx.root, path, true);
    const text = await savedText(ctx, manifest, f);
    if (text === null) await removeFile(path);
    else await writeAtomically(path, text);
  }
  for (const f of files) {
    const bytes = await readRegular(diskPathOf(pathsOf(ctx), f.target), maxBytesOf(f.target));
    const now = bytes?.toString('utf8') ?? null;
    if ((now === null) !== !f.existed || (now !== null && sha256Text(now) !== f.sha256)) throw new Error(`${f.hostPath} did not read back as saved`);
  }
}

async function pruneBackups(ctx: HelperContext): Promise<void> {
  const all = await listBackups(ctx);
  for (const old of all.filter((b) => b.complete).slice(MAX_BACKUPS)) {
    const folder = join(backupsDir(ctx), old.id);
    for (const name of await readdir(folder)) await removeFile(join(folder, name));
    await rmdir(folder);
  }
}

export async function listBackups(ctx: HelperContext): Promise<BackupManifest[]> {
  let names: string[];
  try {
    names = await readdir(backupsDir(ctx));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: BackupManifest[] = [];
  for (const name of names.filter((n) => BACKUP_ID.test(n))) {
    try {
      out.push(await readManifest(ctx, name));
    } catch {
      // A damaged backup is left alone and not offered.
    }
  }
  return out.sort((a, b) => b.id.localeCompare(a.id));
}

// ---- the verbs ----

/** One change at a time: a second apply or restore (a double click, the CLI and the app) waits its turn by refusing. */
async function withLock<T>(ctx: HelperContext, work: () => Promise<T>): Promise<T> {
  const folder = join(ctx.root, 'var', 'lib', 'vespera-updates');
  await checkTarget(ctx.root, join(folder, 'x'), true);
  const lock = join(folder, 'policy-helper.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const holder = Number((await readRegular(lock, 64).catch(() => null))?.toString('utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
        throw new HelperError('helper-refused-input', `Refused, nothing was changed: another policy change (process ${holder}) is in progress; try again when it has finished.`);
      }
      await removeFile(lock);
    }
  }
  try {
    return await work();
  } finally {
    await removeFile(lock);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function cleanTemps(ctx: HelperContext): Promise<void> {
  const paths = pathsOf(ctx);
  for (const folder of [join(paths.etcRoot, 'containers'), paths.registriesDir, paths.keyDir, dirname(paths.enforcementFile)]) await removeStaleTemps(folder);
}

async function verifyWritten(ctx: HelperContext, changes: readonly Validated[], originalPolicy: string | null): Promise<string[]> {
  const problems: string[] = [];
  const reread: Validated[] = [];
  for (const c of changes) {
    const bytes = await readRegular(c.path, maxBytesOf(c.target));
    const now = bytes?.toString('utf8') ?? null;
    if (now !== c.after) problems.push(`${hostPathOf(c.target)} did not read back as written`);
    reread.push({ ...c, after: now ?? '' });
  }
  if (problems.length > 0) return problems;
  return await validateContents(ctx, reread.map((c) => (c.target.kind === 'key' ? { ...c, before: null } : c)), originalPolicy);
}

export async function applyPlan(ctx: HelperContext, planText: string): Promise<HelperResult> {
  const plan = parseHelperPlan(planText);
  return await withLock(ctx, () => applyParsed(ctx, plan));
}

async function applyParsed(ctx: HelperContext, plan: HelperPlan): Promise<HelperResult> {
  const changes: Validated[] = [];
  for (const change of [...plan.changes].sort((a, b) => ORDER[a.target.kind] - ORDER[b.target.kind])) {
    const before = await currentText(ctx, change.target, false);
    if ((before === null ? null : sha256Text(before)) !== change.beforeSha256) {
      throw new HelperError('helper-stale-plan', `Nothing was changed: ${hostPathOf(change.target)} changed since the plan was made. Make the plan again and review it.`);
    }
    changes.push({ target: change.target, path: diskPathOf(pathsOf(ctx), change.target), before, after: change.after });
  }
  const originalPolicy = await currentText(ctx, { kind: 'policy' }, false);
  await cleanTemps(ctx);
  const problems = await validateContents(ctx, changes, originalPolicy);
  if (problems.length > 0) refuse(problems.join('; '));

  const backup = await createBackup(ctx, changes, 'apply');
  const restoreHint = `restore with: vespera-updates policy restore ${backup.id}`;
  try {
    for (const c of changes) {
      await checkTarget(ctx.root, c.path, true);
      await writeAtomically(c.path, c.after, { ...(ctx.faults ? { faults: ctx.faults } : {}), ...(c.target.kind === 'key' ? { mode: 0o644 } : {}) });
    }
  } catch (error) {
    await rollBack(ctx, backup, 'helper-write-failed', `writing failed (${describeError(error)})`);
  }
  const after = await verifyWritten(ctx, changes, originalPolicy);
  if (after.length > 0) await rollBack(ctx, backup, 'helper-revalidation-failed', `the files re-read after writing failed validation (${after.join('; ')})`);
  await writeManifest(ctx, { ...backup, complete: true, outcome: 'applied' });
  await pruneBackups(ctx);
  const changed = changes.map((c) => hostPathOf(c.target));
  return { message: `Applied: wrote ${changed.join(', ')}; the previous files are in backup ${backup.id} (${restoreHint}).`, backup: backup.id, changed };
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
  return await withLock(ctx, async () => {
    const target: PlanTarget = { kind: 'enforcement' };
    const before = await currentText(ctx, target, false);
    let record = NO_ENFORCEMENT;
    if (before !== null) {
      try {
        record = parseEnforcementText(before, hostPathOf(target));
      } catch (error) {
        refuse(`the current record is damaged, so it was left for a person to look at: ${describeError(error)}`);
      }
    }
    const next = withMode(record, repository, mode, new Date(), ctx.requestedBy);
    if (next === record && before !== null) return { message: `Nothing to change: ${hostPathOf(target)} already says ${repository} is ${mode === 'app' ? '' : 'not '}app-enforced.`, changed: [] };
    return await applyParsed(ctx, { format: 'vespera-policy-plan/1', changes: [{ target, beforeSha256: before === null ? null : sha256Text(before), after: formatEnforcement(next) }] });
  });
}

export async function restoreBackup(ctx: HelperContext, id: string): Promise<HelperResult> {
  const manifest = await readManifest(ctx, id);
  return await withLock(ctx, () => restoreManifest(ctx, manifest));
}

async function restoreManifest(ctx: HelperContext, manifest: BackupManifest): Promise<HelperResult> {
  const id = manifest.id;
  for (const f of manifest.files) await savedText(ctx, manifest, f);
  const current: { target: PlanTarget; before: string | null }[] = [];
  for (const f of manifest.files) current.push({ target: f.target, before: await currentText(ctx, f.target, false) });
  await cleanTemps(ctx);
  const undo = await createBackup(ctx, current, 'restore', id);
  try {
    await putBack(ctx, manifest);
  } catch (error) {
    await rollBack(ctx, undo, 'helper-write-failed', `restoring backup ${id} failed (${describeError(error)})`);
  }
  await writeManifest(ctx, { ...undo, complete: true, outcome: 'restored' });
  let note = '';
  const policy = manifest.files.find((f) => f.target.kind === 'policy');
  if (policy?.existed) {
    try {
      parsePolicyText((await savedText(ctx, manifest, policy)) ?? '', hostPathOf(policy.target));
    } catch (error) {
      note = ` Note: the restored policy.json is invalid, as it was before: ${describeError(error)}`;
    }
  }
  const changed = manifest.files.map((f) => f.hostPath);
  return { message: `Restored backup ${id} (${changed.join(', ')}); the files it replaced are in backup ${undo.id}.${note}`, backup: undo.id, changed };
}
