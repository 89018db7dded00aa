// OCI image layouts on disk (`oci:DIR[:NAME]`, as skopeo writes them for air-gapped hosts), read the
// way containers/image reads them, so the image verified here is the one rpm-ostree would deploy.

import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { readFileLimited } from '../shared/bounded.ts';
import { quoted } from '../shared/display-text.ts';
import { describeError } from '../shared/errors.ts';
import { isSha256Digest, type Sha256Digest } from '../shared/image-reference.ts';
import { TrustError } from './errors.ts';
import type { ImageSource } from './image-source.ts';
import { checkDigest, manifestFromJson, MAX_MANIFEST_BYTES, MEDIA_TYPES, parseManifest, type Descriptor, type ImageIndex } from './manifests.ts';
import type { FetchedManifest } from './registry-client.ts';
import { parseStrictJson } from './strict-json.ts';

export const OCI_REF_NAME = 'org.opencontainers.image.ref.name';
const MAX_INDEX_BYTES = 4 * 1024 * 1024;

export interface OciLayoutReference {
  /** Absolute path of the layout directory. */
  readonly dir: string;
  /** The `org.opencontainers.image.ref.name` to use; none when the layout holds one image. */
  readonly tag?: string;
  /** `oci:DIR:@N`: the N-th entry of index.json (newer containers/image). */
  readonly entry?: number;
}

// containers/image's ref.name grammar (oci/internal): components of letters and digits joined by
// `-._:@+` or `--`, separated by `/`.
const COMPONENT = '[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*';
const REF_NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);

/**
 * `oci:DIR[:NAME]` → its parts, split at the FIRST colon as containers/image does on Linux (a path
 * with a colon cannot be named at all); undefined when the text is not an `oci:` reference.
 */
export function parseOciLayoutReference(text: string, cwd: string = process.cwd()): OciLayoutReference | undefined {
  if (!text.startsWith('oci:')) return undefined;
  const rest = text.slice(4);
  const colon = rest.indexOf(':');
  const dir = colon === -1 ? rest : rest.slice(0, colon);
  const name = colon === -1 ? '' : rest.slice(colon + 1);
  if (dir === '') throw new TrustError('invalid-input', `${quoted(text)} names no directory; write oci:/path/to/layout[:name].`);
  const absolute = isAbsolute(dir) ? dir : resolve(cwd, dir);
  if (name.startsWith('@')) {
    if (!/^@\d{1,6}$/.test(name)) throw new TrustError('invalid-input', `${quoted(name)} in ${quoted(text)} is not an entry number like @0.`);
    return { dir: absolute, entry: Number(name.slice(1)) };
  }
  if (name !== '' && !REF_NAME.test(name)) {
    throw new TrustError('invalid-input', `${quoted(name)} is not an image name containers/image accepts in ${quoted(text)} (the name is everything after the first colon).`);
  }
  return { dir: absolute, ...(name !== '' ? { tag: name } : {}) };
}

// Go's encoding/json matches object keys to struct fields without regard to case (Unicode simple
// folding: the Kelvin sign is a K, the long s an S, dotted and dotless i are I).
const GO_FOLD: Readonly<Record<string, string>> = { '\u212a': 'K', '\u017f': 'S', '\u0131': 'I', '\u0130': 'I' };

export function goFoldKey(key: string): string {
  let out = '';
  for (const c of key) out += c < '\u0080' ? c.toUpperCase() : (GO_FOLD[c] ?? c);
  return out;
}

const FIELDS = {
  index: ['schemaVersion', 'mediaType', 'artifactType', 'manifests', 'subject', 'annotations'],
  descriptor: ['mediaType', 'digest', 'size', 'urls', 'annotations', 'data', 'platform', 'artifactType'],
  platform: ['architecture', 'os', 'os.version', 'os.features', 'variant', 'features'],
} as const;

type Json = Record<string, unknown>;

/** An object's fields under their canonical names, as Go fills a struct; unknown keys are dropped like Go does. */
function goStruct(value: unknown, fields: readonly string[]): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const byFold = new Map(fields.map((f) => [goFoldKey(f), f]));
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    const field = byFold.get(goFoldKey(key));
    if (field !== undefined) out[field] = v;
  }
  return out;
}

/**
 * index.json as Go reads it into an image-spec Index. Keys that Go would merge (`manifests` and
 * `Manifests`) are refused as ambiguous: this reader and containers/image must not disagree.
 */
export function parseLayoutIndex(bytes: Buffer, what: string): ImageIndex {
  const json = parseStrictJson(bytes.toString('utf8'), what, { sameKey: goFoldKey, repeatCode: 'ambiguous-reference' });
  const index = goStruct(json, FIELDS.index);
  if (typeof index !== 'object' || index === null || Array.isArray(index)) throw new TrustError('unsupported-format', `${what} is not a JSON object.`);
  const i = index as Json;
  const descriptor = (d: unknown): unknown => {
    const s = goStruct(d, FIELDS.descriptor) as Json;
    return typeof s === 'object' && s !== null && 'platform' in s ? { ...s, platform: goStruct(s.platform, FIELDS.platform) } : s;
  };
  const normalised: Json = {
    ...i,
    manifests: Array.isArray(i.manifests) ? i.manifests.map(descriptor) : (i.manifests ?? []),
    ...(i.subject !== undefined ? { subject: descriptor(i.subject) } : {}),
  };
  const parsed = manifestFromJson(normalised, MEDIA_TYPES.ociIndex, what);
  if (parsed.kind !== 'index') throw new TrustError('unsupported-format', `${what} is not an image index.`);
  return parsed;
}

/** Manifest types every containers/image release accepts behind a ref.name, and those only newer ones do. */
const OCI_TYPES: readonly string[] = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.ociIndex];
const DOCKER_TYPES: readonly string[] = [MEDIA_TYPES.dockerManifest, MEDIA_TYPES.dockerList];

/**
 * The index.json entry containers/image opens for `name` (or the sole entry, or entry N), refusing
 * what is ambiguous: two images under one name, or a Docker-typed entry that releases of
 * containers/image would resolve differently. Undefined when nothing has the name.
 */
export function resolveLayoutEntry(index: ImageIndex, pick: { tag?: string; entry?: number }, where: string): Descriptor | undefined {
  if (pick.entry !== undefined) return index.manifests[pick.entry];
  if (pick.tag === undefined) {
    if (index.manifests.length !== 1) throw new TrustError('invalid-input', `${where} holds ${index.manifests.length} images; name one with oci:DIR:NAME.`);
    return index.manifests[0];
  }
  const named = index.manifests.filter((d) => d.annotations[OCI_REF_NAME] === pick.tag);
  if (named.length === 0) return undefined;
  const older = named.find((d) => OCI_TYPES.includes(d.mediaType));
  const newer = named.find((d) => OCI_TYPES.includes(d.mediaType) || DOCKER_TYPES.includes(d.mediaType));
  if (!newer) {
    throw new TrustError('unsupported-format', `${quoted(pick.tag)} in ${where} names only entries of types containers/image does not open (${named.map((d) => quoted(d.mediaType)).join(', ')}).`);
  }
  if (older !== newer) {
    throw new TrustError('ambiguous-reference', `${quoted(pick.tag)} in ${where} names a Docker-typed entry (${newer.digest}) that newer containers/image opens${older ? `, and older releases open ${older.digest} instead` : ', and older releases refuse'}.`);
  }
  const others = named.filter((d) => d !== newer && (OCI_TYPES.includes(d.mediaType) || DOCKER_TYPES.includes(d.mediaType)) && d.digest !== newer.digest);
  if (others.length > 0) {
    throw new TrustError('ambiguous-reference', `${quoted(pick.tag)} in ${where} names ${others.length + 1} different images (${[newer, ...others].map((d) => d.digest).join(', ')}); containers/image opens the first, which cannot be trusted to be the intended one.`);
  }
  return newer;
}

/** Reads an OCI image layout; tags are the ref-name annotations of index.json. */
export class OciLayoutSource implements ImageSource {
  readonly kind = 'oci-layout' as const;
  readonly name: string;
  readonly dir: string;
  #index: Promise<ImageIndex> | undefined;

  constructor(dir: string) {
    this.dir = dir;
    this.name = `oci:${dir}`;
  }

  async #readIndex(): Promise<ImageIndex> {
    this.#index ??= (async () => {
      let layout: unknown;
      try {
        layout = JSON.parse(await readFile(join(this.dir, 'oci-layout'), 'utf8'));
      } catch (error) {
        throw new TrustError('image-not-found', `${this.dir} is not an OCI image layout (no readable oci-layout file: ${describeError(error)}); export the image with skopeo copy … oci:${this.dir}:TAG.`);
      }
      if ((layout as { imageLayoutVersion?: unknown } | null)?.imageLayoutVersion !== '1.0.0') {
        throw new TrustError('unsupported-format', `${this.dir} has an OCI layout version this app does not know.`);
      }
      let bytes: Buffer;
      try {
        bytes = await readFileLimited(join(this.dir, 'index.json'), MAX_INDEX_BYTES);
      } catch (error) {
        throw new TrustError('image-not-found', `${this.dir}/index.json could not be read (${describeError(error)}).`);
      }
      return parseLayoutIndex(bytes, `${this.dir}/index.json`);
    })();
    return await this.#index;
  }

  /** The descriptor containers/image opens for the reference (see resolveLayoutEntry). */
  async entry(pick: { tag?: string; entry?: number }): Promise<Descriptor | undefined> {
    return resolveLayoutEntry(await this.#readIndex(), pick, this.name);
  }

  async manifest(reference: string): Promise<FetchedManifest | undefined> {
    let digest: Sha256Digest;
    let mediaType: string | undefined;
    if (isSha256Digest(reference)) {
      const index = await this.#readIndex();
      digest = reference;
      mediaType = index.manifests.find((d) => d.digest === reference)?.mediaType;
    } else {
      const entry = await this.entry({ tag: reference });
      if (!entry) return undefined;
      digest = entry.digest;
      mediaType = entry.mediaType;
    }
    let bytes: Buffer;
    try {
      bytes = await this.blob(digest, MAX_MANIFEST_BYTES);
    } catch (error) {
      if (error instanceof TrustError && error.code === 'image-not-found' && isSha256Digest(reference)) return undefined;
      throw error;
    }
    const manifest = parseManifest(bytes, mediaType, `manifest ${digest} in ${this.name}`);
    return { digest, mediaType: manifest.mediaType, bytes, manifest };
  }

  async blob(digest: Sha256Digest, maxBytes: number, size?: number): Promise<Buffer> {
    const path = join(this.dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
    let bytes: Buffer;
    try {
      const info = await stat(path);
      if (size !== undefined && info.size !== size) {
        throw new TrustError('digest-mismatch', `${path} is ${info.size} bytes where its descriptor says ${size}; the layout was altered.`);
      }
      if (info.size > maxBytes) {
        throw new TrustError('unsupported-format', `${path} is ${info.size} bytes, more than the ${maxBytes} this app reads for it.`);
      }
      bytes = await readFileLimited(path, maxBytes);
    } catch (error) {
      if (error instanceof TrustError) throw error;
      throw new TrustError('image-not-found', `blob ${digest} is missing from ${this.name}; the layout is incomplete.`);
    }
    checkDigest(bytes, digest, `blob ${digest} in ${this.name}`);
    return bytes;
  }

  referrers(): Promise<ImageIndex | undefined> {
    return Promise.resolve(undefined);
  }

  async tags(): Promise<string[]> {
    const index = await this.#readIndex();
    return index.manifests.map((d) => d.annotations[OCI_REF_NAME]).filter((t): t is string => t !== undefined);
  }
}
