// `vespera-updates publisher-check` on the world's catalog, as a publisher checks their own images: each
// image's gaps named (keyless-only variants, the cosign-3-only build, the unsigned one, the forked one).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../../world/world.ts';
import { runCli, runCliJson } from '../../support/cli.ts';

interface Report {
  image: string;
  digest: string;
  keyless: { status: string; layout?: string; digest?: string };
  key: { status: string; layout?: string };
  rpmOstree: string[];
  gaps: string[];
}

describe('publisher-check on the catalog', () => {
  let world: World;
  let reports: Map<string, Report>;
  let code: number | null;
  const ref = (image: string): string => `${world.registry.host}/acme/${image}`;

  beforeAll(async () => {
    world = await startWorld();
    const run = await runCliJson<Report[]>(world, ['publisher-check', '--key', world.env.VESPERA_WORLD_PUBLISHER_KEY ?? '', ...['vespera:latest', 'vespera-nvidia:latest', 'vespera-dx-nvidia-open:latest', 'vespera:cosign3', 'vespera-dx:unsigned'].map(ref)]);
    code = run.code;
    reports = new Map(run.json.map((r) => [r.image.slice(world.registry.host.length + 1), r]));
  }, 180_000);
  afterAll(async () => {
    await world.stop();
  });

  it('exits 3 because some images have gaps', () => {
    expect(code).toBe(3);
  });

  it('a variant signed both ways, in the legacy layout at the index digest, has nothing missing', () => {
    const nvidia = reports.get('acme/vespera-nvidia:latest');
    expect(nvidia?.keyless).toMatchObject({ status: 'verified', layout: 'legacy', digest: nvidia?.digest });
    expect(nvidia?.key).toMatchObject({ status: 'verified', layout: 'legacy' });
    expect(nvidia?.rpmOstree.join(' ')).toMatch(/key signature at the index digest: ostree-image-signed: .* accepts this build/);
    expect(nvidia?.gaps).toEqual([]);
  });

  it('keyless-only variants: the OS cannot enforce them', () => {
    for (const image of ['acme/vespera:latest', 'acme/vespera-dx-nvidia-open:latest']) {
      const report = reports.get(image);
      expect(report?.keyless.status, image).toBe('verified');
      expect(report?.key.status, image).toBe('missing');
      expect(report?.gaps, image).toEqual([expect.stringMatching(/^Keyless only: no signature by your key, so the OS cannot enforce this image/)]);
    }
  });

  it("the cosign-3-only build: rpm-ostree sees no signature, and the legacy layout is missing", () => {
    const cosign3 = reports.get('acme/vespera:cosign3');
    expect(cosign3?.keyless).toMatchObject({ status: 'verified', layout: 'bundle' });
    expect(cosign3?.rpmOstree).toEqual([expect.stringMatching(/No signature it can read/)]);
    expect(cosign3?.gaps[0]).toMatch(/only in cosign 3's Sigstore-bundle layout .* Also sign in the legacy layout: cosign sign --new-bundle-format=false/);
  });

  it('the unsigned build: nothing is signed', () => {
    const unsigned = reports.get('acme/vespera-dx:unsigned');
    expect(unsigned?.keyless.status).toBe('missing');
    expect(unsigned?.key.status).toBe('missing');
    expect(unsigned?.gaps[0]).toMatch(/^Not signed by a workflow of https:\/\/github\.com\/acme\/vespera/);
  });

  it('prints the same for a person, one block per image', async () => {
    const run = await runCli(world, ['publisher-check', '--key', world.env.VESPERA_WORLD_PUBLISHER_KEY ?? '', ref('vespera-nvidia:forked')]);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/keyless +does not verify: .*built from https:\/\/github\.com\/mallory\/vespera/);
    expect(run.stdout).toMatch(/^ {2}MISSING: A signature exists but does not verify as a workflow of https:\/\/github\.com\/acme\/vespera/m);
  });
});
