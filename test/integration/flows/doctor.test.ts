// The doctor in the world: for each troubleshooting case of IMAGE-SIGNING.md that the world can
// produce, the failed check names the cause and gives the fix.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorCheck, DoctorReport } from '../../../preload/contract.ts';
import { freePort } from '../../world/registry.ts';
import { GITHUB_ISSUER, SOURCE_REPOSITORY } from '../../world/catalog.ts';
import { buildImage } from '../../world/oci.ts';
import { githubActionsIdentity } from '../../world/sigstore/fulcio.ts';
import { pushLegacySignatures, worldSigstore } from '../../world/sigstore/part.ts';
import { TestSigstore } from '../../world/sigstore/signer.ts';
import { startWorld, type World } from '../../world/world.ts';
import { runCli, runCliJson } from '../../support/cli.ts';
import { hostOf } from '../../support/host.ts';

let world: World;
beforeAll(async () => {
  world = await startWorld({ scenario: 'unverified-nvidia' });
  // A build signed by hand with another login provider than GitHub Actions.
  const repository = 'acme/vespera-nvidia';
  const built = buildImage({
    format: 'oci-manifest',
    platforms: [{ os: 'linux', architecture: 'amd64' }],
    labels: { 'org.opencontainers.image.version': 'manual', 'ostree.bootable': 'true' },
    created: '2026-11-22T04:00:00Z',
    layers: [{ 'etc/manual': 'signed by hand' }],
  });
  const digest = await world.images.pusher.pushImage(repository, built, ['manual']);
  const payload = TestSigstore.simpleSigningPayload(`${world.registry.host}/${repository}`, digest);
  const identity = githubActionsIdentity({ repository: SOURCE_REPOSITORY, workflow: '.github/workflows/build.yml', ref: 'refs/heads/main', issuer: 'https://gitlab.com', commit: 'c'.repeat(40) });
  const annotations = worldSigstore(world).signer.signLegacy(payload, { kind: 'keyless', identity, at: new Date('2026-11-22T04:10:00Z') });
  await pushLegacySignatures(world.images.pusher, repository, digest, [{ payload, annotations }]);
});
afterAll(async () => {
  await world.stop();
});

async function doctor(image?: string): Promise<{ code: number | null; report: DoctorReport }> {
  const { code, json } = await runCliJson<DoctorReport>(world, ['doctor', ...(image ? [image] : [])]);
  return { code, report: json };
}

function failed(report: DoctorReport, id: string): DoctorCheck {
  const check = report.checks.find((c) => c.id === id && c.status === 'fail');
  if (!check) throw new Error(`no failed "${id}" check in ${JSON.stringify(report.checks.map((c) => [c.id, c.status]))}`);
  return check;
}

const image = (tag: string): string => `${world.registry.host}/acme/vespera-nvidia:${tag}`;

describe('vespera-updates doctor names the cause', () => {
  it('passes every check for a healthy host and image', async () => {
    const { code, report } = await doctor();
    expect(code).toBe(0);
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
  });

  it('"Certificate identity mismatch": a fork signed it, with the actual and the expected identity', async () => {
    const { code, report } = await doctor(image('forked'));
    expect(code).toBe(3);
    const check = failed(report, 'signature');
    expect(check.summary).toMatch(/certificate identity mismatch/);
    expect(check.evidence.join('\n')).toMatch(/Expected: a workflow of https:\/\/github\.com\/acme\/vespera/);
    expect(check.evidence.join('\n')).toMatch(/built from https:\/\/github\.com\/mallory\/vespera/);
    expect(check.fix?.text).toMatch(/fork has a different identity/);
  });

  it('"OIDC issuer mismatch": signed with another login provider', async () => {
    const check = failed((await doctor(image('manual'))).report, 'signature');
    expect(check.summary).toMatch(/OIDC issuer mismatch/);
    expect(check.evidence.join('\n')).toMatch(/gitlab\.com/);
    expect(check.fix?.text).toContain(GITHUB_ISSUER);
  });

  it('"Image not found": names the tags that exist', async () => {
    const check = failed((await doctor(image('lastest'))).report, 'signature');
    expect(check.summary).toMatch(/does not exist/);
    expect(check.evidence.join('\n')).toMatch(/Tags that exist: .*latest/);
    expect(check.fix?.text).toMatch(/acme\/vespera-nvidia:latest/);
  });

  it('"Image was not signed": no signature, check the workflow', async () => {
    const check = failed((await doctor(`${world.registry.host}/acme/vespera-dx:unsigned`)).report, 'signature');
    expect(check.summary).toMatch(/is not signed/);
    expect(check.fix?.text).toMatch(/signing step/);
  });

  it('a cosign 3 signature the OS cannot see, with the signing flags that fix it', async () => {
    const check = failed((await doctor(`${world.registry.host}/acme/vespera:cosign3`)).report, 'os-visibility');
    expect(check.fix?.command).toContain('--new-bundle-format=false --use-signing-config=false');
  });

  it('"Slow verification or timeouts": nothing answers at the registry’s address, and it says so (not "too slow")', async () => {
    const port = await freePort();
    const { report } = await runCliJson<DoctorReport>(world, ['doctor', `127.0.0.1:${port}/acme/vespera-nvidia:latest`]).then((r) => ({ report: r.json }));
    expect(failed(report, 'registry').summary).toMatch(/^127\.0\.0\.1:\d+ refused the connection: nothing can be checked or updated from it until it answers\.$/);
  });

  it('a stuck transaction, with the command to cancel it', async () => {
    await hostOf(world).setFaults({ holdTransactions: true });
    const hold = runCli(world, ['check']);
    try {
      for (let i = 0; i < 100 && (await hostOf(world).dump()).transaction === null; i++) await new Promise((r) => setTimeout(r, 50));
      const check = failed((await doctor()).report, 'transaction');
      expect(check.fix?.command).toBe('rpm-ostree cancel');
    } finally {
      await hostOf(world).clearFaults();
      await hostOf(world).release();
      await hold;
    }
  });
});

describe('vespera-updates doctor on policies', () => {
  let seed: World;
  beforeAll(async () => {
    seed = await startWorld({ scenario: 'seed-policy' });
  });
  afterAll(async () => {
    await seed.stop();
  });

  it('"Policy requirements not satisfied": the seed document\'s keyless block, with the consequence and the fix', async () => {
    const { code, json } = await runCliJson<DoctorReport>(seed, ['doctor', `${seed.registry.host}/acme/vespera-nvidia:latest`]);
    expect(code).toBe(3);
    const check = json.checks.find((c) => c.id === 'policy-syntax');
    expect(check?.status).toBe('fail');
    expect(check?.summary).toMatch(/every image pull on this host fails/);
    expect(check?.evidence.join('\n')).toMatch(/keyless/);
  });
});
