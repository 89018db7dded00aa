// Migration from the unverified-nvidia scenario through the command line, each outcome read back
// from the stand-in daemon's state and the world's /etc: key mode, app mode, and a failing rebase.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CURRENT, NEWER } from '../../world/catalog.ts';
import { startWorld, type World } from '../../world/world.ts';
import { ROOT, runCliJson, runProcess } from '../../support/cli.ts';
import { pushForeignBuild } from '../../support/foreign-build.ts';
import { hostOf } from '../../support/host.ts';

interface MigrateJson {
  ok: boolean;
  code?: string;
  message: string;
  mode: string;
  verifiedDigest?: string;
  platformDigest?: string;
  stagedDigest?: string;
  finalizationLocked?: boolean;
  newOrigin?: string;
  hostState?: string;
}

let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

async function open(scenario = 'unverified-nvidia'): Promise<World> {
  world = await startWorld({ scenario });
  return world;
}

const NVIDIA = 'acme/vespera-nvidia';

describe('vespera-updates migrate', () => {
  it('in key mode: writes the policy and stages ostree-image-signed:docker://…vespera-nvidia:latest at the verified digest', async () => {
    const w = await open();
    const latest = w.images.get(NVIDIA, 'latest');
    const { code, json, stderr } = await runCliJson<MigrateJson>(w, ['migrate', '--yes']);
    expect(code, `${json.message}\n${stderr}`).toBe(0);
    expect(json).toMatchObject({ ok: true, mode: 'key-enforced', verifiedDigest: latest.digest, platformDigest: latest.platformDigests.amd64, hostState: 'as-planned' });
    expect(json.newOrigin).toBe(`ostree-image-signed:docker://${w.registry.host}/${NVIDIA}:latest`);

    const state = await hostOf(w).dump();
    const staged = state.deployments.find((d) => d.staged);
    expect(staged?.refspec).toBe(json.newOrigin);
    expect(staged?.image?.digest).toBe(latest.platformDigests.amd64);
    expect(staged?.version).toBe(NEWER.version);

    const policy = JSON.parse(readFileSync(join(w.etcRoot, 'containers', 'policy.json'), 'utf8')) as {
      default: Array<{ type: string }>;
      transports: { docker: Record<string, Array<{ type: string; keyPath?: string; signedIdentity?: { type: string } }>> };
    };
    expect(policy.default).toEqual([{ type: 'reject' }]);
    expect(policy.transports.docker[`${w.registry.host}/${NVIDIA}`]).toEqual([
      { type: 'sigstoreSigned', keyPath: '/etc/pki/containers/acme-vespera.pub', signedIdentity: { type: 'matchRepository' } },
    ]);
    expect(readFileSync(join(w.etcRoot, 'containers', 'registries.d', 'vespera-updates.yaml'), 'utf8')).toContain(`"${w.registry.host}/${NVIDIA}":\n    use-sigstore-attachments: true`);
    expect(readFileSync(join(w.etcRoot, 'pki', 'containers', 'acme-vespera.pub'), 'utf8')).toBe(readFileSync(w.env.VESPERA_WORLD_PUBLISHER_KEY ?? '', 'utf8'));
  });

  it('in app mode: stages the verified digest finalization-locked, and a reboot that does not finalize boots the old system', async () => {
    const w = await open();
    const latest = w.images.get(NVIDIA, 'latest');
    const policyBefore = readFileSync(join(w.etcRoot, 'containers', 'policy.json'));
    const { code, json } = await runCliJson<MigrateJson>(w, ['migrate', '--mode', 'app', '--yes']);
    expect(code, json.message).toBe(0);
    expect(json).toMatchObject({ ok: true, mode: 'app-enforced', verifiedDigest: latest.digest, stagedDigest: latest.platformDigests.amd64, finalizationLocked: true });
    // App-enforced mode writes nothing to /etc: no policy can express a keyless GitHub identity.
    expect(readFileSync(join(w.etcRoot, 'containers', 'policy.json')).equals(policyBefore)).toBe(true);

    const before = await hostOf(w).dump();
    const staged = before.deployments.find((d) => d.staged);
    expect(staged).toMatchObject({ locked: true, override_digest: latest.digest, image: { digest: latest.platformDigests.amd64 } });

    await hostOf(w).reboot({ finalize: false });
    const after = await hostOf(w).dump();
    const booted = after.deployments.find((d) => d.booted);
    expect(booted?.version).toBe(CURRENT.version);
    expect(booted?.image?.digest).toBe(w.images.get(NVIDIA, CURRENT.version).platformDigests.amd64);
    expect(after.deployments.some((d) => d.staged)).toBe(false);
  });

  it('undoes everything when the rebase fails: policy.json byte-identical, no key, no registries.d file, nothing staged', async () => {
    const w = await open();
    const policyFile = join(w.etcRoot, 'containers', 'policy.json');
    const policyBefore = readFileSync(policyFile);
    await hostOf(w).setFaults({ pullFailure: 'pinging container registry 127.0.0.1: connection refused' });
    const { code, json } = await runCliJson<MigrateJson>(w, ['migrate', '--mode', 'key', '--yes']);
    expect(code).toBe(1);
    expect(json).toMatchObject({ ok: false, mode: 'key-enforced', hostState: 'as-before' });
    expect(json.message).toMatch(/connection refused/);
    expect(json.message).toMatch(/The previous signature policy was put back\. The host is exactly as it was: nothing is staged, and policy\.json and the enforcement record are unchanged\.$/);
    expect(readFileSync(policyFile).equals(policyBefore)).toBe(true);
    expect(existsSync(join(w.etcRoot, 'pki', 'containers', 'acme-vespera.pub'))).toBe(false);
    expect(existsSync(join(w.etcRoot, 'containers', 'registries.d', 'vespera-updates.yaml'))).toBe(false);
    expect((await hostOf(w).dump()).deployments.some((d) => d.staged)).toBe(false);
  });

  it('in key mode the OS itself refuses a build swapped under latest after the app verified it, and everything is undone', async () => {
    const w = await open();
    const host = hostOf(w);
    const policyFile = join(w.etcRoot, 'containers', 'policy.json');
    const policyBefore = readFileSync(policyFile);
    await host.setFaults({ holdTransactions: true });
    const migrating = runCliJson<MigrateJson>(w, ['migrate', '--mode', 'key', '--yes']);
    // The rebase pulls the tag: between the app's check and the OS pull, someone moves latest to their own build.
    const deadline = Date.now() + 60_000;
    while (!(await host.dump()).transaction?.held) {
      if (Date.now() > deadline) throw new Error(`the rebase never started:\n${await host.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await pushForeignBuild(w, NVIDIA, 'latest');
    await host.clearFaults();
    await host.release();
    const { code, json } = await migrating;
    expect(code).toBe(1);
    expect(json).toMatchObject({ ok: false, mode: 'key-enforced', hostState: 'as-before' });
    // The refusal is the real containers/image's, through the policy the migration had just written.
    expect(json.message).toMatch(/cryptographic signature verification failed/);
    expect(readFileSync(policyFile).equals(policyBefore)).toBe(true);
    expect((await host.dump()).deployments.some((d) => d.staged)).toBe(false);
  });

  it('refuses a target that fails verification and changes nothing', async () => {
    const w = await open();
    const { code, json } = await runCliJson<MigrateJson>(w, ['migrate', '--target', `${w.registry.host}/${NVIDIA}:forked`, '--yes']);
    expect(code).toBe(3);
    expect(json.message).toMatch(/failed its signature check.*mallory/);
    expect((await hostOf(w).dump()).deployments.some((d) => d.staged)).toBe(false);
  });

  it('goes back to unverified with a plain warning, and returns to signed', async () => {
    const w = await open('signed-nvidia');
    const { code, json } = await runCliJson<MigrateJson & { plan: { warnings: string[] } }>(w, ['migrate', '--to', 'unverified', '--yes']);
    expect(code, json.message).toBe(0);
    expect(json.plan.warnings[0]).toMatch(/^Warning: .*temporary measure/);
    expect(json.newOrigin).toBe(`ostree-unverified-registry:${w.registry.host}/${NVIDIA}:latest`);
    await hostOf(w).reboot();
    const back = await runCliJson<MigrateJson>(w, ['migrate', '--yes']);
    expect(back.code, back.json.message).toBe(0);
    expect(back.json.newOrigin).toBe(`ostree-image-signed:docker://${w.registry.host}/${NVIDIA}:latest`);
  });
});

describe('the acceptance command', () => {
  it('npm run --silent world -- run --scenario unverified-nvidia -- npx vespera-updates migrate --yes --json names the mode, the verified digest and the new origin', async () => {
    expect(existsSync(join(ROOT, 'dist', 'main', 'cli', 'index.js')), 'npm run build first').toBe(true);
    const result = await runProcess('npm', ['run', '--silent', 'world', '--', 'run', '--scenario', 'unverified-nvidia', '--', 'npx', 'vespera-updates', 'migrate', '--yes', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as MigrateJson;
    expect(json.mode).toBe('key-enforced');
    expect(json.verifiedDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(json.newOrigin).toMatch(/^ostree-image-signed:docker:\/\/127\.0\.0\.1:\d+\/acme\/vespera-nvidia:latest$/);
  });
});
