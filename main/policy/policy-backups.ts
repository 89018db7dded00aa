// The privileged helper's backups under /var/lib/vespera-updates/policy-backups: one private folder per
// change with the files it replaced and a manifest; listing, reading back by checksum, putting back, pruning.

import { createHash, randomBytes } from 'node:crypto';
import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { diskPathOf, hostPathOf, type HelperTarget } from './host-files.ts';
import { HelperError, pathsOf, TARGET_RULES, type HelperContext } from './helper-context.ts';
import { sha256Text } from './plan.ts';
import { checkTarget, ensurePrivateFolder, readRegular, removeFile, writeAtomically } from './safe-files.ts';

export interface BackupFile {
  readonly target: HelperTarget;
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

const MAX_BACKUPS = 20;
const BACKUP_ID = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;

export function backupsDir(ctx: HelperContext): string {
  return join(ctx.root, 'var', 'lib', 'vespera-updates', 'policy-backups');
}

function newBackupId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/**
 * What a person agrees to when a restore loosens the policy: this backup, over the files exactly as they
 * are now. The helper asks for it back before such a restore, so consent given for one state of the
 * files never covers another. Anyone who knows the files can compute it (the migration does, to undo
 * its own change); it binds consent, it does not authenticate: polkit does that.
 */
export function restoreConsent(backupId: string, current: readonly { readonly hostPath: string; readonly text: string | null }[]): string {
  return restoreConsentOfHashes(backupId, current.map((f) => ({ hostPath: f.hostPath, sha256: f.text === null ? null : sha256Text(f.text) })));
}

/** The same consent from the files' SHA-256 (null: absent), for a run that kept only what it wrote. */
export function restoreConsentOfHashes(backupId: string, current: readonly { readonly hostPath: string; readonly sha256: string | null }[]): string {
  const lines = [...current].sort((a, b) => a.hostPath.localeCompare(b.hostPath)).map((f) => `${f.hostPath} ${f.sha256 ?? 'absent'}`);
  return createHash('sha256').update(['vespera-restore-consent/1', backupId, ...lines].join('\n'), 'utf8').digest('hex');
}

export async function writeManifest(ctx: HelperContext, manifest: BackupManifest): Promise<void> {
  await writeAtomically(join(backupsDir(ctx), manifest.id, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
}

export async function createBackup(ctx: HelperContext, files: readonly { target: HelperTarget; before: string | null }[], reason: BackupManifest['reason'], restoring?: string): Promise<BackupManifest> {
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

export async function readManifest(ctx: HelperContext, id: string): Promise<BackupManifest> {
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

/** A saved file's text (null: the file did not exist), checked against the manifest's checksum. */
export async function savedText(ctx: HelperContext, manifest: BackupManifest, file: BackupFile): Promise<string | null> {
  if (!file.existed) return null;
  if (!file.saved || !/^file-\d+$/.test(file.saved)) throw new HelperError('helper-failure', `The backup ${manifest.id} is damaged; it was left as it is.`);
  const bytes = await readRegular(join(backupsDir(ctx), manifest.id, file.saved), TARGET_RULES[file.target.kind].maxBytes);
  const text = bytes?.toString('utf8') ?? null;
  if (text === null || sha256Text(text) !== file.sha256) throw new HelperError('helper-failure', `The saved copy of ${file.hostPath} in backup ${manifest.id} does not match its checksum; it was left as it is.`);
  return text;
}

/** Puts every file of a backup back (restoring content or removing files that did not exist). */
export async function putBack(ctx: HelperContext, manifest: BackupManifest): Promise<void> {
  const files = [...manifest.files].sort((a, b) => TARGET_RULES[b.target.kind].order - TARGET_RULES[a.target.kind].order);
  for (const f of files) {
    const path = diskPathOf(pathsOf(ctx), f.target);
    await checkTarget(ctx.root, path, true);
    const text = await savedText(ctx, manifest, f);
    if (text === null) await removeFile(path);
    else await writeAtomically(path, text);
  }
  for (const f of files) {
    const bytes = await readRegular(diskPathOf(pathsOf(ctx), f.target), TARGET_RULES[f.target.kind].maxBytes);
    const now = bytes?.toString('utf8') ?? null;
    if ((now === null) !== !f.existed || (now !== null && sha256Text(now) !== f.sha256)) throw new Error(`${f.hostPath} did not read back as saved`);
  }
}

export async function pruneBackups(ctx: HelperContext): Promise<void> {
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
