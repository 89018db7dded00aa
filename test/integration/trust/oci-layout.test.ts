// An OCI image layout on disk as the source of an image and its signatures (air-gapped hosts):
// written by skopeo from the world's registry, verified without any network.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../main/shared/config.ts';
import type { IdentityPolicy } from '../../../main/trust/identity-policy.ts';
import { createTrustContext, verifyImage, type TrustContext } from '../../../main/trust/verify-image.ts';
import { GITHUB_ISSUER, SOURCE_REPOSITORY } from '../../world/catalog.ts';
import { blob, MEDIA } from '../../world/oci.ts';
import { addToLayout } from '../../world/oci-layout.ts';
import { worldSigstore } from '../../world/sigstore/part.ts';
import { TestSigstore } from '../../world/sigstore/signer.ts';
import { startWorld, type World } from '../../world/world.ts';

let world: World;
let context: TrustContext;
let layout: string;
const identity: IdentityPolicy = { issuer: GITHUB_ISSUER, identity: { kind: 'repository', url: SOURCE_REPOSITORY }, origin: 'explicit' };

function skopeoCopy(source: string, tag: string, options: { all?: boolean; preserveDigests?: boolean } = {}): void {
  execFileSync(
    'skopeo',
    [
      'copy',
      '--insecure-policy',
      ...(options.preserveDigests === false ? [] : ['--preserve-digests']),
      '--src-tls-verify=false',
      ...(options.all ? ['--all'] : []),
      `docker://${world.registry.host}/${source}`,
      `oci:${layout}:${tag}`,
    ],
    { stdio: 'pipe' },
  );
}

beforeAll(async () => {
  world = await startWorld();
  context = await createTrustContext(await loadConfig(world.processEnv()), world.processEnv());
  layout = join(world.root, 'layout');
  const nvidia = world.images.get('acme/vespera-nvidia', 'latest');
  const sigTag = `${nvidia.digest.replace(':', '-')}.sig`;
  skopeoCopy('acme/vespera-nvidia:latest', 'latest', { all: true });
  skopeoCopy(`acme/vespera-nvidia:${sigTag}`, sigTag);
  // Converted to OCI: a Docker-typed entry is something containers/image releases disagree on.
  skopeoCopy('acme/vespera-dx:latest', 'dx', { preserveDigests: false });
  skopeoCopy('acme/vespera-dx:latest', 'dx-docker');
}, 60_000);
afterAll(async () => {
  await world.stop();
});

describe('an OCI image layout written by skopeo', () => {
  it('verifies an image and its legacy signature found under the same tag names as in a registry', async () => {
    const result = await verifyImage({ reference: `oci:${layout}:latest`, signedReference: `${world.registry.host}/acme/vespera-nvidia` }, context);
    expect(result).toMatchObject({
      status: 'verified',
      digest: world.images.get('acme/vespera-nvidia', 'latest').digest,
      layout: 'legacy',
      visibleToRpmOstree: false,
      policy: { origin: 'derived', description: `a workflow of ${SOURCE_REPOSITORY}` },
    });
  });

  it('needs to be told which repository the signature must name', async () => {
    const result = await verifyImage({ reference: `oci:${layout}:latest`, identity }, context);
    expect(result).toMatchObject({ status: 'failed', code: 'invalid-input' });
    expect(result.status === 'failed' && result.message).toMatch(/--reference/);
    expect(await verifyImage({ reference: `oci:${layout}:latest`, signedReference: 'ghcr.io/acme/vespera-nvidia', identity }, context)).toMatchObject({ status: 'failed', code: 'identity-mismatch' });
  });

  it('reports unsigned images, unknown tags, missing layouts and layouts with several images', async () => {
    expect(await verifyImage({ reference: `oci:${layout}:dx`, signedReference: `${world.registry.host}/acme/vespera-dx` }, context)).toMatchObject({ status: 'failed', code: 'no-signature' });
    expect(await verifyImage({ reference: `oci:${layout}:nope`, identity }, context)).toMatchObject({ status: 'failed', code: 'image-not-found' });
    expect(await verifyImage({ reference: `oci:${join(world.root, 'nowhere')}:latest`, identity }, context)).toMatchObject({ status: 'failed', code: 'image-not-found' });
    expect(await verifyImage({ reference: `oci:${layout}`, identity }, context)).toMatchObject({ status: 'failed', code: 'invalid-input' });
  });

  it('refuses an entry with a Docker media type, which skopeo 1.9 cannot open and newer releases can', async () => {
    const result = await verifyImage({ reference: `oci:${layout}:dx-docker`, signedReference: `${world.registry.host}/acme/vespera-dx` }, context);
    expect(result).toMatchObject({ status: 'failed', code: 'ambiguous-reference' });
    expect(result.status === 'failed' && result.message).toMatch(/Docker-typed entry .* newer containers\/image opens/);
    expect(() => execFileSync('skopeo', ['inspect', `oci:${layout}:dx-docker`], { stdio: 'pipe' })).toThrow(/no descriptor found/);
  });

  it('verifies a cosign 3 bundle stored under the referrers fallback tag', async () => {
    const dir = join(world.root, 'layout-cosign3');
    const image = world.images.get('acme/vespera', 'cosign3');
    await addToLayout(dir, image.image.top, image.image.top.blobs, 'cosign3');
    const bundle = worldSigstore(world).signer.signBundle(TestSigstore.cosignStatement(image.digest), worldSigstore(world).signerFor(image.release.signatures[0] ?? { kind: 'key', layout: 'bundle', key: 'vespera' }, image));
    const bundleBlob = blob('application/vnd.dev.sigstore.bundle.v0.3+json', JSON.stringify(bundle));
    const empty = blob(MEDIA.ociEmpty, '{}');
    const referrer = blob(
      MEDIA.ociManifest,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.ociManifest,
        artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        config: { mediaType: MEDIA.ociEmpty, digest: empty.digest, size: 2 },
        layers: [{ mediaType: bundleBlob.mediaType, digest: bundleBlob.digest, size: bundleBlob.data.length }],
        subject: { mediaType: image.image.top.mediaType, digest: image.digest, size: image.image.top.data.length },
      }),
    );
    const index = blob(MEDIA.ociIndex, JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [{ mediaType: MEDIA.ociManifest, digest: referrer.digest, size: referrer.data.length }] }));
    await addToLayout(dir, referrer, [bundleBlob, empty]);
    await addToLayout(dir, index, [], image.digest.replace(':', '-'));
    expect(await verifyImage({ reference: `oci:${dir}:cosign3`, identity }, context)).toMatchObject({ status: 'verified', layout: 'bundle', visibleToRpmOstree: false });
  });

  it('refuses a layout whose signature blob was altered on disk', async () => {
    const nvidia = world.images.get('acme/vespera-nvidia', 'latest');
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
    const sig = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name']?.endsWith('.sig'));
    const manifest = JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', sig?.digest.slice(7) ?? ''), 'utf8')) as { layers: Array<{ digest: string }> };
    const payloadPath = join(layout, 'blobs', 'sha256', manifest.layers[0]?.digest.slice(7) ?? '');
    writeFileSync(payloadPath, readFileSync(payloadPath, 'utf8').replace('acme', 'acmf'));
    const result = await verifyImage({ reference: `oci:${layout}:latest`, signedReference: `${world.registry.host}/acme/vespera-nvidia`, identity, fresh: true }, context);
    expect(result).toMatchObject({ status: 'failed', code: 'digest-mismatch', digest: nvidia.digest });
  });
});
