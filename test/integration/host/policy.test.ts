// Signature policy as the OS applies it to pulls (the stand-in's pulls go through the real
// containers/image, skopeo's image proxy): what the app hears when the OS refuses an image, and why.

import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TransactionOutcome } from '../../../main/host/index.ts';
import { NEWER } from '../../world/catalog.ts';
import { buildImage } from '../../world/oci.ts';
import { worldSigstore } from '../../world/sigstore/part.ts';
import type { World } from '../../world/world.ts';
import { pushForeignBuild } from '../../support/foreign-build.ts';
import { hostPerTest } from '../../support/host.ts';

function failure(outcome: TransactionOutcome): { code: string; detail: string } {
  if (outcome.ok) throw new Error('expected the operation to fail');
  return { code: outcome.error.code, detail: outcome.error.detail ?? '' };
}

describe('the OS signature policy, applied to pulls', () => {
  const open = hostPerTest();

  async function writePolicy(w: World, docker: Record<string, unknown>): Promise<void> {
    await writeFile(
      join(w.etcRoot, 'containers', 'policy.json'),
      JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }], transports: { docker } }),
    );
  }

  it('refuses ostree-image-signed while the policy accepts anything by default (stock Fedora)', async () => {
    const { world, client } = await open('unverified-nvidia');
    const outcome = await (await client.rebase(`ostree-image-signed:docker://${world.registry.host}/acme/vespera-nvidia:latest`)).done;
    expect(failure(outcome)).toEqual({
      code: 'policy-rejected',
      detail: 'Preparing import: Fetching manifest: containers-policy.json specifies a default of `insecureAcceptAnything`; refusing usage',
    });
    expect(client.state.staged).toBeUndefined();
  });

  it('applies a sigstoreSigned rule even to ostree-unverified refs, and finds the .sig only with sigstore attachments on', async () => {
    const { world, client } = await open('unverified-nvidia');
    const keyFile = join(world.etcRoot, 'pki', 'containers', 'dx.pub');
    await mkdir(dirname(keyFile), { recursive: true });
    await copyFile(worldSigstore(world).publisherKeyPath, keyFile);
    await writePolicy(world, {
      [`${world.registry.host}/acme/vespera-dx-nvidia`]: [{ type: 'sigstoreSigned', keyPath: '/etc/pki/containers/dx.pub', signedIdentity: { type: 'matchRepository' } }],
    });
    // The publisher signs vespera-dx-nvidia with its key (legacy .sig): what the rule asks for.
    const dx = `ostree-unverified-registry:${world.registry.host}/acme/vespera-dx-nvidia:latest`;

    const noAttachments = failure(await (await client.rebase(dx)).done);
    expect(noAttachments.code).toBe('signature-required');
    expect(noAttachments.detail).toBe('Creating importer: failed to invoke method OpenImage: A signature was required, but no signature exists');

    await writeFile(
      join(world.etcRoot, 'containers', 'registries.d', 'acme.yaml'),
      `docker:\n  ${world.registry.host}/acme:\n    use-sigstore-attachments: true\n`,
    );
    // A build signed by somebody else's key is refused by the cryptography, not for want of a signature.
    const foreign = failure(await (await client.rebase(`ostree-unverified-registry:${world.registry.host}/acme/vespera-dx-nvidia:foreign-key`)).done);
    expect(foreign.code).toBe('policy-rejected');
    expect(foreign.detail).toMatch(/^Creating importer: failed to invoke method OpenImage: .*cryptographic signature verification failed/);
    expect(client.state.staged).toBeUndefined();

    const signed = await (await client.rebase(dx)).done;
    expect(signed.ok).toBe(true);
    expect(client.state.staged?.origin).toBe(dx);
  });

  it('reports a reject rule and a policy file the OS cannot parse', async () => {
    const { world, client } = await open('unverified-nvidia');
    const dx = `ostree-unverified-registry:${world.registry.host}/acme/vespera-dx:latest`;
    await writePolicy(world, { [`${world.registry.host}/acme/vespera-dx`]: [{ type: 'reject' }] });
    expect(failure(await (await client.rebase(dx)).done)).toEqual({
      code: 'policy-rejected',
      detail: `Creating importer: failed to invoke method OpenImage: Running image docker://${world.registry.host}/acme/vespera-dx:latest is rejected by policy.`,
    });

    // The seed document's "keyless" block: the whole file becomes invalid, every pull breaks.
    await writePolicy(world, {
      [`${world.registry.host}/acme`]: [{ type: 'sigstoreSigned', keyless: { issuer: 'https://token.actions.githubusercontent.com', subject: 'x' } }],
    });
    const invalid = failure(await (await client.stageUpdate()).done);
    expect(invalid.code).toBe('policy-rejected');
    expect(invalid.detail).toMatch(/invalid policy in ".*policy.json": Unknown key "keyless"/);
  });

  it('updates a host on ostree-image-signed when the new image is signed, and refuses one signed by another key or not at all', async () => {
    const { world, client } = await open('signed-nvidia');
    // Someone with push access moves latest to their own build, signed with their own key.
    await pushForeignBuild(world, 'acme/vespera-nvidia', 'latest');
    const forged = failure(await (await client.stageUpdate()).done);
    expect(forged.code).toBe('policy-rejected');
    expect(forged.detail).toMatch(/^Creating importer: failed to invoke method OpenImage: .*cryptographic signature verification failed/);
    expect(client.state.staged).toBeUndefined();

    await world.images.retag('acme/vespera-nvidia', 'latest', NEWER.version);
    const staged = await (await client.stageUpdate()).done;
    expect(staged.ok).toBe(true);
    expect(client.state.staged).toMatchObject({ version: NEWER.version, refspec: { verification: 'signed' } });

    const unsigned = buildImage({
      format: 'oci-manifest',
      platforms: [{ os: 'linux', architecture: 'amd64' }],
      labels: { 'org.opencontainers.image.version': '42.20261126.0', 'ostree.bootable': 'true' },
      created: '2026-11-26T04:00:00Z',
      layers: [{ 'usr/lib/os-release': 'NAME="Vespera"\n' }],
    });
    await world.images.pusher.pushImage('acme/vespera-nvidia', unsigned, ['unsigned']);
    const refused = failure(await (await client.rebase(`ostree-image-signed:docker://${world.registry.host}/acme/vespera-nvidia:unsigned`)).done);
    expect(refused).toEqual({ code: 'signature-required', detail: 'Creating importer: failed to invoke method OpenImage: A signature was required, but no signature exists' });
  });
});
