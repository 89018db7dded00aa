// The negative corpus, part two: what an attacker with push access to the registry (or write access
// to an OCI layout) builds without the signing key or identity, each refused or reported with its own
// code: variant swaps, lying index.json files, escape sequences, pull-request builds, rollbacks.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageChecks } from '../../../main/flows/image-checks.ts';
import { frozenTagNotice, judgeOffer } from '../../../main/flows/update-order.ts';
import { parseRefspec, type Deployment, type HostState } from '../../../main/host/index.ts';
import { loadConfig } from '../../../main/shared/config.ts';
import { parseDockerReference, type Sha256Digest } from '../../../main/shared/image-reference.ts';
import type { TrustFailureCode } from '../../../main/trust/errors.ts';
import { loadPublicKey } from '../../../main/trust/keys.ts';
import { createTrustContext, verifyImage, type TrustContext, type VerifyImageRequest } from '../../../main/trust/verify-image.ts';
import { AT, corpusKit, expectRepository, hasTerminalControls, workflowOf, type CorpusKit } from '../../support/negative-corpus.ts';
import { CURRENT, GITHUB_ISSUER, OLD, SOURCE_REPOSITORY } from '../../world/catalog.ts';
import { blob, buildImage, descriptor, MEDIA, type Blob } from '../../world/oci.ts';
import { addToLayout, writeBlobs } from '../../world/oci-layout.ts';
import { copyImageWithSignatures } from '../../world/registry-copy.ts';
import { startRegistryFaults, type RegistryFaults } from '../../world/registry-faults.ts';
import { worldSigstore } from '../../world/sigstore/part.ts';
import { TestSigstore } from '../../world/sigstore/signer.ts';
import { startWorld, type World } from '../../world/world.ts';

let world: World;
let context: TrustContext;
let faults: RegistryFaults;
let kit: CorpusKit;

beforeAll(async () => {
  world = await startWorld();
  context = await createTrustContext(await loadConfig(world.processEnv()), world.processEnv());
  faults = await startRegistryFaults(world, world.registry.url);
  kit = corpusKit(world);
});
afterAll(async () => {
  await world.stop();
});

// What a lying registry or layout writes to redraw the line above as a success.
const REDRAW = '\r\x1b[2K\x1b[32mVerified\x1b[0m';

const reference = (repository: string, tag: string): string => `${world.registry.host}/${repository}:${tag}`;
const copy = (from: string, fromRef: string, to: string, tag: string): Promise<Sha256Digest> =>
  copyImageWithSignatures(world.registry.url, world.images.pusher, { repository: from, reference: fromRef }, { repository: to, tag });

/** A statement like cosign's, with a subject name cosign itself never writes. */
function namedStatement(digest: string, name: string): Buffer {
  return Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name, digest: { sha256: digest.slice(7) }, annotations: {} }], predicateType: 'https://sigstore.dev/cosign/sign/v1' }));
}

// ---- OCI layouts an attacker writes by hand ----

/** The blobs of a registry image and its legacy signature, as skopeo would export them. */
async function signedInLayout(dir: string, tag: string): Promise<{ digest: Sha256Digest }> {
  const release = world.images.get('acme/vespera', 'latest');
  await addToLayout(dir, release.image.top, release.image.top.blobs, tag);
  const sigTag = `${release.digest.replace(':', '-')}.sig`;
  const sig = await fetch(`${world.registry.url}/v2/acme/vespera/manifests/${sigTag}`, { headers: { accept: MEDIA.ociManifest } });
  const manifest = blob(MEDIA.ociManifest, Buffer.from(await sig.arrayBuffer()));
  const parsed = JSON.parse(manifest.data.toString()) as { config: { digest: string }; layers: Array<{ digest: string }> };
  const blobs: Blob[] = [];
  for (const d of [parsed.config.digest, ...parsed.layers.map((l) => l.digest)]) {
    const b = await fetch(`${world.registry.url}/v2/acme/vespera/blobs/${d}`);
    blobs.push(blob('application/octet-stream', Buffer.from(await b.arrayBuffer())));
  }
  await addToLayout(dir, manifest, blobs, sigTag);
  return { digest: release.digest };
}

/** An unsigned image of the attacker's, with its blobs in `dir` (not listed in index.json). */
async function unsignedBlobs(dir: string, name: string): Promise<Blob> {
  const evil = buildImage({ format: 'oci-manifest', platforms: [{ os: 'linux', architecture: 'amd64' }], labels: { 'org.opencontainers.image.title': 'vespera' }, created: '2026-11-29T04:00:00Z', layers: [{ 'etc/evil': name }] });
  await writeBlobs(dir, [...evil.top.blobs, evil.top]);
  return evil.top;
}

const refName = (name: string): Record<string, unknown> => ({ annotations: { 'org.opencontainers.image.ref.name': name } });

/** A layout whose index.json is exactly `text` (built from the signed image and an unsigned one). */
async function craftedLayout(name: string, indexJson: (signed: Record<string, unknown>, evil: Record<string, unknown>) => string): Promise<string> {
  const dir = join(world.root, 'attacks', name);
  await mkdir(dir, { recursive: true });
  await signedInLayout(dir, 'latest');
  const evil = await unsignedBlobs(dir, name);
  const release = world.images.get('acme/vespera', 'latest');
  await writeFile(join(dir, 'index.json'), indexJson(descriptor(release.image.top), descriptor(evil)));
  return dir;
}

interface AttackCase {
  readonly name: string;
  readonly code: TrustFailureCode;
  readonly request: () => Promise<VerifyImageRequest & { context?: TrustContext }>;
  /** More the user must see: e.g. the digest containers/image would really open. */
  readonly also?: (result: Awaited<ReturnType<typeof verifyImage>>) => void | Promise<void>;
}

const signedAs = (): string => `${world.registry.host}/acme/vespera`;

const CASES: AttackCase[] = [
  // ---- variant swaps ----
  {
    name: "a cosign 3 variant swap: acme/vespera:cosign3 and its referrer copied into acme/vespera-nvidia",
    code: 'repository-mismatch',
    request: async () => {
      await copy('acme/vespera', 'cosign3', 'acme/vespera-nvidia', 'swapped');
      return { reference: reference('acme/vespera-nvidia', 'swapped') };
    },
    also: (result) => {
      expect(result.status === 'failed' && result.message).toMatch(/its own signed labels say it is "vespera" \(version "42\.20261120\.0", built from "https:\/\/github\.com\/acme\/vespera"\), not vespera-nvidia/);
    },
  },
  {
    name: 'the same swap in the legacy layout: acme/vespera:latest and its .sig copied into acme/vespera-dx',
    code: 'identity-mismatch',
    request: async () => {
      await copy('acme/vespera', 'latest', 'acme/vespera-dx', 'swapped');
      return { reference: reference('acme/vespera-dx', 'swapped') };
    },
  },
  {
    name: 'a multi-platform cosign 3 image copied into another variant (labels read through the signed index)',
    code: 'repository-mismatch',
    request: async () => {
      const signed = await kit.bundleSigned('idx-nvidia', (p) => TestSigstore.cosignStatement(p.digest), { image: { format: 'oci-index' } });
      await copy(signed.repository, 'latest', 'neg/idx-dx', 'latest');
      return kit.withIdentity({ ...signed, reference: reference('neg/idx-dx', 'latest') });
    },
  },
  {
    name: 'a key-signed cosign 3 image copied into another variant',
    code: 'repository-mismatch',
    request: async () => {
      const signed = await kit.bundleSigned('keyed-a', (p) => TestSigstore.cosignStatement(p.digest), { signer: { kind: 'key', key: 'vespera', at: AT } });
      await copy(signed.repository, 'latest', 'neg/keyed-b', 'latest');
      return { reference: reference('neg/keyed-b', 'latest'), keys: [await loadPublicKey(worldSigstore(world).publisherKeyPath)] };
    },
  },
  {
    name: 'a cosign 3 statement that names another repository, copied with its image',
    code: 'repository-mismatch',
    request: async () => {
      const signed = await kit.bundleSigned('named-a', (p) => namedStatement(p.digest, `${world.registry.host}/neg/named-a`));
      await copy(signed.repository, 'latest', 'neg/named-b', 'latest');
      return kit.withIdentity({ ...signed, reference: reference('neg/named-b', 'latest') });
    },
  },

  // ---- identity edges ----
  {
    name: "a pull-request build signed by the publisher's own workflow",
    code: 'ref-not-allowed',
    request: async () => kit.withIdentity(await kit.legacySigned('pull-request', { signer: { kind: 'keyless', identity: workflowOf(SOURCE_REPOSITORY, { ref: 'refs/pull/7/merge' }), at: AT } })),
    also: (result) => {
      expect(result.status === 'failed' && result.message).toMatch(/built by \.github\/workflows\/build\.yml on refs\/pull\/7\/merge, a pull request/);
    },
  },
  {
    name: 'a build whose workflow ran on main for a pull request (the source ref is the pull request)',
    code: 'ref-not-allowed',
    request: async () => {
      const identity = workflowOf(SOURCE_REPOSITORY);
      return kit.withIdentity(await kit.legacySigned('pr-target', { signer: { kind: 'keyless', identity: { ...identity, extensions: { ...identity.extensions, 14: 'refs/pull/8/merge' } }, at: AT } }));
    },
  },
  {
    name: 'a branch build where only release tags are pinned (refs/tags/*)',
    code: 'ref-not-allowed',
    request: async () => kit.withIdentity(await kit.legacySigned('tags-only'), expectRepository(SOURCE_REPOSITORY, { workflowRefs: ['refs/tags/*'] })),
  },
  {
    name: "an identity regexp that escapes its anchors (x)|(?:.*) and a fork's signature",
    code: 'invalid-input',
    request: async () =>
      kit.withIdentity(await kit.legacySigned('regexp-escape', { signer: { kind: 'keyless', identity: workflowOf('https://github.com/mallory/vespera'), at: AT } }), {
        issuer: GITHUB_ISSUER,
        identity: { kind: 'regexp', pattern: 'x)|(?:.*' },
        origin: 'explicit',
      }),
  },

  // ---- registry text meant for a terminal ----
  {
    name: "a lying registry's tag list with escape sequences, for a tag that does not exist",
    code: 'image-not-found',
    request: async () => {
      await kit.image('lying-tags');
      faults.add({ path: /\/neg\/lying-tags\/tags\/list/, action: { kind: 'status', status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'neg/lying-tags', tags: ['latest', `nope${REDRAW}`] }) } });
      return { reference: `${faults.host}/neg/lying-tags:nope`, identity: expectRepository() };
    },
    also: (result) => {
      expect(result.status === 'failed' && result.availableTags).toEqual(['latest']);
    },
  },
  {
    name: 'a cosign 3 referrer whose predicate type carries escape sequences',
    code: 'no-signature',
    request: async () =>
      kit.withIdentity(
        await kit.bundleSigned('escape-predicate', (p) => TestSigstore.cosignStatement(p.digest, `https://sigstore.dev/cosign/sign/v1${REDRAW}`), {
          signer: { kind: 'keyless', identity: workflowOf('https://github.com/mallory/vespera'), at: AT },
        }),
      ),
    also: (result) => {
      expect(result.status === 'failed' && result.message).toContain('\\x1B[32mVerified');
    },
  },
  {
    name: 'a manifest whose media type carries escape sequences',
    code: 'unsupported-format',
    request: async () => {
      await kit.image('escape-media');
      const body = JSON.stringify({ schemaVersion: 2, mediaType: `application/x${REDRAW}`, config: { mediaType: MEDIA.ociConfig, digest: `sha256:${'0'.repeat(64)}`, size: 2 }, layers: [] });
      faults.add({ path: /\/neg\/escape-media\/manifests\/latest$/, action: { kind: 'status', status: 200, headers: { 'content-type': MEDIA.ociManifest }, body } });
      return { reference: `${faults.host}/neg/escape-media:latest`, identity: expectRepository() };
    },
  },

  // ---- OCI layouts read as containers/image reads them ----
  {
    name: 'a layout entry of another media type ahead of the image containers/image really opens',
    code: 'no-signature',
    request: async () => {
      let evilDigest = '';
      const dir = await craftedLayout('media-type-first', (signed, evil) => {
        evilDigest = String(evil.digest);
        return JSON.stringify({ schemaVersion: 2, manifests: [{ ...signed, mediaType: 'application/vnd.oci.image.layer.v1.tar', ...refName('latest') }, { ...evil, ...refName('latest') }, ...sigEntries()] });
      });
      expect(evilDigest).not.toBe('');
      return { reference: `oci:${dir}:latest`, signedReference: signedAs() };
    },
    also: (result) => {
      // The digest reported is the unsigned image's: the one containers/image (and rpm-ostree) would open.
      expect(result.status === 'failed' && result.digest).not.toBe(world.images.get('acme/vespera', 'latest').digest);
    },
  },
  {
    name: 'index.json with a second, capitalised Manifests list (Go reads the later one)',
    code: 'ambiguous-reference',
    request: async () => {
      const dir = await craftedLayout('capital-manifests', (signed, evil) =>
        JSON.stringify({ schemaVersion: 2, manifests: [{ ...signed, ...refName('latest') }, ...sigEntries()], Manifests: [{ ...evil, ...refName('latest') }] }),
      );
      return { reference: `oci:${dir}:latest`, signedReference: signedAs() };
    },
  },
  {
    name: 'a descriptor with a second, capitalised Digest naming another image',
    code: 'ambiguous-reference',
    request: async () => {
      const dir = await craftedLayout('capital-digest', (signed, evil) => JSON.stringify({ schemaVersion: 2, manifests: [{ ...signed, ...refName('latest'), Digest: evil.digest }, ...sigEntries()] }));
      return { reference: `oci:${dir}:latest`, signedReference: signedAs() };
    },
  },
  {
    name: 'a manifests key spelled with a long s (ſ), which Go folds to manifests',
    code: 'ambiguous-reference',
    request: async () => {
      const dir = await craftedLayout('long-s', (signed, evil) =>
        JSON.stringify({ schemaVersion: 2, manifests: [{ ...signed, ...refName('latest') }, ...sigEntries()], 'manifeſts': [{ ...evil, ...refName('latest') }] }),
      );
      return { reference: `oci:${dir}:latest`, signedReference: signedAs() };
    },
  },
  {
    name: 'DIR:NAME split at the first colon: a signed layout at DIR:signed, an unsigned image named signed:latest in DIR',
    code: 'no-signature',
    request: async () => {
      const base = join(world.root, 'attacks', 'colon');
      await signedInLayout(`${base}:signed`, 'latest');
      const evil = await unsignedBlobs(base, 'colon');
      await addToLayout(base, evil, [], 'signed:latest');
      return { reference: `oci:${base}:signed:latest`, signedReference: signedAs() };
    },
  },
  {
    name: 'two different images under one name in index.json',
    code: 'ambiguous-reference',
    request: async () => {
      const dir = await craftedLayout('two-names', (signed, evil) => JSON.stringify({ schemaVersion: 2, manifests: [{ ...signed, ...refName('latest') }, { ...evil, ...refName('latest') }, ...sigEntries()] }));
      return { reference: `oci:${dir}:latest`, signedReference: signedAs() };
    },
  },
  {
    name: 'a Docker-typed entry ahead of an OCI one under the same name (containers/image releases disagree)',
    code: 'ambiguous-reference',
    request: async () => {
      const dir = await craftedLayout('docker-first', (signed, evil) =>
        JSON.stringify({ schemaVersion: 2, manifests: [{ ...evil, mediaType: MEDIA.dockerManifest, ...refName('latest') }, { ...signed, ...refName('latest') }, ...sigEntries()] }),
      );
      return { reference: `oci:${dir}:latest`, signedReference: signedAs() };
    },
  },
  {
    name: 'index.json followed by a second JSON document (Go reads only the first)',
    code: 'unsupported-format',
    request: async () => {
      const dir = await craftedLayout('two-documents', (signed, evil) =>
        `${JSON.stringify({ schemaVersion: 2, manifests: [{ ...evil, ...refName('latest') }] })}\n${JSON.stringify({ schemaVersion: 2, manifests: [{ ...signed, ...refName('latest') }, ...sigEntries()] })}`,
      );
      return { reference: `oci:${dir}:latest`, signedReference: signedAs() };
    },
  },
];

/** The `.sig` entry the signed image's signature needs in index.json (as signedInLayout writes it). */
function sigEntries(): Array<Record<string, unknown>> {
  return sigDescriptor ? [sigDescriptor] : [];
}
let sigDescriptor: Record<string, unknown> | undefined;

beforeAll(async () => {
  // Learn the .sig entry once, from a layout written like the attacks' own.
  const dir = join(world.root, 'attacks', 'reference');
  await signedInLayout(dir, 'latest');
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Array<Record<string, unknown> & { annotations?: Record<string, string> }> };
  sigDescriptor = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name']?.endsWith('.sig'));
});

describe('the negative corpus: what an attacker with push access builds', () => {
  it('has at least fifteen cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(15);
  });

  it('verifies the honest layout the attacks start from (so each attack is what makes them fail)', async () => {
    const dir = join(world.root, 'attacks', 'reference');
    expect(await verifyImage({ reference: `oci:${dir}:latest`, signedReference: signedAs() }, context)).toMatchObject({ status: 'verified', digest: world.images.get('acme/vespera', 'latest').digest });
  });

  it.each(CASES)('$name fails with $code', async ({ code, request, also }) => {
    const { context: own, ...question } = await request();
    const result = await verifyImage(question, own ?? context);
    expect(result, result.status === 'failed' ? `${result.code}: ${result.message}` : 'verified').toMatchObject({ status: 'failed', code });
    if (result.status !== 'failed') return;
    expect(result.message.length).toBeGreaterThan(40);
    expect(hasTerminalControls(result.message), result.message).toBe(false);
    await also?.(result);
  });
});

// ---- what the tag offers: never an older build, never a tag that stopped moving unnoticed ----

const NVIDIA = 'acme/vespera-nvidia';

/** A host booted on the current vespera-nvidia build, as rpm-ostree describes it, optionally with the old one kept. */
function hostOn(withRollback: boolean): HostState {
  const origin = `ostree-unverified-registry:${world.registry.host}/${NVIDIA}:latest`;
  const deployment = (id: string, release: typeof CURRENT | typeof OLD, booted: boolean): Deployment => ({
    id,
    osname: 'fedora',
    checksum: id.repeat(16),
    serial: 0,
    booted,
    staged: false,
    pinned: false,
    finalizationLocked: false,
    version: release.version,
    timestamp: Date.parse(release.created) / 1000,
    origin,
    refspec: parseRefspec(origin),
    imageDigest: world.images.get(NVIDIA, release.version).platformDigests.amd64,
    layeredPackages: [],
    unlocked: 'none',
  });
  const booted = deployment('current', CURRENT, true);
  const rollback = withRollback ? deployment('old', OLD, false) : undefined;
  const deployments = rollback ? [booted, rollback] : [booted];
  return { daemon: 'running', osName: 'fedora', deployments, booted, ...(rollback ? { rollback } : {}), automaticUpdatePolicy: 'check' };
}

describe('the negative corpus: what the tag offers', () => {
  it('a tag moved back to the rollback build is a possible rollback attack, with both dates and digests (tag-downgrade)', async () => {
    // The attacker re-points a tag at the signed old build: one manifest PUT.
    await world.images.pusher.pushManifest(NVIDIA, 'moved-back', world.images.get(NVIDIA, OLD.version).image.top);
    const image = new ImageChecks(await loadConfig(world.processEnv()), context);
    const offer = await image.resolve(parseDockerReference(reference(NVIDIA, 'moved-back')));
    const verdict = judgeOffer(hostOn(true), offer);
    expect(verdict).toMatchObject({ kind: 'older', why: 'it is this computer’s rollback deployment', notice: { code: 'tag-downgrade', severity: 'critical' } });
    if (verdict.kind !== 'older') return;
    const old = world.images.get(NVIDIA, OLD.version).platformDigests.amd64 as string;
    const current = world.images.get(NVIDIA, CURRENT.version).platformDigests.amd64 as string;
    expect(verdict.notice.message).toContain(`Offered: ${OLD.version} built 2026-11-01T04:00:00Z (${old})`);
    expect(verdict.notice.message).toContain(`Running: ${CURRENT.version} built 2026-11-15T04:00:00Z (${current})`);
    // It is genuinely signed: only the order gives it away.
    expect((await image.checkResolved(offer)).status).toBe('verified');
  });

  it('a tag moved back to an older signed build this computer never ran (tag-downgrade)', async () => {
    await world.images.pusher.pushManifest(NVIDIA, 'moved-back-2', world.images.get(NVIDIA, OLD.version).image.top);
    const offer = await new ImageChecks(await loadConfig(world.processEnv()), context).resolve(parseDockerReference(reference(NVIDIA, 'moved-back-2')));
    expect(judgeOffer(hostOn(false), offer)).toMatchObject({ kind: 'older', why: 'it was built before the running build', notice: { code: 'tag-downgrade' } });
  });

  it('a tag held on its build past the limit is reported with the build date (tag-frozen)', async () => {
    const offer = await new ImageChecks(await loadConfig(world.processEnv()), context).resolve(parseDockerReference(reference(NVIDIA, 'latest')));
    const limit = (await loadConfig(world.processEnv())).updates.maxTagAgeMs;
    const created = Date.parse(CURRENT.created);
    expect(frozenTagNotice(offer, new Date(created + limit - 86_400_000), limit)).toBeUndefined();
    const notice = frozenTagNotice(offer, new Date(created + limit + 86_400_000), limit);
    expect(notice).toMatchObject({ code: 'tag-frozen', severity: 'warning' });
    expect(notice?.message).toContain(`its newest build, ${CURRENT.version}, was built 2026-11-15T04:00:00Z`);
  });
});
