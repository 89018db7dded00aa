// The roots of trust a signature is checked against: Sigstore public-good through TUF (refreshed
// when online, then the on-disk copy, then the copy shipped with @sigstore/tuf), or a custom file.

import { createHash } from 'node:crypto';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';
import { readFileLimited, withTimeout } from '../shared/bounded.ts';
import { describeError } from '../shared/errors.ts';
import { TrustError } from './errors.ts';

export const PUBLIC_GOOD_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';
const MAX_TRUSTED_ROOT_BYTES = 1024 * 1024;
const TRUSTED_ROOT_MEDIA_TYPES = ['application/vnd.dev.sigstore.trustedroot+json;version=0.1', 'application/vnd.dev.sigstore.trustedroot.v0.2+json'];

export interface TrustRoot {
  /** custom: a file the user named; tuf: fresh from TUF; cache: the last TUF copy on disk; bundled: shipped with the app. */
  readonly source: 'custom' | 'tuf' | 'cache' | 'bundled';
  /** The file it was read from, when there is one. */
  readonly path?: string;
  /** sha256 of the JSON it was built from: verification results are only valid for one root. */
  readonly id: string;
  readonly root: TrustedRoot;
  /** Certificate transparency logs exist: then every keyless certificate must carry an SCT. */
  readonly hasCtLogs: boolean;
  readonly tlogCount: number;
  /** A fresh TrustMaterial; the caller may swap in its own key finder. */
  material(): TrustMaterial;
}

/**
 * Builds a TrustRoot from trusted_root.json bytes, refusing roots sigstore-js would accept too
 * leniently: logs without a start of validity, authorities without certificates, unparseable keys.
 */
export function parseTrustedRoot(bytes: Buffer, source: TrustRoot['source'], path?: string): TrustRoot {
  const where = path ?? `the ${source} trusted root`;
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new TrustError('invalid-input', `${where} is not valid JSON (${(error as Error).message}); give a trusted_root.json from your Sigstore deployment.`);
  }
  const media = (json as { mediaType?: unknown } | null)?.mediaType;
  if (typeof media !== 'string' || !TRUSTED_ROOT_MEDIA_TYPES.includes(media)) {
    throw new TrustError('invalid-input', `${where} is not a Sigstore trusted root (mediaType ${JSON.stringify(media)}); give a trusted_root.json.`);
  }
  let root: TrustedRoot;
  let material: TrustMaterial;
  try {
    root = TrustedRoot.fromJSON(json);
    material = toTrustMaterial(root);
  } catch (error) {
    throw new TrustError('invalid-input', `${where} could not be read as a trusted root (${describeError(error)}).`);
  }
  const invalid = (why: string): TrustError => new TrustError('invalid-input', `${where} is not usable: ${why}.`);
  for (const [i, log] of [...root.tlogs, ...root.ctlogs].entries()) {
    if (!log.publicKey?.validFor?.start) throw invalid(`log ${i} (${log.baseUrl}) has no start of validity`);
    if (!log.logId?.keyId?.length) throw invalid(`log ${i} (${log.baseUrl}) has no log ID`);
  }
  for (const [i, ca] of [...root.certificateAuthorities, ...root.timestampAuthorities].entries()) {
    if (!ca.certChain?.certificates.length) throw invalid(`authority ${i} has no certificates`);
    if (!ca.validFor?.start) throw invalid(`authority ${i} has no start of validity`);
  }
  if (material.tlogs.length === 0 && material.certificateAuthorities.length === 0) throw invalid('it trusts no log and no certificate authority');
  return {
    source,
    ...(path !== undefined ? { path } : {}),
    id: createHash('sha256').update(bytes).digest('hex'),
    root,
    hasCtLogs: root.ctlogs.length > 0,
    tlogCount: root.tlogs.length,
    // Parsing the certificates once; callers get a copy they may give another key finder.
    material: () => ({ ...material }),
  };
}

export async function loadTrustedRootFile(path: string): Promise<TrustRoot> {
  let bytes: Buffer;
  try {
    bytes = await readFileLimited(path, MAX_TRUSTED_ROOT_BYTES);
  } catch (error) {
    throw new TrustError('invalid-input', `the trusted root ${path} could not be read (${describeError(error)}); check the path.`);
  }
  return parseTrustedRoot(bytes, 'custom', path);
}

/** The public-good trusted_root.json @sigstore/tuf ships as the seed of its cache. */
export function bundledPublicGoodRoot(): Buffer {
  const require = createRequire(import.meta.url);
  const seeds = require('@sigstore/tuf/seeds.json') as Record<string, { targets?: Record<string, string> }>;
  const encoded = seeds[PUBLIC_GOOD_MIRROR]?.targets?.['trusted_root.json'];
  if (!encoded) throw new TrustError('invalid-input', 'the bundled Sigstore trusted root is missing; reinstall the app.');
  return Buffer.from(encoded, 'base64');
}

export interface PublicGoodOptions {
  /** Where the TUF metadata and the last good trusted_root.json are kept. */
  readonly cacheDir: string;
  /** A mirror of the public-good TUF repository (same root of trust). */
  readonly mirror?: string;
  /** Use the disk copy without asking the network when it is younger than this. Default 24 h. */
  readonly maxAgeMs?: number;
  /** Deadline for the whole TUF refresh. Default 10 s. */
  readonly timeoutMs?: number;
  /** Never touch the network. */
  readonly offline?: boolean;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'vespera-updates', 'sigstore');
}

/**
 * Sigstore public-good: the disk copy when fresh, else a TUF refresh (verified against the TUF
 * root embedded in @sigstore/tuf), else the stale disk copy, else the shipped one. Never throws for
 * lack of network.
 */
export async function loadPublicGoodTrustRoot(options: PublicGoodOptions): Promise<TrustRoot> {
  const copy = join(options.cacheDir, 'trusted_root.json');
  const cached = await readCopy(copy);
  const age = cached ? Date.now() - cached.mtimeMs : Infinity;
  if (cached && (options.offline || age < (options.maxAgeMs ?? 86_400_000))) return cached.root;
  if (!options.offline) {
    try {
      const mirror = options.mirror ?? PUBLIC_GOOD_MIRROR;
      const rootPath = mirror === PUBLIC_GOOD_MIRROR ? undefined : await writeTufRootSeed(options.cacheDir);
      // Loaded only when a refresh is due: the TUF client is the heaviest module here.
      const { getTrustedRoot } = await import('@sigstore/tuf');
      const fresh = await withTimeout(
        getTrustedRoot({ cachePath: join(options.cacheDir, 'tuf'), mirrorURL: mirror, timeout: 5000, retry: 1, ...(rootPath ? { rootPath } : {}) }),
        options.timeoutMs ?? 10_000,
        'the Sigstore TUF repository',
      );
      const bytes = Buffer.from(JSON.stringify(TrustedRoot.toJSON(fresh)));
      const parsed = parseTrustedRoot(bytes, 'tuf');
      await writeAtomically(copy, bytes);
      return parsed;
    } catch {
      // Offline or the mirror is broken: what we already have is still the best we know.
    }
  }
  if (cached) return cached.root;
  return parseTrustedRoot(bundledPublicGoodRoot(), 'bundled');
}

async function readCopy(path: string): Promise<{ root: TrustRoot; mtimeMs: number } | undefined> {
  try {
    const [bytes, info] = await Promise.all([readFileLimited(path, MAX_TRUSTED_ROOT_BYTES), stat(path)]);
    return { root: parseTrustedRoot(bytes, 'cache', path), mtimeMs: info.mtimeMs };
  } catch {
    return undefined;
  }
}

/** A mirror of public-good is anchored in the same TUF root.json the package embeds. */
async function writeTufRootSeed(cacheDir: string): Promise<string> {
  const require = createRequire(import.meta.url);
  const seeds = require('@sigstore/tuf/seeds.json') as Record<string, { 'root.json'?: string }>;
  const root = seeds[PUBLIC_GOOD_MIRROR]?.['root.json'];
  if (!root) throw new TrustError('invalid-input', 'the bundled TUF root is missing; reinstall the app.');
  const path = join(cacheDir, 'public-good-root.json');
  await writeAtomically(path, Buffer.from(root, 'base64'));
  return path;
}

async function writeAtomically(path: string, bytes: Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, bytes, { mode: 0o644 });
  await rename(tmp, path);
}

/** The configured root: `trust.trusted-root` when set, else public-good. */
export async function trustRootFromConfig(
  trust: { readonly trustedRoot?: string; readonly tufMirror?: string },
  env: NodeJS.ProcessEnv = process.env,
  options: { offline?: boolean; maxAgeMs?: number } = {},
): Promise<TrustRoot> {
  if (trust.trustedRoot) return await loadTrustedRootFile(trust.trustedRoot);
  return await loadPublicGoodTrustRoot({
    cacheDir: defaultCacheDir(env),
    ...(trust.tufMirror ? { mirror: trust.tufMirror } : {}),
    ...(options.offline ? { offline: true } : {}),
    ...(options.maxAgeMs !== undefined ? { maxAgeMs: options.maxAgeMs } : {}),
  });
}

/**
 * The trust root of a long-running process: loaded once, then reloaded on demand (TUF refresh when
 * the disk copy is older than `maxAgeMs`, the last good copy when offline; the file again for a
 * custom root). Sigstore rotates its keys, so a root loaded at start must not stay for the app's life.
 */
export class RefreshableTrustRoot {
  #current: TrustRoot;
  readonly #load: () => Promise<TrustRoot>;

  constructor(initial: TrustRoot, load: () => Promise<TrustRoot>) {
    this.#current = initial;
    this.#load = load;
  }

  get current(): TrustRoot {
    return this.#current;
  }

  /** Loads the root again; the new one when it differs (by content), else undefined. Keeps the old one on failure. */
  async refresh(): Promise<TrustRoot | undefined> {
    const next = await this.#load();
    if (next.id === this.#current.id) return undefined;
    this.#current = next;
    return next;
  }
}
