import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../../world/world.ts';
import { sha256Text } from '../../../main/policy/plan.ts';
import { PolicyTextEditor } from '../../../main/policy/policy-edit.ts';
import { runProcess, type ProcessRun } from '../../support/cli.ts';

const CLI = fileURLToPath(new URL('../../../main/cli/index.ts', import.meta.url));

describe('vespera-updates policy, inside a test world', () => {
  let world: World;
  let keyFile: string;
  let family: string;

  beforeAll(async () => {
    world = await startWorld();
    keyFile = join(world.root, 'cosign.pub');
    writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
    family = ['vespera', 'vespera-nvidia'].map((v) => `${world.registry.host}/acme/${v}`).join(',');
  });
  afterAll(async () => {
    await world.stop();
  });

  function cli(args: string[]): Promise<ProcessRun> {
    return runProcess(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'policy', ...args], { env: world.processEnv() });
  }


  it("shows that the world's stock Fedora policy makes rpm-ostree refuse ostree-image-signed:", async () => {
    const run = await cli(['show', `ostree-image-signed:docker://${world.registry.host}/acme/vespera-nvidia:latest`]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${world.etcRoot}/containers/policy.json: valid`);
    expect(run.stdout).toMatch(/Rule: +the global default/);
    expect(run.stdout).toMatch(/ostree-image-signed: +refused before pulling.*refusing usage.*\(the prefix you named\)/);
  });

  it('exits 3 and says why for an invalid policy', async () => {
    const seed = fileURLToPath(new URL('../../support/policy-corpus/seed-permissive.json', import.meta.url));
    const run = await cli(['show', '--policy', seed, '--json', 'ghcr.io/acme/vespera']);
    expect(run.code).toBe(3);
    const report = JSON.parse(run.stdout) as { policy: { valid: boolean; error: { code: string; line: number; keyless: { expressible: boolean } } } };
    expect(report.policy).toMatchObject({ valid: false, error: { code: 'policy-keyless', line: 8, keyless: { expressible: false } } });
  });

  it('exits 3 and names the line and column when registries.d uses YAML that readers disagree on', async () => {
    const dir = join(world.root, 'registries.d');
    mkdirSync(dir);
    writeFileSync(join(dir, 'merged.yaml'), 'docker:\n  ghcr.io/acme:\n    use-sigstore-attachments: true\n  <<: {ghcr.io/evil: {lookaside: https://evil.example}}\n');
    const run = await cli(['show', '--registries-d', dir, 'ghcr.io/acme/vespera:latest']);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain(`${dir}: NOT READ (Vespera Updates cannot tell what it means).\n  merged.yaml, line 4, column 3: uses a YAML merge key ("<<"), which containers/image applies and other YAML readers keep as a plain key.`);
  });

  it('plans, applies, lists and restores key-enforced mode', async () => {
    const before = readFileSync(join(world.etcRoot, 'containers/policy.json'), 'utf8');
    const plan = await cli(['plan', '--mode', 'key', '--key', keyFile, '--family', family]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/^\* From now on the OS accepts images of \S+\/acme\/vespera, \S+\/acme\/vespera-nvidia only with a cosign signature/);
    expect(plan.stdout).toContain('+++ b/etc/containers/policy.json');
    expect(readFileSync(join(world.etcRoot, 'containers/policy.json'), 'utf8')).toBe(before);

    const saved = join(world.root, 'plan.json');
    const json = await cli(['plan', '--mode', 'key', '--key', keyFile, '--family', family, '--json']);
    writeFileSync(saved, json.stdout);
    const applied = await cli(['apply', '--plan', saved]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/^Applied: wrote .*policy.json; the previous files are in backup (\S+)/);
    const backup = /backup (\d{8}T\d{6}Z-[0-9a-f]{8})/.exec(applied.stdout)?.[1] ?? '';

    const show = await cli(['show', `${world.registry.host}/acme/vespera-nvidia:latest`]);
    expect(show.stdout).toMatch(/ostree-image-signed: +pulls this image only with a valid signature/);
    expect((await cli(['plan', '--mode', 'key', '--key', keyFile, '--family', family])).stdout).toMatch(/^Nothing to change/);

    const again = await cli(['apply', '--plan', saved]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/changed since the plan was made/);

    // A saved plan someone edited to trust their own key for one tag: refused, whatever the diff said.
    const enforced = readFileSync(join(world.etcRoot, 'containers/policy.json'), 'utf8');
    const editor = new PolicyTextEditor(enforced);
    editor.setScope('docker', `${world.registry.host}/acme/vespera-nvidia:latest`, [{ type: 'sigstoreSigned', keyPath: '/etc/pki/containers/theirs.pub', signedIdentity: { type: 'matchRepository' } }]);
    const theirKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const edited = join(world.root, 'edited-plan.json');
    writeFileSync(edited, JSON.stringify({
      format: 'vespera-policy-plan/1',
      changes: [
        { target: { kind: 'key', name: 'theirs.pub' }, beforeSha256: null, after: theirKey },
        { target: { kind: 'policy' }, beforeSha256: sha256Text(enforced), after: editor.text },
      ],
    }));
    const smuggled = await cli(['apply', '--plan', edited]);
    expect(smuggled.code).toBe(1);
    expect(smuggled.stderr).toMatch(/^vespera-updates policy: Refused, nothing was changed: in the new policy, docker images of "\S+\/acme\/vespera-nvidia:latest" would be governed by .* instead of the docker scope "\S+\/acme\/vespera-nvidia"/);
    expect(readFileSync(join(world.etcRoot, 'containers/policy.json'), 'utf8')).toBe(enforced);

    const list = await cli(['restore']);
    expect(list.stdout).toContain(`${backup}  `);
    // Going back to the stock policy lets unsigned images through again: said, and not done unasked.
    const unasked = await cli(['restore', backup]);
    expect(unasked.code).toBe(4);
    expect(unasked.stderr).toMatch(new RegExp(`^Restoring backup ${backup} would loosen the signature policy:\n  - docker images of "\\S+/acme/vespera" would be governed by the global default \\(accept anything`));
    expect(unasked.stderr).toMatch(/Not restored, nothing was changed: it loosens the policy; confirm with --yes when not at a terminal\.\n$/);
    expect(readFileSync(join(world.etcRoot, 'containers/policy.json'), 'utf8')).toBe(enforced);
    const unaskedJson = await cli(['restore', backup, '--json']);
    expect(unaskedJson.code).toBe(4);
    expect(JSON.parse(unaskedJson.stdout)).toMatchObject({ ok: false, code: 'not-confirmed', loosenings: expect.arrayContaining([expect.stringMatching(/acme\/vespera-nvidia/)]) as unknown });

    const restored = await cli(['restore', backup, '--yes']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(new RegExp(`^Restored backup ${backup} `));
    expect(readFileSync(join(world.etcRoot, 'containers/policy.json'), 'utf8')).toBe(before);
  }, 180_000); // a dozen CLI runs, each starting Node and the helper

  it('refuses to keep the insecure default, and explains app-enforced mode', async () => {
    const keep = await cli(['plan', '--mode', 'key', '--key', keyFile, '--family', family, '--default', 'keep']);
    expect(keep.code).toBe(1);
    expect(keep.stderr).toMatch(/Keeping the current default is not possible/);
    const app = await cli(['plan', '--mode', 'app', '--family', family]);
    expect(app.stdout).toMatch(/No policy.json can require a signature by a GitHub Actions workflow/);
  });

  it('without rpm-ostreed to ask, says to name the image', async () => {
    const run = await cli(['show']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^vespera-updates policy show: name the image, e.g\. ghcr\.io\/OWNER\/IMAGE:latest \(rpm-ostreed could not be asked which image this host boots: /);
  });
});

describe('vespera-updates policy on a host that boots an image', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
  });
  afterAll(async () => {
    await world.stop();
  });

  it('shows what applies to the booted image when none is named', () => {
    const run = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'policy', 'show', '--json'], { env: world.processEnv(), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { image: { identity: string } }).image.identity).toBe(`${world.registry.host}/acme/vespera-nvidia:latest`);
  });

  it('plans for every variant of the booted image, as migrate does, when no family is named', () => {
    const run = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'policy', 'plan', '--mode', 'key', '--json'], { env: world.processEnv(), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const plan = JSON.parse(run.stdout) as { family: string[] };
    expect(plan.family).toEqual(['', '-nvidia', '-nvidia-open', '-dx', '-dx-nvidia', '-dx-nvidia-open'].map((v) => `${world.registry.host}/acme/vespera${v}`));
  });
});

describe('vespera-updates policy on a host that followed the image-signing document', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ scenario: 'seed-policy' });
  });
  afterAll(async () => {
    await world.stop();
  });

  it('reports the keyless block as the reason every pull fails, and plans nothing on top of it', () => {
    const show = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'policy', 'show', `${world.registry.host}/acme/vespera-nvidia:latest`], { env: world.processEnv(), encoding: 'utf8' });
    expect(show.status).toBe(3);
    expect(show.stdout).toMatch(/policy.json: INVALID\.\n.*line 8, column 11 .*unknown key "keyless".*every image pull on this host fails.*key-enforced mode/);
    const keyFile = join(world.root, 'cosign.pub');
    writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
    const plan = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'policy', 'plan', '--key', keyFile, '--family', `${world.registry.host}/acme/vespera`], { env: world.processEnv(), encoding: 'utf8' });
    expect(plan.status).toBe(1);
    expect(plan.stderr).toMatch(/The current policy is invalid/);
  });
});
