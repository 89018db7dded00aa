// OCI and Docker manifests and indexes as they arrive from a registry or an image layout: media
// types, descriptors, and strict parsing of the few fields verification relies on.

import { createHash } from 'node:crypto';
import { isSha256Digest, type Sha256Digest } from '../shared/image-reference.ts';
import { TrustError } from './errors.ts';

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  cosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  sigstoreBundleV03: 'application/vnd.dev.sigstore.bundle.v0.3+json',
} as const;

/** Every manifest kind a tag may name; offered together so the registry never converts. */
export const ANY_MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest];

/** The most this app reads of one manifest (containers/image allows 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_DESCRIPTORS = 1000;

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Sha256Digest;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly platform?: Platform;
}

export interface ImageManifest {
  readonly kind: 'manifest';
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface ImageIndex {
  readonly kind: 'index';
  readonly mediaType: string;
  readonly manifests: readonly Descriptor[];
  readonly annotations: Readonly<Record<string, string>>;
}

export type Manifest = ImageManifest | ImageIndex;

export function sha256Digest(data: Uint8Array): Sha256Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Refuses content whose sha256 is not the digest it was asked for by. */
export function checkDigest(data: Uint8Array, expected: Sha256Digest, what: string): void {
  const actual = sha256Digest(data);
  if (actual !== expected) {
    throw new TrustError(
      'digest-mismatch',
      `${what} does not match its digest (expected ${expected}, got ${actual}); the registry or something between you and it altered the content. Do not use this image; try again later or report it to the registry's operator.`,
    );
  }
}

type Json = Record<string, unknown>;

function malformed(what: string, why: string): TrustError {
  return new TrustError('unsupported-format', `${what} is not a valid OCI manifest (${why}); the publisher or the registry serves something this app cannot read.`);
}

/** JSON.parse for outside bytes: a coded error instead of a SyntaxError, objects only. */
export function parseJsonObject(data: Uint8Array | string, what: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
  } catch (error) {
    throw new TrustError('unsupported-format', `${what} is not valid JSON (${(error as Error).message}); it cannot be a signature or manifest this app reads.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TrustError('unsupported-format', `${what} is not a JSON object; it cannot be a signature or manifest this app reads.`);
  }
  return value as Json;
}

export function parseAnnotations(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw malformed(what, 'annotations are not an object');
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value as Json)) {
    if (typeof v !== 'string') throw malformed(what, `annotation ${key} is not a string`);
    out[key] = v;
  }
  return out;
}

export function parseDescriptor(value: unknown, what: string): Descriptor {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(what, 'a descriptor is not an object');
  const d = value as Json;
  if (typeof d.mediaType !== 'string' || d.mediaType.length > 255) throw malformed(what, 'a descriptor has no media type');
  if (!isSha256Digest(d.digest)) throw malformed(what, 'a descriptor has no sha256 digest');
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw malformed(what, 'a descriptor has no valid size');
  let platform: Platform | undefined;
  if (d.platform !== undefined) {
    const p = d.platform as Json;
    if (typeof p !== 'object' || p === null || typeof p.os !== 'string' || typeof p.architecture !== 'string') {
      throw malformed(what, 'a platform is missing os or architecture');
    }
    platform = { os: p.os, architecture: p.architecture, ...(typeof p.variant === 'string' ? { variant: p.variant } : {}) };
  }
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(typeof d.artifactType === 'string' ? { artifactType: d.artifactType } : {}),
    annotations: parseAnnotations(d.annotations, what),
    ...(platform ? { platform } : {}),
  };
}

function parseDescriptorList(value: unknown, what: string, field: string): Descriptor[] {
  if (!Array.isArray(value)) throw malformed(what, `${field} is not a list`);
  if (value.length > MAX_DESCRIPTORS) throw malformed(what, `${field} lists more than ${MAX_DESCRIPTORS} entries`);
  return value.map((d) => parseDescriptor(d, what));
}

/**
 * Parses manifest bytes. The media type comes from the body when it names one, else from the
 * Content-Type the registry sent; an index is recognised by its `manifests` list.
 */
export function parseManifest(data: Uint8Array, contentType: string | undefined, what: string): Manifest {
  return manifestFromJson(parseJsonObject(data, what), contentType, what);
}

/** parseManifest for JSON already read (an OCI layout's index.json, read as Go reads it). */
export function manifestFromJson(json: Json, contentType: string | undefined, what: string): Manifest {
  if (json.schemaVersion !== 2) throw malformed(what, 'schemaVersion is not 2');
  const declared = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  const header = contentType?.split(';')[0]?.trim();
  const mediaType = declared ?? header ?? '';
  const annotations = parseAnnotations(json.annotations, what);
  if (Array.isArray(json.manifests)) {
    if (mediaType !== MEDIA_TYPES.ociIndex && mediaType !== MEDIA_TYPES.dockerList) throw malformed(what, `an index with media type "${mediaType}"`);
    return { kind: 'index', mediaType, manifests: parseDescriptorList(json.manifests, what, 'manifests'), annotations };
  }
  if (mediaType !== MEDIA_TYPES.ociManifest && mediaType !== MEDIA_TYPES.dockerManifest) {
    throw malformed(what, mediaType ? `unsupported media type "${mediaType}"` : 'no media type');
  }
  return {
    kind: 'manifest',
    mediaType,
    ...(typeof json.artifactType === 'string' ? { artifactType: json.artifactType } : {}),
    config: parseDescriptor(json.config, what),
    layers: parseDescriptorList(json.layers, what, 'layers'),
    ...(json.subject !== undefined ? { subject: parseDescriptor(json.subject, what) } : {}),
    annotations,
  };
}

/** containers/image's platform names for Node's `process.arch`. */
export function hostArchitecture(arch: string = process.arch): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', ia32: '386' } as Record<string, string>)[arch] ?? arch;
}

/** The index entry for a platform (linux and the host's architecture by default). */
export function selectPlatform(index: ImageIndex, want: { os?: string; architecture?: string } = {}): Descriptor | undefined {
  const os = want.os ?? 'linux';
  const architecture = want.architecture ?? hostArchitecture();
  return index.manifests.find(
    (d) =>
      d.platform?.os === os &&
      d.platform.architecture === architecture &&
      (d.mediaType === MEDIA_TYPES.ociManifest || d.mediaType === MEDIA_TYPES.dockerManifest),
  );
}

/** The tag cosign stores legacy signatures under: `sha256-<hex>.sig`. */
export function signatureTag(digest: Sha256Digest): string {
  return `${digest.replace(':', '-')}.sig`;
}

/**
 * A tag cosign (or the referrers fallback) writes next to images, not a build of its own:
 * `sha256-<hex>`, `sha256-<hex>.sig`, `.att`, `.sbom`.
 */
export function isCosignTag(tag: string): boolean {
  return /^sha256-[0-9a-f]{64}(\.\w+)?$/.test(tag);
}

/** The OCI referrers tag-schema fallback: `sha256-<hex>`. */
export function referrersTag(digest: Sha256Digest): string {
  return digest.replace(':', '-');
}
