// The app's prediction of what the OS does with an image ("policy show" plus verify's "visible to the
// OS") held to the real containers/image (skopeo's image proxy), for every policy the planner writes on
// a few typical hosts × every image of the world's catalog, through ostree-image-signed: and ostree-unverified-registry:.

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diskPathOf, HOST_KEY_DIR, OWN_REGISTRIES_FILE, policyPaths, readPolicyHostState } from '../../../main/policy/host-files.ts';
import { PlanError, planKeyEnforced, type DefaultChoice, type KeyPlanRequest } from '../../../main/policy/plan.ts';
import type { SignedPrefixAnswer } from '../../../main/policy/policy-evaluate.ts';
import { inspectPolicy } from '../../../main/policy/policy-report.ts';
import { loadConfig } from '../../../main/shared/config.ts';
import { parseDockerReference, variantFamily } from '../../../main/shared/image-reference.ts';
import { loadPublicKey } from '../../../main/trust/keys.ts';
import { isVerified } from '../../../main/trust/result.ts';
import { createTrustContext, verifyImage, type TrustContext } from '../../../main/trust/verify-image.ts';
import { CATALOG, FOREIGN_KEY, OWNER } from '../../world/catalog.ts';
import { worldSigstore } from '../../world/sigstore/part.ts';
import { startWorld, type World } from '../../world/world.ts';
import { openWithHostPolicy, type OsImageAnswers } from '../../support/os-image-check.ts';
import { corpusText } from '../../support/policy-corpus/corpus.ts';

/** Hosts as the app finds them: stock Fedora, Universal Blue's reject default, and a doubled accept-anything default that slips past rpm-ostree's check. */
const HOSTS = [
  { name: 'stock Fedora', corpus: 'fedora-default.json' },
  { name: 'Universal Blue', corpus: 'ublue-os-single-key.json' },
  { name: 'a doubled accept-anything default', corpus: 'catch-all-double-default.json' },
] as const;

/** The scopes the planner offers for a family; a new ScopeChoice is one more line here. */
const SCOPES: ReadonlyArray<{
  readonly name: string;
  readonly request: (family: string[], image: string) => Pick<KeyPlanRequest, 'family' | 'scope' | 'image'>;
  /** Whether the new rule governs every variant, or only the image the host runs. */
  readonly wholeFamily: boolean;
}> = [
  { name: 'this image only', request: (family, image) => ({ family, scope: 'image', image }), wholeFamily: false },
  { name: 'one rule per variant', request: (family) => ({ family, scope: 'per-variant' }), wholeFamily: true },
  { name: 'the namespace', request: (family) => ({ family, scope: 'namespace' }), wholeFamily: true },
];
const DEFAULTS: readonly DefaultChoice[] = ['reject', 'keep'];

type Verdict = 'accepts' | 'refuses';
interface Pair {
  readonly image: string;
  readonly prefix: 'ostree-image-signed' | 'ostree-unverified-registry';
  readonly predicted: Verdict;
  readonly predictedBecause: string;
  readonly real: Verdict;
  readonly realBecause: string;
}

let world: World;
let trust: TrustContext;
let images: string[];
let publisherKeyFile: string;
const verifications = new Map<string, Promise<'visible' | 'invisible' | 'unsigned'>>();

beforeAll(async () => {
  world = await startWorld();
  trust = await createTrustContext(await loadConfig(world.processEnv()), world.processEnv());
  publisherKeyFile = world.env.VESPERA_WORLD_PUBLISHER_KEY ?? '';
  // Every repository and tag of the catalog: keyless-only variants, the key-signed ones, `forked`
  // (another workflow), `cosign3` (bundle only), `unsigned` and `foreign-key` (another key).
  images = CATALOG.flatMap((repo) => repo.releases.flatMap((release) => release.tags.map((tag) => world.images.reference(repo.repository, tag))));
});
afterAll(async () => {
  await world?.stop();
});

/** The host's /etc back to `corpus` and nothing of ours: no registries.d file, no key. */
async function resetHost(corpus: string): Promise<void> {
  const paths = policyPaths(world.etcRoot);
  await writeFile(paths.policyFile, corpusText(corpus).replaceAll('YOUR_USERNAME', OWNER));
  await rm(join(paths.registriesDir, OWN_REGISTRIES_FILE), { force: true });
  await rm(paths.keyDir, { recursive: true, force: true });
  await mkdir(paths.keyDir, { recursive: true });
}

/** Plans key-enforced mode for the world's family and writes the planned files as the helper would. */
async function applyPlan(request: Omit<KeyPlanRequest, 'keyText'>): Promise<void> {
  const paths = policyPaths(world.etcRoot);
  const keyText = await readFile(publisherKeyFile, 'utf8');
  const plan = planKeyEnforced(await readPolicyHostState(paths), { ...request, keyText });
  for (const change of plan.changes) await writeFile(diskPathOf(paths, change.target), change.after);
}

/** verify, with the key the applying rule names (read from the world's etc root): signed and visible to the OS? */
function keySignature(image: string, keyHostPath: string): Promise<'visible' | 'invisible' | 'unsigned'> {
  const key = `${image} ${keyHostPath}`;
  let found = verifications.get(key);
  if (!found) {
    found = (async () => {
      const keyFile = join(world.etcRoot, keyHostPath.slice('/etc/'.length));
      const result = await verifyImage({ reference: image, keys: [await loadPublicKey(keyFile)], fresh: true }, trust);
      return !isVerified(result) ? 'unsigned' : result.visibleToRpmOstree ? 'visible' : 'invisible';
    })();
    verifications.set(key, found);
  }
  return found;
}

/** The app's answer: policy show's verdict for the prefix, and for a signature rule, verify with its key. */
async function predict(answer: SignedPrefixAnswer, image: string, keyHostPath: string | undefined): Promise<{ verdict: Verdict; because: string }> {
  switch (answer.outcome) {
    case 'accepts-unsigned':
      return { verdict: 'accepts', because: answer.outcome };
    case 'rejects':
    case 'refused-insecure-default':
    case 'signature-never-found':
      return { verdict: 'refuses', because: answer.outcome };
    case 'requires-signature': {
      if (!keyHostPath?.startsWith(`${HOST_KEY_DIR}/`)) throw new Error(`the rule for ${image} is not one key under ${HOST_KEY_DIR}: the cross-check cannot predict it`);
      const signature = await keySignature(image, keyHostPath);
      const because = { visible: 'signed by the key, in the legacy layout', invisible: 'signed by the key, not visible to the OS', unsigned: 'no signature by the key' }[signature];
      return { verdict: signature === 'visible' ? 'accepts' : 'refuses', because };
    }
  }
}

/** Every image under the host's current /etc: the prediction and what the real stack does, per prefix. */
async function crossCheck(): Promise<Pair[]> {
  const real: OsImageAnswers = await openWithHostPolicy(world, images);
  const paths = policyPaths(world.etcRoot);
  const pairs: Pair[] = [];
  for (const image of images) {
    const report = await inspectPolicy(paths, parseDockerReference(image));
    if (!report.image) throw new Error(`policy show did not answer for ${image}: ${JSON.stringify(report.policy)}`);
    const rule = report.image.applied.requirements.find((r) => r.type === 'sigstoreSigned');
    const keyHostPath = rule?.type === 'sigstoreSigned' && rule.trust.kind === 'keyPath' ? rule.trust.path : undefined;
    const refusal = real.refusals.get(image);
    if (refusal === undefined) throw new Error(`the proxy did not answer for ${image}`);
    const signed = await predict(report.image.imageSigned, image, keyHostPath);
    const unverified = await predict(report.image.unverified, image, keyHostPath);
    const signedRefusal = real.insecureDefault ? 'ostree-ext: the default is insecureAcceptAnything' : refusal;
    pairs.push(
      { image, prefix: 'ostree-image-signed', predicted: signed.verdict, predictedBecause: signed.because, real: signedRefusal === null ? 'accepts' : 'refuses', realBecause: signedRefusal ?? 'opened' },
      { image, prefix: 'ostree-unverified-registry', predicted: unverified.verdict, predictedBecause: unverified.because, real: refusal === null ? 'accepts' : 'refuses', realBecause: refusal ?? 'opened' },
    );
  }
  return pairs;
}

function disagreements(pairs: readonly Pair[]): Pair[] {
  return pairs.filter((p) => p.predicted !== p.real);
}

const verdictOf = (pairs: readonly Pair[], repository: string, tag: string, prefix: Pair['prefix']): Pair | undefined =>
  pairs.find((p) => p.image === world.images.reference(repository, tag) && p.prefix === prefix);

describe("the app's prediction agrees with the real containers/image on every policy × image pair", () => {
  const running = (): string => `${world.registry.host}/${OWNER}/vespera-nvidia`;
  const family = (): string[] => variantFamily(parseDockerReference(running()));

  for (const host of HOSTS) {
    it(`${host.name}, as the host ships it`, async () => {
      await resetHost(host.corpus);
      const pairs = await crossCheck();
      expect(disagreements(pairs)).toEqual([]);
    });

    for (const scope of SCOPES) {
      for (const defaultChoice of DEFAULTS) {
        it(`${host.name}, key-enforced for ${scope.name}, default ${defaultChoice}`, async () => {
          await resetHost(host.corpus);
          const before = await openWithHostPolicy(world, []);
          let planned = true;
          try {
            await applyPlan({ ...scope.request(family(), running()), default: defaultChoice });
          } catch (error) {
            if (!(error instanceof PlanError)) throw error;
            // The only plan refused: keeping a default rpm-ostree refuses, which the real stack must refuse too.
            expect({ code: error.code, default: defaultChoice, insecureDefault: before.insecureDefault }).toEqual({ code: 'plan-impossible', default: 'keep', insecureDefault: true });
            planned = false;
          }
          const pairs = await crossCheck();
          expect(disagreements(pairs)).toEqual([]);
          if (!planned) return;
          // What the user of key-enforced mode must see, whatever the host had before:
          for (const prefix of ['ostree-image-signed', 'ostree-unverified-registry'] as const) {
            expect(verdictOf(pairs, `${OWNER}/vespera-nvidia`, 'latest', prefix)).toMatchObject({ real: 'accepts' });
            expect(verdictOf(pairs, `${OWNER}/vespera-nvidia`, 'forked', prefix)).toMatchObject({ real: 'refuses' });
            // Beyond the one image, the rest of the family keeps whatever the host's policy said (compared above).
            if (!scope.wholeFamily) continue;
            expect(verdictOf(pairs, `${OWNER}/vespera-dx-nvidia`, 'foreign-key', prefix)).toMatchObject({ real: 'refuses', realBecause: expect.stringMatching(/cryptographic signature verification failed/) as string });
            expect(verdictOf(pairs, `${OWNER}/vespera-dx`, 'unsigned', prefix)).toMatchObject({ real: 'refuses', realBecause: expect.stringMatching(/no signature exists/) as string });
            expect(verdictOf(pairs, `${OWNER}/vespera`, 'cosign3', prefix)).toMatchObject({ real: 'refuses' });
            // Signed by the right key, but as a bundle: the app verifies it, and knows the OS cannot see it.
            expect(verdictOf(pairs, `${OWNER}/vespera-dx-nvidia`, 'cosign3-key', prefix)).toMatchObject({ real: 'refuses', predictedBecause: 'signed by the key, not visible to the OS' });
            expect(verdictOf(pairs, `${OWNER}/vespera`, 'latest', prefix)).toMatchObject({ real: 'refuses' });
          }
        });
      }
    }
  }

  it(`refuses the ${FOREIGN_KEY} build with the key it was signed by only because that key is not the publisher's`, async () => {
    // The same image under a policy that trusts the foreign key: the proxy opens it, and so does the prediction.
    await resetHost('ublue-os-single-key.json');
    const keyText = await readFile(await worldSigstore(world).keyPath(FOREIGN_KEY), 'utf8');
    const plan = planKeyEnforced(await readPolicyHostState(policyPaths(world.etcRoot)), { family: family(), scope: 'per-variant', keyText, keyName: `${FOREIGN_KEY}.pub` });
    for (const change of plan.changes) await writeFile(diskPathOf(policyPaths(world.etcRoot), change.target), change.after);
    const pairs = await crossCheck();
    expect(disagreements(pairs)).toEqual([]);
    expect(verdictOf(pairs, `${OWNER}/vespera-dx-nvidia`, 'foreign-key', 'ostree-image-signed')).toMatchObject({ predicted: 'accepts', real: 'accepts' });
    expect(verdictOf(pairs, `${OWNER}/vespera-nvidia`, 'latest', 'ostree-image-signed')).toMatchObject({ predicted: 'refuses', real: 'refuses' });
  });
});
