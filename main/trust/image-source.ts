// Where an image and its signatures are read from: a registry repository, or an OCI image layout
// on disk (`oci:DIR[:TAG]`, as skopeo writes it) for air-gapped hosts. Both check every digest.

import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { readFileLimited } from '../shared/bounded.ts';
import { describeError } from '../shared/errors.ts';
import { isSha256Digest, type Sha256Digest } from '../shared/image-reference.ts';
import { TrustError } from './errors.ts';
import { checkDigest, MAX_MANIFEST_BYTES, parseManifest, type ImageIndex } from './manifests.ts';
import type { FetchedManifest, RegistryClient, RepositoryRef } from './registry-client.ts';

export interface ImageSource {
  readonly kind: 'registry' | 'oci-layout';
  /** For messages: `ghcr.io/acme/vespera` or `oci:/srv/images`. */
  readonly name: string;
  /** A manifest by tag or digest; undefined when there is none. */
  manifest(reference: string, accept?: readonly string[]): Promise<FetchedManifest | undefined>;
  blob(digest: Sha256Digest, maxBytes: number, size?: number): Promise<Buffer>;
  /** The OCI referrers of a digest where the source can list them; undefined otherwise. */
  referrers(digest: Sha256Digest): Promise<ImageIndex | undefined>;
  tags(): Promise<string[]>;
}

export function registrySource(client: RegistryClient, ref: RepositoryRef): ImageSource {
  return {
    kind: 'registry',
    name: `${ref.registry}/${ref.repository}`,
    manifest: (reference, accept) => client.getManifest(ref, reference, accept),
    blob: (digest, maxBytes, size) => client.getBlob(ref, digest, maxBytes, size),
    referrers: (digest) => client.referrers(ref, digest),
    tags: () => client.listTags(ref),
  };
}

export interface OciLayoutReference {
  /** Absolute path of the layout directory. */
  readonly dir: string;
  /** The `org.opencontainers.image.ref.name` to use; optional when the layout holds one image. */
  readonly tag?: string;
}

export const OCI_REF_NAME = 'org.opencontainers.image.ref.name';
const MAX_INDEX_BYTES = 4 * 1024 * 1024;

/** `oci:DIR[:TAG]` → its parts; undefined when the text is not an `oci:` reference. */
export function parseOciLayoutReference(text: string, cwd: string = process.cwd()): OciLayoutReference | undefined {
  if (!text.startsWith('oci:')) return undefined;
  const rest = text.slice(4);
  // A tag follows the last ':' only when that ':' comes after the last '/'.
  const colon = rest.lastIndexOf(':');
  const split = colon > rest.lastIndexOf('/') ? colon : -1;
  const dir = split === -1 ? rest : rest.slice(0, split);
  const tag = split === -1 ? undefined : rest.slice(split + 1);
  if (dir === '') throw new TrustError('invalid-input', `"${text}" names no directory; write oci:/path/to/layout[:tag].`);
  if (tag !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) {
    throw new TrustError('invalid-input', `"${tag}" is not a valid tag in "${text}".`);
  }
  return { dir: isAbsolute(dir) ? dir : resolve(cwd, dir), ...(tag !== undefined ? { tag } : {}) };
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
      const index = parseManifest(bytes, 'application/vnd.oci.image.index.v1+json', `${this.dir}/index.json`);
      if (index.kind !== 'index') throw new TrustError('unsupported-format', `${this.dir}/index.json is not an image index.`);
      return index;
    })();
    return await this.#index;
  }

  async manifest(reference: string): Promise<FetchedManifest | undefined> {
    const index = await this.#readIndex();
    let digest: Sha256Digest;
    let mediaType: string | undefined;
    if (isSha256Digest(reference)) {
      digest = reference;
      mediaType = index.manifests.find((d) => d.digest === reference)?.mediaType;
    } else {
      const entry = index.manifests.find((d) => d.annotations[OCI_REF_NAME] === reference);
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

  /** The only image of a layout that holds exactly one, as containers/image picks it without a tag. */
  async soleTag(): Promise<string | undefined> {
    const index = await this.#readIndex();
    if (index.manifests.length !== 1) return undefined;
    return index.manifests[0]?.annotations[OCI_REF_NAME] ?? index.manifests[0]?.digest;
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
