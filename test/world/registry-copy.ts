// What an attacker with push access does with the publisher's signed images: copies an image and
// its signatures (legacy `.sig` tag, cosign 3 referrers) byte for byte into another repository or
// tag, over the distribution API, as `crane copy` or `skopeo copy --all` would. No key needed.

import type { Sha256Digest } from '../../main/shared/image-reference.ts';
import { blob, MEDIA } from './oci.ts';
import type { RegistryPusher } from './registry.ts';

const ACCEPT = [MEDIA.ociIndex, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.dockerManifest].join(', ');

interface Fetched {
  readonly bytes: Buffer;
  readonly mediaType: string;
}

async function getManifest(registryUrl: string, repository: string, reference: string): Promise<Fetched | undefined> {
  const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, { headers: { accept: ACCEPT } });
  if (response.status === 404) {
    await response.arrayBuffer();
    return undefined;
  }
  if (response.status !== 200) throw new Error(`GET ${repository}/manifests/${reference} answered ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const declared = (JSON.parse(bytes.toString()) as { mediaType?: string }).mediaType;
  return { bytes, mediaType: declared ?? response.headers.get('content-type') ?? MEDIA.ociManifest };
}

async function copyBlob(registryUrl: string, pusher: RegistryPusher, from: string, to: string, digest: string): Promise<void> {
  const response = await fetch(`${registryUrl}/v2/${from}/blobs/${digest}`);
  if (response.status !== 200) throw new Error(`GET ${from}/blobs/${digest} answered ${response.status}`);
  await pusher.pushBlob(to, blob('application/octet-stream', Buffer.from(await response.arrayBuffer())));
}

/** Copies one manifest (and, for an index, its children; for an image, its blobs) by digest. */
async function copyManifestTree(registryUrl: string, pusher: RegistryPusher, from: string, to: string, reference: string): Promise<Fetched & { digest: Sha256Digest }> {
  const fetched = await getManifest(registryUrl, from, reference);
  if (!fetched) throw new Error(`${from} has no ${reference}`);
  const json = JSON.parse(fetched.bytes.toString()) as { manifests?: Array<{ digest: string }>; config?: { digest: string }; layers?: Array<{ digest: string }> };
  for (const child of json.manifests ?? []) await copyManifestTree(registryUrl, pusher, from, to, child.digest);
  for (const d of [json.config?.digest, ...(json.layers ?? []).map((l) => l.digest)]) if (d) await copyBlob(registryUrl, pusher, from, to, d);
  const manifest = blob(fetched.mediaType, fetched.bytes);
  await pusher.pushManifest(to, manifest.digest, manifest);
  return { ...fetched, digest: manifest.digest };
}

/**
 * Copies `from:reference` to `to:tag` with every signature it has, unchanged: the legacy `.sig` tag
 * and the cosign 3 referrers fallback index with the referrer manifests and bundles it lists.
 * Returns the digest the new tag names (the same as the original's).
 */
export async function copyImageWithSignatures(
  registryUrl: string,
  pusher: RegistryPusher,
  from: { repository: string; reference: string },
  to: { repository: string; tag: string },
): Promise<Sha256Digest> {
  const top = await copyManifestTree(registryUrl, pusher, from.repository, to.repository, from.reference);
  await pusher.pushManifest(to.repository, to.tag, blob(top.mediaType, top.bytes));
  const hex = top.digest.replace(':', '-');
  for (const tag of [`${hex}.sig`, hex]) {
    const attached = await getManifest(registryUrl, from.repository, tag);
    if (!attached) continue;
    await copyManifestTree(registryUrl, pusher, from.repository, to.repository, tag);
    await pusher.pushManifest(to.repository, tag, blob(attached.mediaType, attached.bytes));
  }
  return top.digest;
}
