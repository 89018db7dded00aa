// The negative corpus: images in the world's registry that must not verify, each built with the test
// Sigstore (or a misbehaving registry) to fail one check, and each failing with its own code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../main/shared/config.ts';
import type { Sha256Digest } from '../../../main/shared/image-reference.ts';
import type { TrustFailureCode } from '../../../main/trust/errors.ts';
import type { IdentityPolicy } from '../../../main/trust/identity-policy.ts';
import { loadPublicKey } from '../../../main/trust/keys.ts';
import { createTrustContext, verifyImage, type TrustContext, type VerifyImageRequest } from '../../../main/trust/verify-image.ts';
import { AT, corpusKit, expectRepository, hasTerminalControls, official, workflowOf, type CorpusKit, type LegacyOptions, type Pushed } from '../../support/negative-corpus.ts';
import { GITHUB_ISSUER, SOURCE_REPOSITORY } from '../../world/catalog.ts';
import { blob, descriptor, MEDIA } from '../../world/oci.ts';
import { startOtherHost, startRegistryFaults, type OtherHost, type RegistryFaults } from '../../world/registry-faults.ts';
import { ecKeyPair, type FulcioIdentity } from '../../world/sigstore/fulcio.ts';
import { pushLegacySignatures, worldSigstore, type WorldSigstore } from '../../world/sigstore/part.ts';
import { TestSigstore, type TestSigner } from '../../world/sigstore/signer.ts';
import { startTokenRegistry, type TokenRegistry } from '../../world/token-auth.ts';
import { startWorld, type World } from '../../world/world.ts';

let world: World;
let sigstore: WorldSigstore;
let context: TrustContext;
let faults: RegistryFaults;
let other: OtherHost;
let tokens: TokenRegistry;
let kit: CorpusKit;

beforeAll(async () => {
  world = await startWorld();
  sigstore = worldSigstore(world);
  context = await createTrustContext(await loadConfig(world.processEnv()), world.processEnv());
  faults = await startRegistryFaults(world, world.registry.url);
  other = await startOtherHost(world);
  tokens = await startTokenRegistry(world, { privateRepositories: ['acme/vespera-dx'] });
  kit = corpusKit(world);
});
afterAll(async () => {
  await world.stop();
});

const image = (name: string, format: 'oci-manifest' | 'oci-index' = 'oci-manifest'): Promise<Pushed> => kit.image(name, { format });
const legacySigned = (name: string, options?: LegacyOptions): Promise<Pushed> => kit.legacySigned(name, options);
const bundleSigned = (name: string, statement: (pushed: Pushed) => Buffer, subject?: (pushed: Pushed) => Pushed): Promise<Pushed> =>
  kit.bundleSigned(name, statement, subject ? { subject } : {});

interface NegativeCase {
  readonly name: string;
  readonly code: TrustFailureCode;
  readonly request: () => Promise<VerifyImageRequest & { context?: TrustContext }>;
}

const withIdentity = (pushed: Pushed, identity: IdentityPolicy = expectRepository()): VerifyImageRequest => kit.withIdentity(pushed, identity);

const CASES: NegativeCase[] = [
  { name: 'an unsigned image', code: 'no-signature', request: async () => withIdentity(await image('unsigned')) },
  {
    name: "a signature by another repository's workflow (a fork)",
    code: 'identity-mismatch',
    request: async () => withIdentity(await legacySigned('fork', { signer: { kind: 'keyless', identity: workflowOf('https://github.com/mallory/vespera'), at: AT } })),
  },
  {
    name: 'a look-alike repository (vespera-evil)',
    code: 'identity-mismatch',
    request: async () => withIdentity(await legacySigned('evil', { signer: { kind: 'keyless', identity: workflowOf('https://github.com/acme/vespera-evil'), at: AT } })),
  },
  {
    name: 'a look-alike repository (vesperaX)',
    code: 'identity-mismatch',
    request: async () => withIdentity(await legacySigned('vesperax', { signer: { kind: 'keyless', identity: workflowOf('https://github.com/acme/vesperaX'), at: AT } })),
  },
  {
    name: 'the expected repository differs from the signer (--repository acme/other)',
    code: 'identity-mismatch',
    request: async () => withIdentity(await legacySigned('wrong-repo'), expectRepository('https://github.com/acme/other')),
  },
  {
    name: 'a regexp metacharacter in the expected repository (acme/v.spera vs acme/vXspera)',
    code: 'identity-mismatch',
    request: async () => {
      const identity = workflowOf('https://github.com/acme/vXspera');
      const crafted: FulcioIdentity = { ...identity, extensions: { ...identity.extensions, 12: 'https://github.com/acme/v.spera' } };
      return withIdentity(await legacySigned('metachar', { signer: { kind: 'keyless', identity: crafted, at: AT } }), expectRepository('https://github.com/acme/v.spera'));
    },
  },
  {
    name: 'an exact identity that is only a prefix of the SAN',
    code: 'identity-mismatch',
    request: async () =>
      withIdentity(await legacySigned('prefix'), { issuer: GITHUB_ISSUER, identity: { kind: 'exact', subject: `${SOURCE_REPOSITORY}/.github/workflows/build.yml` }, origin: 'explicit' }),
  },
  {
    name: 'an identity regexp that only matches part of the SAN',
    code: 'identity-mismatch',
    request: async () => withIdentity(await legacySigned('partial-regexp'), { issuer: GITHUB_ISSUER, identity: { kind: 'regexp', pattern: 'acme/vespera' }, origin: 'explicit' }),
  },
  {
    name: 'a reusable workflow of another repository signing with the right source repository',
    code: 'identity-mismatch',
    request: async () => {
      const identity = workflowOf(SOURCE_REPOSITORY);
      const reusable: FulcioIdentity = { ...identity, subject: 'https://github.com/mallory/tools/.github/workflows/sign.yml@refs/heads/main' };
      return withIdentity(await legacySigned('reusable', { signer: { kind: 'keyless', identity: reusable, at: AT } }));
    },
  },
  {
    name: 'a workflow run on another ref than the one required',
    code: 'ref-not-allowed',
    request: async () =>
      withIdentity(await legacySigned('dev-ref', { signer: { kind: 'keyless', identity: workflowOf(SOURCE_REPOSITORY, { ref: 'refs/heads/dev' }), at: AT } }), expectRepository(SOURCE_REPOSITORY, { workflowRefs: ['refs/heads/main'] })),
  },
  {
    name: 'a certificate for another OIDC issuer',
    code: 'issuer-mismatch',
    request: async () => withIdentity(await legacySigned('gitlab', { signer: { kind: 'keyless', identity: workflowOf(SOURCE_REPOSITORY, { issuer: 'https://gitlab.com' }), at: AT } })),
  },
  {
    name: 'a tampered payload',
    code: 'bad-signature',
    request: async () => withIdentity(await legacySigned('tampered', { stored: (signed) => Buffer.from(signed.toString().replace('"optional":null', '"optional":{"creator":"evil"}')) })),
  },
  {
    name: 'a payload for another digest',
    code: 'digest-mismatch',
    request: async () => withIdentity(await legacySigned('other-digest', { signed: (p) => TestSigstore.simpleSigningPayload(`${world.registry.host}/${p.repository}`, world.images.get('acme/vespera', 'latest').digest) })),
  },
  {
    name: 'a signature moved from another image',
    code: 'digest-mismatch',
    request: async () => {
      const pushed = await image('moved');
      const donor = world.images.get('acme/vespera', 'latest');
      const sig = await fetch(`${world.registry.url}/v2/acme/vespera/manifests/${donor.digest.replace(':', '-')}.sig`, { headers: { accept: MEDIA.ociManifest } });
      const manifest = blob(MEDIA.ociManifest, Buffer.from(await sig.arrayBuffer()));
      const parsed = JSON.parse(manifest.data.toString()) as { config: { digest: string }; layers: Array<{ digest: string }> };
      for (const d of [parsed.config.digest, ...parsed.layers.map((l) => l.digest)]) {
        const b = await fetch(`${world.registry.url}/v2/acme/vespera/blobs/${d}`);
        await world.images.pusher.pushBlob(pushed.repository, blob('application/octet-stream', Buffer.from(await b.arrayBuffer())));
      }
      await world.images.pusher.pushManifest(pushed.repository, `${pushed.digest.replace(':', '-')}.sig`, manifest);
      return withIdentity(pushed);
    },
  },
  {
    name: 'a signature claiming another repository for the same content',
    code: 'identity-mismatch',
    request: async () => withIdentity(await legacySigned('other-repository', { signed: (p) => TestSigstore.simpleSigningPayload(`${world.registry.host}/acme/vespera`, p.digest) })),
  },
  {
    name: 'a signature made with another key',
    code: 'bad-signature',
    request: async () => {
      const pushed = await legacySigned('wrong-key', { signer: { kind: 'key', key: 'intruder', at: AT } });
      return { reference: pushed.reference, keys: [await loadPublicKey(sigstore.publisherKeyPath)] };
    },
  },
  {
    name: 'a keyless signature where only a key is trusted',
    code: 'identity-mismatch',
    request: async () => ({ reference: (await legacySigned('keyless-for-key')).reference, keys: [await loadPublicKey(sigstore.publisherKeyPath)] }),
  },
  {
    name: 'a certificate from an untrusted CA',
    code: 'untrusted-chain',
    request: async () => withIdentity(await legacySigned('rogue-ca', { signer: { ...official(), fulcio: sigstore.signer.rogueFulcio() } as TestSigner })),
  },
  {
    name: 'a certificate not made for code signing',
    code: 'untrusted-chain',
    request: async () => withIdentity(await legacySigned('no-eku', { signer: { ...official(), leaf: { withoutCodeSigning: true } } as TestSigner })),
  },
  {
    name: 'a certificate without a certificate-transparency SCT',
    code: 'untrusted-chain',
    request: async () => withIdentity(await legacySigned('no-sct', { signer: { ...official(), leaf: { sct: 'none' } } as TestSigner })),
  },
  {
    name: 'a certificate logged by an unknown CT log',
    code: 'untrusted-chain',
    request: async () => {
      const { TestCtLog } = await import('../../world/sigstore/fulcio.ts');
      return withIdentity(await legacySigned('foreign-sct', { signer: { ...official(), leaf: { sct: new TestCtLog() } } as TestSigner }));
    },
  },
  { name: 'an expired certificate without a log entry', code: 'cert-expired', request: async () => withIdentity(await legacySigned('no-tlog', { log: { tlog: false } })) },
  {
    name: 'a log entry made after the certificate expired',
    code: 'cert-expired',
    request: async () => withIdentity(await legacySigned('late-log', { log: { integratedTime: new Date(AT.getTime() + 20 * 60_000) } })),
  },
  { name: 'a SET signed by another key', code: 'tlog-invalid', request: async () => withIdentity(await legacySigned('forged-set', { log: { setKey: ecKeyPair().privateKey } })) },
  {
    name: 'a log body that does not match the signature',
    code: 'tlog-invalid',
    request: async () =>
      withIdentity(
        await legacySigned('other-body', {
          log: { body: (b) => ({ ...b, spec: { ...(b.spec as object), signature: { ...((b.spec as { signature: object }).signature), content: Buffer.alloc(70, 1).toString('base64') } } }) },
        }),
      ),
  },
  {
    name: 'a log body naming another key than the certificate',
    code: 'tlog-invalid',
    request: async () =>
      withIdentity(
        await legacySigned('other-logged-key', {
          log: {
            body: (b) => {
              const spec = b.spec as { signature: { content: string } };
              return { ...b, spec: { ...spec, signature: { content: spec.signature.content, publicKey: { content: Buffer.from(sigstore.signer.publicKeyPem('intruder')).toString('base64') } } } };
            },
          },
        }),
      ),
  },
  { name: 'malformed JSON in the signed payload', code: 'unsupported-format', request: async () => withIdentity(await legacySigned('bad-json', { signed: () => Buffer.from('{"critical":{"identity":') })) },
  {
    name: 'a payload with a field containers/image does not know',
    code: 'unsupported-format',
    request: async () =>
      withIdentity(await legacySigned('extra-field', { signed: (p) => Buffer.from(TestSigstore.simpleSigningPayload(`${world.registry.host}/${p.repository}`, p.digest).toString().replace('{"critical"', '{"evil":1,"critical"')) })),
  },
  {
    name: 'malformed base64 in the signature annotation',
    code: 'unsupported-format',
    request: async () => withIdentity(await legacySigned('bad-base64', { annotations: (a) => ({ ...a, 'dev.cosignproject.cosign/signature': 'MEU%%%not*base64' }) })),
  },
  {
    name: 'a .sig tag that holds an ordinary image',
    code: 'no-signature',
    request: async () => {
      const pushed = await image('not-a-signature');
      await world.images.pusher.pushImage(pushed.repository, pushed.image, [`${pushed.digest.replace(':', '-')}.sig`]);
      return withIdentity(pushed);
    },
  },
  {
    name: 'a signature layer claiming to be larger than any signature',
    code: 'unsupported-format',
    request: async () => {
      const pushed = await image('huge-layer');
      const payload = TestSigstore.simpleSigningPayload(`${world.registry.host}/${pushed.repository}`, pushed.digest);
      const layer = blob('application/vnd.dev.cosign.simplesigning.v1+json', payload);
      const config = blob(MEDIA.ociConfig, '{}');
      await world.images.pusher.pushBlob(pushed.repository, layer);
      await world.images.pusher.pushBlob(pushed.repository, config);
      const annotations = sigstore.signer.signLegacy(payload, official());
      const manifest = blob(MEDIA.ociManifest, JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: descriptor(config), layers: [{ ...descriptor(layer), size: 64 * 1024 * 1024, annotations }] }));
      await world.images.pusher.pushManifest(pushed.repository, `${pushed.digest.replace(':', '-')}.sig`, manifest);
      return withIdentity(pushed);
    },
  },
  {
    name: 'a cosign 3 bundle whose statement is about another image',
    code: 'digest-mismatch',
    request: async () => withIdentity(await bundleSigned('bundle-other-digest', () => TestSigstore.cosignStatement(world.images.get('acme/vespera', 'latest').digest))),
  },
  {
    name: 'a cosign 3 attestation that is not a signature',
    code: 'no-signature',
    request: async () => withIdentity(await bundleSigned('attestation-only', (p) => TestSigstore.cosignStatement(p.digest, 'https://slsa.dev/provenance/v1'))),
  },
  {
    name: "a referrer index listing another image's bundle",
    code: 'digest-mismatch',
    request: async () => {
      const donor = await image('referrer-donor');
      return withIdentity(await bundleSigned('referrer-subject', (p) => TestSigstore.cosignStatement(p.digest), () => donor));
    },
  },
  {
    name: 'a platform manifest the signed index does not list',
    code: 'digest-mismatch',
    request: async () => {
      const pushed = await image('platform-index', 'oci-index');
      const payload = TestSigstore.simpleSigningPayload(`${world.registry.host}/${pushed.repository}`, pushed.digest);
      await pushLegacySignatures(world.images.pusher, pushed.repository, pushed.digest, [{ payload, annotations: sigstore.signer.signLegacy(payload, official()) }]);
      return { ...withIdentity(pushed), platformDigest: world.images.get('acme/vespera-nvidia', 'latest').platformDigests.amd64 as Sha256Digest };
    },
  },
  {
    name: 'a registry serving a manifest that does not match its digest',
    code: 'digest-mismatch',
    request: async () => {
      const pushed = await legacySigned('tampered-manifest');
      faults.add({ path: new RegExp(`/neg/tampered-manifest/manifests/${pushed.digest}$`), action: { kind: 'transform', transform: (b) => Buffer.from(`${b.toString()} `) } });
      return { reference: `${faults.host}/${pushed.repository}@${pushed.digest}`, identity: expectRepository() };
    },
  },
  {
    name: 'a registry serving a signature payload that does not match its digest',
    code: 'digest-mismatch',
    request: async () => {
      const pushed = await legacySigned('tampered-blob');
      faults.add({ path: /\/neg\/tampered-blob\/blobs\//, action: { kind: 'transform', transform: (b) => Buffer.from(b.toString().replace('cosign container image signature', 'cosign container image signaturE')) } });
      return { reference: `${faults.host}/${pushed.repository}:latest`, identity: expectRepository(), signedIdentity: { type: 'exactRepository', dockerRepository: `${world.registry.host}/${pushed.repository}` } };
    },
  },
  {
    name: 'a signature blob redirected to another host serving other bytes',
    code: 'digest-mismatch',
    request: async () => {
      const pushed = await legacySigned('redirected');
      other.body = Buffer.from('{"critical":{"identity":{"docker-reference":"evil"}}}');
      faults.add({ path: /\/neg\/redirected\/blobs\//, action: { kind: 'redirect', location: `${other.url}/s3/blob` } });
      return { reference: `${faults.host}/${pushed.repository}:latest`, identity: expectRepository(), signedIdentity: { type: 'exactRepository', dockerRepository: `${world.registry.host}/${pushed.repository}` } };
    },
  },
  {
    name: 'an oversized manifest',
    code: 'unsupported-format',
    request: () => {
      faults.add({ path: /\/neg\/oversized\/manifests\/latest$/, action: { kind: 'status', status: 200, headers: { 'content-type': MEDIA.ociManifest }, body: Buffer.alloc(6 * 1024 * 1024, 0x20) } });
      return Promise.resolve({ reference: `${faults.host}/neg/oversized:latest`, identity: expectRepository() });
    },
  },
  {
    name: 'a registry that keeps failing',
    code: 'network',
    request: async () => {
      faults.add({ path: /\/neg\/down\//, action: { kind: 'status', status: 503 } });
      const impatient = await createTrustContext(await loadConfig(world.processEnv()), world.processEnv(), { trustRoot: context.trustRoot, registry: { backoffMs: 5, attempts: 2 } });
      return { reference: `${faults.host}/neg/down:latest`, identity: expectRepository(), context: impatient };
    },
  },
  { name: 'a tag that does not exist', code: 'image-not-found', request: () => Promise.resolve({ reference: `${world.registry.host}/acme/vespera:41`, identity: expectRepository() }) },
  { name: 'a private image without a login', code: 'registry-auth', request: () => Promise.resolve({ reference: `${tokens.host}/acme/vespera-dx:latest`, identity: expectRepository() }) },
  { name: 'a reference that is not an image reference', code: 'invalid-input', request: () => Promise.resolve({ reference: 'ghcr.io/Acme/Vespera:latest', identity: expectRepository() }) },
];

describe('the negative corpus', () => {
  it('has at least 25 cases covering every failure code but the transient ones', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
    const codes = new Set(CASES.map((c) => c.code));
    for (const code of ['no-signature', 'digest-mismatch', 'identity-mismatch', 'issuer-mismatch', 'untrusted-chain', 'bad-signature', 'tlog-invalid', 'cert-expired', 'image-not-found', 'registry-auth', 'network', 'unsupported-format', 'invalid-input']) {
      expect(codes.has(code as TrustFailureCode), code).toBe(true);
    }
  });

  it.each(CASES)('$name fails with $code', async ({ code, request }) => {
    const { context: own, ...question } = await request();
    const result = await verifyImage(question, own ?? context);
    expect(result.status).toBe('failed');
    expect(result, result.status === 'failed' ? `${result.code}: ${result.message}` : '').toMatchObject({ code });
    if (result.status === 'failed') {
      expect(result.message.length).toBeGreaterThan(40);
      expect(hasTerminalControls(result.message), result.message).toBe(false);
    }
  });
});
