// Where an image and its signatures are read from: a registry repository, or an OCI image layout
// on disk (`oci:DIR[:NAME]`, oci-layout.ts) for air-gapped hosts. Both check every digest.

import type { Sha256Digest } from '../shared/image-reference.ts';
import type { ImageIndex } from './manifests.ts';
import type { FetchedManifest, RegistryClient, RepositoryRef } from './registry-client.ts';

export { OCI_REF_NAME, OciLayoutSource, parseOciLayoutReference, type OciLayoutReference } from './oci-layout.ts';

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
