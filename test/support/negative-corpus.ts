// What the negative corpora share: fresh images of their own in the world's registry (`neg/NAME`),
// signed in either cosign layout by the publisher's identity or anyone else's, as the cases need.

import type { Sha256Digest } from '../../main/shared/image-reference.ts';
import type { IdentityPolicy } from '../../main/trust/identity-policy.ts';
import type { VerifyImageRequest } from '../../main/trust/verify-image.ts';
import { GITHUB_ISSUER, SOURCE_REPOSITORY } from '../world/catalog.ts';
import { blob, buildImage, MEDIA, type BuiltImage, type ImageFormat } from '../world/oci.ts';
import { githubActionsIdentity, type FulcioIdentity } from '../world/sigstore/fulcio.ts';
import { pushBundleReferrer, pushLegacySignatures, worldSigstore } from '../world/sigstore/part.ts';
import { TestSigstore, type LogOptions, type TestSigner } from '../world/sigstore/signer.ts';
import type { World } from '../world/world.ts';

/** When the corpus's signatures are made. */
export const AT = new Date('2026-11-20T04:10:00Z');

export const workflowOf = (repository: string, extra: Partial<{ workflow: string; ref: string; issuer: string }> = {}): FulcioIdentity =>
  githubActionsIdentity({ repository, workflow: extra.workflow ?? '.github/workflows/build.yml', ref: extra.ref ?? 'refs/heads/main', issuer: extra.issuer ?? GITHUB_ISSUER, commit: 'c'.repeat(40) });
/** The publisher: a workflow of acme/vespera on main. */
export const official = (): TestSigner => ({ kind: 'keyless', identity: workflowOf(SOURCE_REPOSITORY), at: AT });
export const expectRepository = (url = SOURCE_REPOSITORY, extra: Partial<IdentityPolicy> = {}): IdentityPolicy => ({ issuer: GITHUB_ISSUER, identity: { kind: 'repository', url }, origin: 'explicit', ...extra });

export interface Pushed {
  readonly repository: string;
  readonly digest: Sha256Digest;
  readonly image: BuiltImage;
  readonly reference: string;
}

export interface ImageOptions {
  readonly format?: ImageFormat;
  /** Config labels (default: the title is the image's name, as the world's images have). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly created?: string;
  readonly tag?: string;
}

export interface LegacyOptions {
  readonly signer?: TestSigner;
  readonly log?: LogOptions;
  /** What is signed (default: the simple-signing payload for this image). */
  readonly signed?: (pushed: Pushed) => Buffer;
  /** What is stored as the layer (default: what was signed). */
  readonly stored?: (signed: Buffer) => Buffer;
  readonly annotations?: (a: Record<string, string>) => Record<string, string>;
}

export interface CorpusKit {
  /** A fresh image of its own in `neg/NAME`, tagged `latest`. */
  image(name: string, options?: ImageOptions): Promise<Pushed>;
  /** An image with one legacy signature made as `options` say. */
  legacySigned(name: string, options?: LegacyOptions): Promise<Pushed>;
  /** An image with one cosign 3 bundle referrer over `statement`, signed by `signer` (the publisher by default). */
  bundleSigned(name: string, statement: (pushed: Pushed) => Buffer, options?: { subject?: (pushed: Pushed) => Pushed; signer?: TestSigner; image?: ImageOptions }): Promise<Pushed>;
  withIdentity(pushed: Pushed, identity?: IdentityPolicy): VerifyImageRequest;
}

export function corpusKit(world: World): CorpusKit {
  const sigstore = worldSigstore(world);
  const pusher = world.images.pusher;
  const image = async (name: string, options: ImageOptions = {}): Promise<Pushed> => {
    const repository = `neg/${name}`;
    const format = options.format ?? 'oci-manifest';
    const multi = format === 'oci-index' || format === 'docker-list';
    const built = buildImage({
      format,
      platforms: multi ? [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }] : [{ os: 'linux', architecture: 'amd64' }],
      labels: options.labels ?? { 'org.opencontainers.image.title': name },
      created: options.created ?? '2026-11-20T04:00:00Z',
      layers: [{ 'etc/negative-case': name }],
    });
    const tag = options.tag ?? 'latest';
    const digest = await pusher.pushImage(repository, built, [tag]);
    return { repository, digest, image: built, reference: `${world.registry.host}/${repository}:${tag}` };
  };
  return {
    image,
    async legacySigned(name, options = {}) {
      const pushed = await image(name);
      const signed = options.signed?.(pushed) ?? TestSigstore.simpleSigningPayload(`${world.registry.host}/${pushed.repository}`, pushed.digest);
      const annotations = { ...sigstore.signer.signLegacy(signed, options.signer ?? official(), options.log) };
      await pushLegacySignatures(pusher, pushed.repository, pushed.digest, [{ payload: options.stored?.(signed) ?? signed, annotations: options.annotations?.(annotations) ?? annotations }]);
      return pushed;
    },
    async bundleSigned(name, statement, options = {}) {
      const pushed = await image(name, options.image);
      const target = options.subject?.(pushed) ?? pushed;
      const bundle = sigstore.signer.signBundle(statement(pushed), options.signer ?? official());
      const top = target.image.top;
      await pushBundleReferrer(pusher, pushed.repository, { digest: pushed.digest, mediaType: pushed.image.top.mediaType, size: pushed.image.top.data.length }, bundle);
      if (target !== pushed) {
        // Re-point the fallback index of this image at a referrer whose subject is the other image.
        await pushBundleReferrer(pusher, pushed.repository, { digest: target.digest, mediaType: top.mediaType, size: top.data.length }, bundle);
        const index = await fetch(`${world.registry.url}/v2/${pushed.repository}/manifests/${target.digest.replace(':', '-')}`, { headers: { accept: MEDIA.ociIndex } });
        await pusher.pushManifest(pushed.repository, pushed.digest.replace(':', '-'), blob(MEDIA.ociIndex, Buffer.from(await index.arrayBuffer())));
      }
      return pushed;
    },
    withIdentity: (pushed, identity = expectRepository()) => ({ reference: pushed.reference, identity }),
  };
}

/** Characters that would steer a terminal if they reached one raw. */
export function hasTerminalControls(text: string): boolean {
  return [...text].some((c) => (c < ' ' && c !== '\n' && c !== '\t') || (c >= '\u007f' && c <= '\u009f') || /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(c));
}
