// A cosign-shaped `.sig` manifest with an empty signature, for worlds without the test Sigstore: it
// is what containers/image looks for before verifying, so the stand-in's "is it signed?" check passes.

import type { Sha256Digest } from '../../main/shared/image-reference.ts';
import { blob, descriptor, MEDIA } from '../world/oci.ts';
import type { RegistryPusher } from '../world/registry.ts';

export const SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';

/** cosign's legacy tag for the signatures of `digest`. */
export function signatureTag(digest: Sha256Digest): string {
  return `${digest.replace(':', '-')}.sig`;
}

/** True when the registry already has a `.sig` manifest for `digest` (from the test Sigstore or before). */
export async function hasSignatureTag(registryUrl: string, repository: string, digest: Sha256Digest): Promise<boolean> {
  const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${signatureTag(digest)}`, {
    method: 'HEAD',
    headers: { accept: `${MEDIA.ociManifest}, ${MEDIA.dockerManifest}` },
  });
  await response.arrayBuffer();
  return response.status === 200;
}

/** Pushes a `.sig` manifest whose one simple-signing layer names `digest` but carries no signature. */
export async function pushPlaceholderSignature(
  pusher: RegistryPusher,
  registryHost: string,
  repository: string,
  digest: Sha256Digest,
): Promise<void> {
  const payload = blob(
    SIMPLESIGNING,
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': `${registryHost}/${repository}` },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: { 'org.vespera.world': 'placeholder, not signed' },
    }),
  );
  const config = blob(MEDIA.ociConfig, JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [] } }));
  const manifest = blob(
    MEDIA.ociManifest,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: descriptor(config),
      layers: [descriptor(payload, { annotations: { 'dev.cosignproject.cosign/signature': '' } })],
    }),
  );
  await pusher.pushBlob(repository, config);
  await pusher.pushBlob(repository, payload);
  await pusher.pushManifest(repository, signatureTag(digest), manifest);
}
