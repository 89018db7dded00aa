// verifyImage against the world: the signed Vespera catalog, with identities derived from the image
// names, keys, cosign 3 bundles, platform manifests and the verification cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../main/shared/config.ts';
import { parseDockerReference, type Sha256Digest } from '../../../main/shared/image-reference.ts';
import { loadPublicKey, type PublicKeyRef } from '../../../main/trust/keys.ts';
import type { VerificationFailure, VerifiedImage } from '../../../main/trust/result.ts';
import { createTrustContext, verifyImage, type TrustContext } from '../../../main/trust/verify-image.ts';
import { CURRENT, KEY_SIGNED_VARIANTS, OLD, VARIANTS } from '../../world/catalog.ts';
import { pushLegacySignatures, worldSigstore } from '../../world/sigstore/part.ts';
import { TestSigstore } from '../../world/sigstore/signer.ts';
import { startTokenRegistry, type TokenRegistry } from '../../world/token-auth.ts';
import { startWorld, type World } from '../../world/world.ts';

let world: World;
let context: TrustContext;
let publisherKey: PublicKeyRef;
let tokens: TokenRegistry;

beforeAll(async () => {
  world = await startWorld();
  context = await createTrustContext(await loadConfig(world.processEnv()), world.processEnv());
  publisherKey = await loadPublicKey(world.env.VESPERA_WORLD_PUBLISHER_KEY ?? '');
  tokens = await startTokenRegistry(world);
});
afterAll(async () => {
  await world.stop();
});

const ref = (repository: string, tag: string): string => world.images.reference(repository, tag);
const verified = (r: unknown): VerifiedImage => {
  expect(r, (r as { message?: string }).message).toMatchObject({ status: 'verified' });
  return r as VerifiedImage;
};
const failedWith = (r: unknown, code: string): VerificationFailure => {
  expect(r).toMatchObject({ status: 'failed', code });
  return r as VerificationFailure;
};

describe('the signed Vespera catalog', () => {
  it.each(VARIANTS.flatMap((v) => [[v, CURRENT.version], [v, OLD.version]]))(
    'acme/%s:%s verifies as signed by a workflow of acme/vespera, derived from its name',
    async (variant, version) => {
      const pushed = world.images.get(`acme/${variant}`, version);
      const result = verified(await verifyImage({ reference: ref(`acme/${variant}`, version), fresh: true }, context));
      expect(result).toMatchObject({
        digest: pushed.digest,
        layout: 'legacy',
        visibleToRpmOstree: true,
        claimedReference: `${world.registry.host}/acme/${variant}`,
        policy: { description: 'a workflow of https://github.com/acme/vespera', origin: 'derived' },
        signer: {
          kind: 'keyless',
          subject: 'https://github.com/acme/vespera/.github/workflows/build.yml@refs/heads/main',
          issuer: 'https://token.actions.githubusercontent.com',
          sourceRepository: 'https://github.com/acme/vespera',
          sourceRepositoryRef: 'refs/heads/main',
          commit: expect.stringMatching(/^[0-9a-f]{40}$/) as string,
        },
        tlog: { logIndex: expect.any(Number) as number, integratedTime: expect.stringMatching(/^2026-11-/) as string },
        cosign: { critical: { image: { 'docker-manifest-digest': pushed.digest }, type: 'cosign container image signature' } },
      });
      expect(result.platformDigest).toBe(pushed.platformDigests.amd64);
    },
  );

  it('verifies the key-signed variants with the publisher key, and only those', async () => {
    for (const variant of VARIANTS) {
      const result = await verifyImage({ reference: ref(`acme/${variant}`, 'latest'), keys: [publisherKey] }, context);
      if (KEY_SIGNED_VARIANTS.includes(variant)) {
        expect(verified(result)).toMatchObject({ signer: { kind: 'key', key: publisherKey.source, keyId: publisherKey.hint }, policy: { origin: 'key' }, visibleToRpmOstree: true });
      } else {
        expect(failedWith(result, 'identity-mismatch').message).toMatch(/only a publisher key is trusted/);
      }
    }
  });

  it('reports the unsigned image as not signed', async () => {
    const result = failedWith(await verifyImage({ reference: ref('acme/vespera-dx', 'unsigned') }, context), 'no-signature');
    expect(result.message).toMatch(/is not signed/);
    expect(result.digest).toBe(world.images.get('acme/vespera-dx', 'unsigned').digest);
  });

  it("reports the image signed by another repository's workflow as signed by the wrong people", async () => {
    const result = failedWith(await verifyImage({ reference: ref('acme/vespera-nvidia', 'forked') }, context), 'identity-mismatch');
    expect(result.message).toContain('https://github.com/mallory/vespera');
    expect(result.attempts).toHaveLength(1);
  });

  it('verifies the cosign-3-only image and says rpm-ostree cannot see its signature', async () => {
    const result = verified(await verifyImage({ reference: ref('acme/vespera', 'cosign3') }, context));
    expect(result).toMatchObject({ layout: 'bundle', visibleToRpmOstree: false, signer: { kind: 'keyless', sourceRepository: 'https://github.com/acme/vespera' } });
    expect(result.tlog).toBeDefined();
  });

  it('names the tags that exist when the one asked for does not', async () => {
    const result = failedWith(await verifyImage({ reference: ref('acme/vespera', '43') }, context), 'image-not-found');
    expect(result.availableTags).toEqual(expect.arrayContaining(['latest', '42', CURRENT.version, OLD.version]));
    expect(result.availableTags?.some((t) => t.startsWith('sha256-'))).toBe(false);
  });

  it('verifies the newer build that update scenarios move latest to', async () => {
    expect(verified(await verifyImage({ reference: ref('acme/vespera-nvidia', '42.20261125.0') }, context)).digest).toBe(world.images.get('acme/vespera-nvidia', '42.20261125.0').digest);
  });
});

describe('the digest rpm-ostree deploys', () => {
  it('links the platform manifest to the signed index by digest', async () => {
    const latest = world.images.get('acme/vespera-nvidia', 'latest');
    const arm = latest.platformDigests.arm64 as Sha256Digest;
    const result = verified(await verifyImage({ reference: ref('acme/vespera-nvidia', 'latest'), platformDigest: arm }, context));
    expect(result).toMatchObject({ digest: latest.digest, platformDigest: arm });
  });

  it("does not call a deployed manifest signed when the tag's index no longer lists it", async () => {
    const old = world.images.get('acme/vespera-nvidia', OLD.version);
    const result = failedWith(await verifyImage({ reference: ref('acme/vespera-nvidia', 'latest'), platformDigest: old.platformDigests.amd64 }, context), 'digest-mismatch');
    expect(result.message).toContain(old.platformDigests.amd64);
    // Given the index it came from, the same manifest is verified.
    verified(await verifyImage({ reference: ref('acme/vespera-nvidia', 'latest'), digest: old.digest, platformDigest: old.platformDigests.amd64 }, context));
  });

  it('verifies an image named by digest, and refuses two different digests for one question', async () => {
    const latest = world.images.get('acme/vespera-dx', 'latest');
    verified(await verifyImage({ reference: `${world.registry.host}/acme/vespera-dx@${latest.digest}` }, context));
    failedWith(await verifyImage({ reference: `${world.registry.host}/acme/vespera-dx@${latest.digest}`, digest: world.images.get('acme/vespera-dx', OLD.version).digest }, context), 'invalid-input');
  });
});

describe('signatures kept in another repository (COSIGN_REPOSITORY)', () => {
  it('verifies them there, and says rpm-ostree would not look there', async () => {
    const latest = world.images.get('acme/vespera', 'latest');
    const sigstore = worldSigstore(world);
    const payload = TestSigstore.simpleSigningPayload(`${world.registry.host}/acme/vespera`, latest.digest);
    const signer = sigstore.signerFor(latest.release.signatures[0] ?? { kind: 'key', layout: 'legacy', key: 'vespera' }, latest);
    await pushLegacySignatures(world.images.pusher, 'acme/signatures', latest.digest, [{ payload, annotations: sigstore.signer.signLegacy(payload, signer) }]);
    const result = verified(await verifyImage({ reference: ref('acme/vespera', 'latest'), signatureRepository: parseDockerReference(`${world.registry.host}/acme/signatures`) }, context));
    expect(result).toMatchObject({ layout: 'legacy', visibleToRpmOstree: false, digest: latest.digest });
  });
});

describe('signatures rpm-ostree would refuse to read', () => {
  it('verifies a signature manifest cosign wrote with Docker media types, and says the OS cannot use it', async () => {
    const old = world.images.get('acme/vespera-dx', OLD.version);
    const sigstore = worldSigstore(world);
    const payload = TestSigstore.simpleSigningPayload(`${world.registry.host}/acme/vespera-dx-docker`, old.digest);
    await world.images.pusher.pushImage('acme/vespera-dx-docker', old.image, ['latest']);
    const signer = sigstore.signerFor(old.release.signatures[0] ?? { kind: 'key', layout: 'legacy', key: 'vespera' }, old);
    await pushLegacySignatures(world.images.pusher, 'acme/vespera-dx-docker', old.digest, [{ payload, annotations: sigstore.signer.signLegacy(payload, signer) }], {
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    });
    const identity = { issuer: 'https://token.actions.githubusercontent.com', identity: { kind: 'repository', url: 'https://github.com/acme/vespera' }, origin: 'explicit' } as const;
    const result = verified(await verifyImage({ reference: ref('acme/vespera-dx-docker', 'latest'), identity }, context));
    expect(result).toMatchObject({ layout: 'legacy', visibleToRpmOstree: false });
  });
});

describe('who is expected', () => {
  it('accepts an exact identity or an anchored regexp, and refuses a repository that did not sign', async () => {
    const issuer = 'https://token.actions.githubusercontent.com';
    const subject = 'https://github.com/acme/vespera/.github/workflows/build.yml@refs/heads/main';
    verified(await verifyImage({ reference: ref('acme/vespera', 'latest'), identity: { issuer, identity: { kind: 'exact', subject }, origin: 'explicit' } }, context));
    verified(await verifyImage({ reference: ref('acme/vespera', 'latest'), identity: { issuer, identity: { kind: 'regexp', pattern: 'https://github\\.com/acme/.+' }, origin: 'explicit' } }, context));
    failedWith(await verifyImage({ reference: ref('acme/vespera', 'latest'), identity: { issuer, identity: { kind: 'repository', url: 'https://github.com/acme/other' }, origin: 'explicit' } }, context), 'identity-mismatch');
    failedWith(await verifyImage({ reference: ref('acme/vespera', 'latest'), identity: { issuer, identity: { kind: 'repository', url: 'https://github.com/acme/vespera' }, origin: 'explicit', workflowRefs: ['refs/tags/v42'] } }, context), 'ref-not-allowed');
  });

  it('asks for an identity when none can be derived', async () => {
    const plain = await createTrustContext({ ...(await loadConfig(world.processEnv())), registries: [{ host: world.registry.host, insecure: true, githubPackages: false }] }, world.processEnv(), { trustRoot: context.trustRoot });
    expect(failedWith(await verifyImage({ reference: ref('acme/vespera', 'latest') }, plain), 'invalid-input').message).toMatch(/--repository/);
  });
});

describe('requests and the verification cache', () => {
  it('asks a token-authenticated registry for no more than token, manifest, signature manifest and payload', async () => {
    const fresh = await createTrustContext(await loadConfig(world.processEnv()), world.processEnv(), { trustRoot: context.trustRoot });
    // The token registry serves the world's storage under another name: a mirror, signed as the original.
    const result = verified(
      await verifyImage(
        {
          reference: `${tokens.host}/acme/vespera-nvidia:latest`,
          identity: { issuer: 'https://token.actions.githubusercontent.com', identity: { kind: 'repository', url: 'https://github.com/acme/vespera' }, origin: 'explicit' },
          signedIdentity: { type: 'exactRepository', dockerRepository: `${world.registry.host}/acme/vespera-nvidia` },
        },
        fresh,
      ),
    );
    expect(result.claimedReference).toBe(`${world.registry.host}/acme/vespera-nvidia`);
    // The first request meets the challenge; then a token, the manifest, the .sig manifest, the payload.
    expect(fresh.registry.counters).toMatchObject({ challenges: 1, token: 1, manifest: 2, blob: 1, referrers: 0, total: 5 });

    // Another repository on the same registry: its token server is known now, so no challenge first.
    fresh.registry.resetCounters();
    verified(
      await verifyImage(
        {
          reference: `${tokens.host}/acme/vespera:latest`,
          identity: { issuer: 'https://token.actions.githubusercontent.com', identity: { kind: 'repository', url: 'https://github.com/acme/vespera' }, origin: 'explicit' },
          signedIdentity: { type: 'exactRepository', dockerRepository: `${world.registry.host}/acme/vespera` },
        },
        fresh,
      ),
    );
    expect(fresh.registry.counters).toMatchObject({ challenges: 0, token: 1, manifest: 2, blob: 1, referrers: 0, total: 4 });
    expect(tokens.tokenRequests.at(-1)?.scopes).toEqual(['repository:acme/vespera:pull']);
  });

  it('answers the same question from the cache with one manifest request', async () => {
    const fresh = await createTrustContext(await loadConfig(world.processEnv()), world.processEnv(), { trustRoot: context.trustRoot });
    const question = { reference: ref('acme/vespera-dx-nvidia', 'latest') };
    expect(verified(await verifyImage(question, fresh)).cached).toBe(false);
    fresh.registry.resetCounters();
    expect(verified(await verifyImage(question, fresh)).cached).toBe(true);
    expect(fresh.registry.counters.total).toBe(1);
    const pinned = verified(await verifyImage({ ...question, digest: world.images.get('acme/vespera-dx-nvidia', 'latest').digest }, fresh));
    expect(pinned.cached).toBe(true);
    expect(verified(await verifyImage({ ...question, fresh: true }, fresh)).cached).toBe(false);
  });
});
