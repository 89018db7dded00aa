// Verifying one image in the world's registry (behind token auth): the HTTP requests it takes, and
// median wall and CPU time cold (nothing cached, trust root read from disk) and warm; then the
// throughput of verifying 100 distinct signed images.

import { loadConfig } from '../../main/shared/config.ts';
import { parseDockerReference } from '../../main/shared/image-reference.ts';
import { deriveIdentity, type IdentityPolicy } from '../../main/trust/identity-policy.ts';
import type { RequestCounters } from '../../main/trust/registry-client.ts';
import { loadTrustedRootFile } from '../../main/trust/trust-root.ts';
import { createTrustContext, verifyImage, type TrustContext, type VerifyImageRequest } from '../../main/trust/verify-image.ts';
import { buildImage } from '../world/oci.ts';
import { pushLegacySignatures, worldSigstore } from '../world/sigstore/part.ts';
import { TestSigstore } from '../world/sigstore/signer.ts';
import { startTokenRegistry } from '../world/token-auth.ts';
import { startWorld } from '../world/world.ts';
import { median, percentile, report } from './stats.ts';

const RUNS = 15;
const world = await startWorld();
try {
  const env = world.processEnv();
  const config = await loadConfig(env);
  const tokens = await startTokenRegistry(world);
  const trustedRoot = world.env.VESPERA_WORLD_TRUSTED_ROOT ?? '';
  const signedAs = `${world.registry.host}/acme/vespera-nvidia`;
  const identity = deriveIdentity(parseDockerReference(signedAs), { host: world.registry.host, insecure: true, githubPackages: true }) as IdentityPolicy;
  // The token registry serves the same storage under another name: the signatures name the original.
  const request: VerifyImageRequest = {
    reference: `${tokens.host}/acme/vespera-nvidia:latest`,
    identity,
    signedIdentity: { type: 'exactRepository', dockerRepository: signedAs },
  };

  const measure = async (run: () => Promise<void>): Promise<{ wall: number; cpu: number }> => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { wall, cpu: (cpu.user + cpu.system) / 1000 };
  };
  const freshContext = async (): Promise<TrustContext> => createTrustContext(config, env, { trustRoot: await loadTrustedRootFile(trustedRoot) });
  const expectVerified = (result: Awaited<ReturnType<typeof verifyImage>>): void => {
    if (result.status !== 'verified') throw new Error(`benchmark image did not verify: ${result.message}`);
  };
  const describeCounters = (c: RequestCounters): string =>
    `${c.challenges} auth challenge, ${c.token} token, ${c.manifest} manifest (image + .sig), ${c.blob} payload blob, ${c.referrers} referrers`;

  // Warm up the JIT once so "cold" means "nothing cached", not "first code ever run".
  expectVerified(await verifyImage(request, await freshContext()));

  const cold: Array<{ wall: number; cpu: number }> = [];
  let coldCounters: RequestCounters | undefined;
  for (let i = 0; i < RUNS; i++) {
    let context: TrustContext | undefined;
    cold.push(
      await measure(async () => {
        context = await freshContext();
        expectVerified(await verifyImage(request, context));
      }),
    );
    coldCounters = { ...(context as TrustContext).registry.counters };
  }
  const warmContext = await freshContext();
  expectVerified(await verifyImage(request, warmContext));
  warmContext.registry.resetCounters();
  const warm: Array<{ wall: number; cpu: number }> = [];
  for (let i = 0; i < RUNS; i++) warm.push(await measure(async () => expectVerified(await verifyImage(request, warmContext))));
  const warmCounters = { ...warmContext.registry.counters };
  const reverify: Array<{ wall: number; cpu: number }> = [];
  for (let i = 0; i < RUNS; i++) reverify.push(await measure(async () => expectVerified(await verifyImage({ ...request, fresh: true }, warmContext))));

  // A second image, in another repository of the same registry: its token server is known from the first.
  const known = await freshContext();
  expectVerified(await verifyImage(request, known));
  known.registry.resetCounters();
  expectVerified(
    await verifyImage(
      { reference: `${tokens.host}/acme/vespera:latest`, identity, signedIdentity: { type: 'exactRepository', dockerRepository: `${world.registry.host}/acme/vespera` } },
      known,
    ),
  );
  const knownRealm = { ...known.registry.counters };
  // A cosign 3 image: the bundle referrer, and the config whose labels bind the digest to its repository.
  known.registry.resetCounters();
  const bundled = await verifyImage({ reference: `${tokens.host}/acme/vespera:cosign3`, identity }, known);
  expectVerified(bundled);
  const bundleCounters = { ...known.registry.counters };

  const c = coldCounters as RequestCounters;
  report('verify one image, HTTP requests cold', c.total, 'requests', describeCounters(c));
  report('verify one image, HTTP requests warm', warmCounters.total / RUNS, 'requests', 'the tag is resolved again; the answer comes from the verification cache');
  report('verify one image of a registry whose token realm is known, HTTP requests', knownRealm.total, 'requests', `${describeCounters(knownRealm)}; the floor is 4, with no challenge round trip`);
  report(
    'verify one cosign 3 image (bundle, bound by its labels), HTTP requests',
    bundleCounters.total,
    'requests',
    `${bundleCounters.manifest} manifest (image, .sig probe, referrers index, referrer), ${bundleCounters.blob} blob (bundle, config), ${bundleCounters.referrers} referrers API, ${bundleCounters.token} token`,
  );
  report('verify one image cold, wall', median(cold.map((m) => m.wall)), 'ms', `median of ${RUNS}, p90 ${percentile(cold.map((m) => m.wall), 90).toFixed(1)} ms; trust root read from disk, no token, no caches`);
  report('verify one image cold, CPU', median(cold.map((m) => m.cpu)), 'ms', `median of ${RUNS}`);
  report('verify one image warm, wall', median(warm.map((m) => m.wall)), 'ms', `median of ${RUNS}; verification cache hit`);
  report('verify one image warm, CPU', median(warm.map((m) => m.cpu)), 'ms', `median of ${RUNS}`);
  report('re-verify one image (signatures checked again), wall', median(reverify.map((m) => m.wall)), 'ms', `median of ${RUNS}; token and content cached, fresh: true`);
  report('re-verify one image (signatures checked again), CPU', median(reverify.map((m) => m.cpu)), 'ms', `median of ${RUNS}`);

  // 100 distinct images, each with its own keyless signature, verified by one context.
  const sigstore = worldSigstore(world);
  const references: string[] = [];
  for (let i = 0; i < 100; i++) {
    const image = buildImage({ format: 'oci-manifest', platforms: [{ os: 'linux', architecture: 'amd64' }], labels: { n: String(i) }, created: '2026-11-20T04:00:00Z', layers: [{ 'etc/n': String(i) }] });
    const digest = await world.images.pusher.pushImage('bench/vespera', image, [`n${i}`]);
    const payload = TestSigstore.simpleSigningPayload(`${world.registry.host}/bench/vespera`, digest);
    const signer = sigstore.signerFor({ kind: 'keyless', layout: 'legacy', repository: 'https://github.com/acme/vespera', workflow: '.github/workflows/build.yml', ref: 'refs/heads/main', issuer: identity.issuer }, world.images.get('acme/vespera', 'latest'));
    await pushLegacySignatures(world.images.pusher, 'bench/vespera', digest, [{ payload, annotations: sigstore.signer.signLegacy(payload, signer) }]);
    references.push(`${world.registry.host}/bench/vespera:n${i}`);
  }
  for (const concurrency of [1, 8]) {
    const context = await freshContext();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < references.length) {
          const reference = references[next++] as string;
          expectVerified(await verifyImage({ reference, identity }, context));
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    report(`verify 100 images, ${concurrency} at a time`, 100 / seconds, 'images/s', `${(seconds * 1000).toFixed(0)} ms wall, ${((cpu.user + cpu.system) / 1000 / 100).toFixed(1)} ms CPU per image, ${context.registry.counters.total} requests`);
  }
} finally {
  await world.stop();
}
