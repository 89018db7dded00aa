// App-enforced mode as host configuration: /etc/vespera-updates/enforcement.json lists the images whose
// updates Vespera Updates verifies and holds itself. Written only by the privileged helper; read by all.
//
// Every user, the CLI under sudo and the background service must see the same mode, so it cannot
// live in one user's state folder. The parser is strict: the file is root's word about the host.

import { readFileLimited } from '../shared/bounded.ts';
import { CodedError } from '../shared/errors.ts';
import { parseDockerReference, repositoryName } from '../shared/image-reference.ts';
import type { PolicyPaths } from './host-files.ts';

export const ENFORCEMENT_FORMAT = 'vespera-enforcement/1';
export const MAX_ENFORCEMENT_CHARS = 64 * 1024;
const MAX_IMAGES = 64;

export class EnforcementRecordError extends CodedError<'enforcement-invalid'> {}

export interface AppEnforcedImage {
  /** Repository name, `registry/owner/name`. */
  readonly repository: string;
  readonly since: string;
  /** Who recorded it (`uid 1000`), when the helper knew. */
  readonly by?: string;
}

export interface HostEnforcement {
  readonly appEnforced: readonly AppEnforcedImage[];
}

export const NO_ENFORCEMENT: HostEnforcement = { appEnforced: [] };

function invalid(source: string, problem: string): never {
  throw new EnforcementRecordError('enforcement-invalid', `${source}: ${problem}; it was written by hand or damaged. Run vespera-updates migrate again to rewrite it.`);
}

/** A repository name as the record stores it: lower-case `registry/path`, no tag or digest. */
export function checkRepositoryName(text: string): string {
  const ref = parseDockerReference(text);
  if (ref.tag !== undefined || ref.digest !== undefined || repositoryName(ref) !== text) {
    throw new EnforcementRecordError('enforcement-invalid', `"${text}" is not a repository name like ghcr.io/OWNER/IMAGE (no tag, no digest).`);
  }
  return text;
}

/** Parses the record with the helper's strictness: known keys only, valid names, bounded. */
export function parseEnforcementText(text: string, source: string): HostEnforcement {
  if (text.length > MAX_ENFORCEMENT_CHARS) invalid(source, 'it is too large');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return invalid(source, `it is not JSON (${(error as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) invalid(source, 'it is not a JSON object');
  const top = data as Record<string, unknown>;
  for (const key of Object.keys(top)) if (key !== 'format' && key !== 'appEnforced') invalid(source, `it has an unknown key "${key}"`);
  if (top.format !== ENFORCEMENT_FORMAT) invalid(source, `it is not in the format ${ENFORCEMENT_FORMAT}`);
  if (!Array.isArray(top.appEnforced) || top.appEnforced.length > MAX_IMAGES) invalid(source, `"appEnforced" must be a list of at most ${MAX_IMAGES} images`);
  const seen = new Set<string>();
  const images = top.appEnforced.map((entry: unknown, i): AppEnforcedImage => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return invalid(source, `appEnforced[${i}] is not an object`);
    const e = entry as Record<string, unknown>;
    for (const key of Object.keys(e)) if (!['repository', 'since', 'by'].includes(key)) invalid(source, `appEnforced[${i}] has an unknown key "${key}"`);
    if (typeof e.repository !== 'string') return invalid(source, `appEnforced[${i}] names no repository`);
    try {
      checkRepositoryName(e.repository);
    } catch (error) {
      return invalid(source, `appEnforced[${i}]: ${(error as Error).message}`);
    }
    if (seen.has(e.repository)) invalid(source, `${e.repository} is listed twice`);
    seen.add(e.repository);
    if (typeof e.since !== 'string' || e.since.length > 64 || Number.isNaN(Date.parse(e.since))) invalid(source, `appEnforced[${i}] has no valid "since" time`);
    if (e.by !== undefined && (typeof e.by !== 'string' || !/^uid \d{1,10}$/.test(e.by))) invalid(source, `appEnforced[${i}] has an invalid "by"`);
    return { repository: e.repository, since: e.since, ...(typeof e.by === 'string' ? { by: e.by } : {}) };
  });
  return { appEnforced: images };
}

export function formatEnforcement(record: HostEnforcement): string {
  return `${JSON.stringify({ format: ENFORCEMENT_FORMAT, appEnforced: record.appEnforced }, null, 2)}\n`;
}

/** The record with `repository` app-enforced (`app`) or not (`none`); unchanged when it already is. */
export function withMode(record: HostEnforcement, repository: string, mode: 'app' | 'none', since: Date, by?: string): HostEnforcement {
  const others = record.appEnforced.filter((e) => e.repository !== repository);
  if (mode === 'none') return others.length === record.appEnforced.length ? record : { appEnforced: others };
  if (others.length !== record.appEnforced.length) return record;
  return { appEnforced: [...record.appEnforced, { repository, since: since.toISOString(), ...(by ? { by } : {}) }].slice(-MAX_IMAGES) };
}

export function isAppEnforced(record: HostEnforcement, repository: string): boolean {
  return record.appEnforced.some((e) => e.repository === repository);
}

/**
 * What the host says. A missing file is an empty record; a damaged one counts as empty too, with the
 * problem given back so the status and the doctor can say it (never silently "not enforced").
 */
export async function readHostEnforcement(paths: PolicyPaths): Promise<{ record: HostEnforcement; problem?: string }> {
  let text: string;
  try {
    text = (await readFileLimited(paths.enforcementFile, MAX_ENFORCEMENT_CHARS)).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { record: NO_ENFORCEMENT };
    return { record: NO_ENFORCEMENT, problem: `${paths.enforcementFile} could not be read (${(error as Error).message}).` };
  }
  try {
    return { record: parseEnforcementText(text, paths.enforcementFile) };
  } catch (error) {
    return { record: NO_ENFORCEMENT, problem: (error as Error).message };
  }
}
