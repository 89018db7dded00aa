// What someone with push access to the registry but without the publisher's key can do: push their
// own bootable build under a tag and sign it, in cosign's legacy layout, with a key of their own.

import type { Sha256Digest } from '../../main/shared/image-reference.ts';
import { FOREIGN_KEY } from '../world/catalog.ts';
import { buildImage } from '../world/oci.ts';
import { pushLegacySignatures, worldSigstore } from '../world/sigstore/part.ts';
import { TestSigstore } from '../world/sigstore/signer.ts';
import type { World } from '../world/world.ts';

/** Pushes the build as `repository:tag`, signed by the world's foreign key pair; returns its digest. */
export async function pushForeignBuild(world: World, repository: string, tag: string): Promise<Sha256Digest> {
  const image = buildImage({
    format: 'oci-manifest',
    platforms: [{ os: 'linux', architecture: 'amd64' }],
    labels: { 'org.opencontainers.image.version': '42.20261130.0', 'ostree.bootable': 'true', 'containers.bootc': '1' },
    created: '2026-11-30T04:00:00Z',
    layers: [{ 'usr/lib/os-release': 'NAME="Vespera"\n', 'usr/bin/backdoor': 'x' }],
  });
  const digest = await world.images.pusher.pushImage(repository, image, [tag]);
  const payload = TestSigstore.simpleSigningPayload(`${world.registry.host}/${repository}`, digest);
  const annotations = worldSigstore(world).signer.signLegacy(payload, { kind: 'key', key: FOREIGN_KEY, at: new Date('2026-11-30T04:10:00Z') });
  await pushLegacySignatures(world.images.pusher, repository, digest, [{ payload, annotations }]);
  return digest;
}
