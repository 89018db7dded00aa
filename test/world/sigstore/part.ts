// The world part that brings the test Sigstore: signs every catalog release as its `signatures`
// intents say (legacy `.sig` tags and/or cosign 3 bundle referrers), writes the trusted root and
// the publisher's key under the world root, and points the app config at them.

import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sha256Digest } from '../../../main/shared/image-reference.ts';
import type { PushedRelease } from '../images.ts';
import { blob, descriptor, MEDIA, type Blob } from '../oci.ts';
import type { RegistryPusher } from '../registry.ts';
import type { World, WorldPart } from '../world.ts';
import { githubActionsIdentity, spki, toPem } from './fulcio.ts';
import { TestSigstore, type TestSigner } from './signer.ts';
import { OWNER, type SignatureIntent } from '../catalog.ts';

export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export interface LegacyLayer {
  readonly payload: Buffer;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface WorldSigstore {
  readonly signer: TestSigstore;
  readonly trustedRootPath: string;
  /** The publisher key `vespera` as cosign.pub. */
  readonly publisherKeyPath: string;
  /** Writes (once) and returns the public key file of a named key pair. */
  keyPath(name: string): Promise<string>;
  /** The signer a catalog intent stands for, signing at `at`. */
  signerFor(intent: SignatureIntent, release: PushedRelease, at?: Date): TestSigner;
}

const parts = new WeakMap<World, WorldSigstore>();

/** The test Sigstore of a world started with the sigstore part. */
export function worldSigstore(world: World): WorldSigstore {
  const found = parts.get(world);
  if (!found) throw new Error('this world has no test Sigstore (the sigstore part did not run)');
  return found;
}

/** When a release was signed: ten minutes after its build. */
export function signingTime(release: PushedRelease): Date {
  return new Date(Date.parse(release.release.created) + 10 * 60_000);
}

/** The commit a release was built from (stable per repository and version). */
export function releaseCommit(repository: string, version: string): string {
  return createHash('sha1').update(`${repository}@${version}`).digest('hex');
}

/**
 * Uploads a blob the registry cannot have yet (signatures are new), without the existence check
 * RegistryPusher makes first: one POST and one PUT.
 */
async function pushNewBlob(pusher: RegistryPusher, repository: string, b: Blob): Promise<void> {
  const headers: Record<string, string> = pusher.authorization ? { authorization: pusher.authorization } : {};
  const start = await fetch(new URL(`/v2/${repository}/blobs/uploads/`, pusher.url), { method: 'POST', headers });
  await start.arrayBuffer();
  if (start.status !== 202) throw new Error(`starting a blob upload to ${repository} answered ${start.status}`);
  const target = new URL(start.headers.get('location') ?? '', pusher.url);
  target.searchParams.set('digest', b.digest);
  const put = await fetch(target, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: new Uint8Array(b.data) });
  const text = await put.text();
  if (put.status !== 201) throw new Error(`uploading blob ${b.digest} to ${repository} answered ${put.status}: ${text}`);
}

/** Pushes a cosign legacy `.sig` manifest holding `layers` for `digest`; returns its digest. */
export async function pushLegacySignatures(
  pusher: RegistryPusher,
  repository: string,
  digest: Sha256Digest,
  layers: readonly LegacyLayer[],
  options: { tag?: string; mediaType?: string } = {},
): Promise<Sha256Digest> {
  const blobs = layers.map((l) => blob(SIMPLE_SIGNING, l.payload));
  const config = blob(
    MEDIA.ociConfig,
    JSON.stringify({
      architecture: '',
      config: {},
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: blobs.map((b) => b.digest) },
    }),
  );
  const mediaType = options.mediaType ?? MEDIA.ociManifest;
  const manifest = blob(
    mediaType,
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: descriptor(config),
      layers: blobs.map((b, i) => descriptor(b, { annotations: layers[i]?.annotations })),
    }),
  );
  // Several layers may carry the same payload (keyless and key signatures of one digest).
  const unique = [...new Map([config, ...blobs].map((b) => [b.digest, b])).values()];
  await Promise.all(unique.map((b) => pushNewBlob(pusher, repository, b)));
  return await pusher.pushManifest(repository, options.tag ?? `${digest.replace(':', '-')}.sig`, manifest);
}

/**
 * Attaches a Sigstore bundle the way cosign 3 does on a registry without the referrers API: the
 * bundle manifest (with `subject`) by digest, listed in an index under the `sha256-<hex>` tag.
 */
export async function pushBundleReferrer(
  pusher: RegistryPusher,
  repository: string,
  subject: { digest: Sha256Digest; mediaType: string; size: number },
  bundle: unknown,
  options: { extraReferrers?: ReadonlyArray<Record<string, unknown>>; artifactType?: string } = {},
): Promise<Sha256Digest> {
  const bundleBlob = blob(BUNDLE_V03, JSON.stringify(bundle));
  const empty = blob(MEDIA.ociEmpty, '{}');
  const artifactType = options.artifactType ?? BUNDLE_V03;
  const manifest = blob(
    MEDIA.ociManifest,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      artifactType,
      config: descriptor(empty),
      layers: [descriptor(bundleBlob)],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations: {
        'dev.sigstore.bundle.content': 'dsse-envelope',
        'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1',
        'org.opencontainers.image.created': '2026-11-20T04:10:00Z',
      },
    }),
  );
  await pusher.pushBlob(repository, empty);
  await pusher.pushBlob(repository, bundleBlob);
  const digest = await pusher.pushManifest(repository, manifest.digest, manifest);
  // Like go-containerregistry's fallback index: descriptors without the bundle annotations.
  const index = blob(
    MEDIA.ociIndex,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [...(options.extraReferrers ?? []), descriptor(manifest, { artifactType })],
    }),
  );
  await pusher.pushManifest(repository, subject.digest.replace(':', '-'), index);
  return digest;
}

export const SIGSTORE_PART: WorldPart = {
  name: 'test Sigstore',
  async start(world: World): Promise<void> {
    const signer = new TestSigstore();
    const dir = join(world.root, 'sigstore');
    const keysDir = join(world.root, 'keys');
    await Promise.all([mkdir(dir, { recursive: true }), mkdir(keysDir, { recursive: true })]);
    const trustedRootPath = join(dir, 'trusted_root.json');
    await writeFile(trustedRootPath, JSON.stringify(signer.trustedRoot(), null, 2));
    const written = new Map<string, Promise<string>>();
    const keyPath = (name: string): Promise<string> => {
      let path = written.get(name);
      if (!path) {
        const file = join(keysDir, `${name}.pub`);
        const pair = signer.keyPair(name);
        path = (async () => {
          await writeFile(file, toPem(spki(pair.publicKey), 'PUBLIC KEY'));
          // The private half, as a publisher's CI holds it (PKCS#8; cosign's own file is encrypted).
          await writeFile(join(keysDir, `${name}.key`), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
          return file;
        })();
        written.set(name, path);
      }
      return path;
    };
    const signerFor = (intent: SignatureIntent, release: PushedRelease, at = signingTime(release)): TestSigner =>
      intent.kind === 'key'
        ? { kind: 'key', key: intent.key, at }
        : {
            kind: 'keyless',
            at,
            identity: githubActionsIdentity({
              repository: intent.repository,
              workflow: intent.workflow,
              ref: intent.ref,
              issuer: intent.issuer,
              commit: releaseCommit(intent.repository, release.release.version),
            }),
          };
    const publisherKeyPath = await keyPath('vespera');
    const state: WorldSigstore = { signer, trustedRootPath, publisherKeyPath, keyPath, signerFor };
    parts.set(world, state);

    await signCatalog(world, state);

    const config = world.config as { trust?: Record<string, unknown>; families?: unknown[] };
    config.trust = { ...(config.trust ?? {}), 'trusted-root': trustedRootPath };
    // The publisher also signs with a key (as Universal Blue does): naming it lets the app offer
    // key-enforced mode. The keyless identity stays the one derived from the image names.
    config.families = [...(config.families ?? []), { images: [`${world.registry.host}/${OWNER}/vespera*`], key: publisherKeyPath }];
    world.extraEnv.VESPERA_WORLD_TRUSTED_ROOT = trustedRootPath;
    world.extraEnv.VESPERA_WORLD_PUBLISHER_KEY = publisherKeyPath;
  },
};

async function signCatalog(world: World, state: WorldSigstore): Promise<void> {
  const pusher = world.images.pusher;
  // Every release's signatures are independent (their own tags): sign and push them side by side.
  await Promise.all(
    world.images.pushed.map(async (release) => {
      const reference = `${world.images.registryHost}/${release.repository}`;
      const payload = TestSigstore.simpleSigningPayload(reference, release.digest);
      const legacy: LegacyLayer[] = [];
      for (const intent of release.release.signatures) {
        const signer = state.signerFor(intent, release);
        if (intent.layout === 'legacy') {
          legacy.push({ payload, annotations: state.signer.signLegacy(payload, signer) });
        } else {
          const bundle = state.signer.signBundle(TestSigstore.cosignStatement(release.digest), signer);
          const top = release.image.top;
          await pushBundleReferrer(pusher, release.repository, { digest: top.digest, mediaType: top.mediaType, size: top.data.length }, bundle);
        }
      }
      if (legacy.length > 0) await pushLegacySignatures(pusher, release.repository, release.digest, legacy);
    }),
  );
}

