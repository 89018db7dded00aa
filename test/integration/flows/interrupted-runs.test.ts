// Runs that change the host, stopped the way people and machines stop them: Ctrl-C (SIGINT to the
// terminal's whole job) and SIGTERM in the middle of each step of `migrate` (both modes) and `rollback`,
// a kill -9 followed by the next run, two runs at once, and a second user's view. Each test asserts what
// the command said and what the host then is.

import { type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UiBackend } from '../../../main/flows/ui-backend.ts';
import { writeAppState } from '../../../main/flows/app-state.ts';
import { userStateDir } from '../../../main/shared/user-files.ts';
import { OLD } from '../../world/catalog.ts';
import { startWorld, type World } from '../../world/world.ts';
import { runCli, runProcess, type ProcessRun } from '../../support/cli.ts';
import { hostOf } from '../../support/host.ts';

const NVIDIA = 'acme/vespera-nvidia';
let world: World | undefined;
let backend: UiBackend | undefined;

afterEach(async () => {
  await backend?.close();
  backend = undefined;
  await world?.stop();
  world = undefined;
});

/** `vespera-updates ARGS` in its own process group, as a shell starts a job; the child is handed out. */
function start(w: World, args: readonly string[], env: NodeJS.ProcessEnv = {}): { done: Promise<ProcessRun>; child: Promise<ChildProcess> } {
  let give: (child: ChildProcess) => void = () => {};
  const child = new Promise<ChildProcess>((resolve) => (give = resolve));
  const done = runProcess(process.execPath, ['--disable-warning=ExperimentalWarning', 'main/cli/index.ts', ...args], {
    env: { ...w.processEnv(), ...env },
    detached: true,
    onSpawn: give,
  });
  return { done, child };
}

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Everything under the world's /etc the migration may touch, to compare before and after. */
function etcFiles(w: World): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, `${prefix}${entry.name}/`);
      else out[`${prefix}${entry.name}`] = readFileSync(path, 'utf8');
    }
  };
  walk(w.etcRoot, '');
  return out;
}

function runRecords(w: World): string[] {
  return readdirSync(join(w.root, 'var', 'lib', 'vespera-updates', 'runs')).filter((n) => n.endsWith('.json'));
}

const held = async (w: World, method: string): Promise<boolean> => (await hostOf(w).dump()).transaction?.method === method && (await hostOf(w).dump()).transaction?.held === true;

/** Lets a transaction held at its checkpoint go on, with no later one held. */
async function releaseHeld(w: World): Promise<void> {
  await hostOf(w).clearFaults();
  await hostOf(w).release();
}

function json(run: ProcessRun): Record<string, unknown> {
  try {
    return JSON.parse(run.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`no JSON (exit ${String(run.code)}):\n${run.stdout}\n${run.stderr}`);
  }
}

async function expectHostAsBefore(w: World, etcBefore: Record<string, string>): Promise<void> {
  expect(etcFiles(w)).toEqual(etcBefore);
  expect((await hostOf(w).dump()).deployments.some((d) => d.staged)).toBe(false);
  expect(runRecords(w)).toEqual([]);
}

describe('an interrupted migration undoes itself and says where the host stands', () => {
  it('key mode, Ctrl-C while the policy is being written: the step finishes, then everything is undone (exit 130)', async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
    const before = etcFiles(world);
    const marker = join(world.root, 'helper-paused');
    const run = start(world, ['migrate', '--mode', 'key', '--yes', '--json'], { VESPERA_POLICY_HELPER_FAULT: 'pause-until-released:policy' });
    await until('the helper to pause before writing policy.json', () => existsSync(marker));
    process.kill(-((await run.child).pid as number), 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    writeFileSync(join(world.root, 'helper-released'), '');
    const result = await run.done;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain('Interrupted: finishing the step under way, then undoing the rest.');
    expect(json(result)).toMatchObject({ ok: false, code: 'interrupted', interrupted: true, hostState: 'as-before' });
    expect(String(json(result).message)).toMatch(/^Interrupted: Writing the signature policy had finished when you interrupted.*The host is exactly as it was/);
    await expectHostAsBefore(world, before);
  });

  it('key mode, SIGTERM while rpm-ostree rebases: the rebase finishes, then it is removed and the policy put back (exit 143)', async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
    const before = etcFiles(world);
    await hostOf(world).setFaults({ holdTransactions: true });
    const run = start(world, ['migrate', '--mode', 'key', '--yes', '--json']);
    await until('the rebase to be under way', () => held(world as World, 'Rebase'));
    (await run.child).kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await releaseHeld(world);
    const result = await run.done;
    expect(result.code, result.stderr).toBe(143);
    expect(json(result)).toMatchObject({ ok: false, code: 'interrupted', hostState: 'as-before' });
    await expectHostAsBefore(world, before);
  });

  it('app mode, Ctrl-C while the verified digest is deployed: it is removed once deployed (exit 130)', async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
    const before = etcFiles(world);
    await hostOf(world).setFaults({ holdTransactions: true });
    const run = start(world, ['migrate', '--mode', 'app', '--yes', '--json']);
    await until('the deployment to be under way', async () => (await hostOf(world as World).dump()).transaction?.held === true);
    process.kill(-((await run.child).pid as number), 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await releaseHeld(world);
    const result = await run.done;
    expect(result.code, result.stderr).toBe(130);
    expect(json(result)).toMatchObject({ ok: false, code: 'interrupted', mode: 'app-enforced', hostState: 'as-before' });
    await expectHostAsBefore(world, before);
  });

  it('app mode, SIGTERM while the host record is written: the last step finishes, so the migration stands as planned, and it says so', async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
    const marker = join(world.root, 'helper-paused');
    const run = start(world, ['migrate', '--mode', 'app', '--yes', '--json'], { VESPERA_POLICY_HELPER_FAULT: 'pause-until-released:enforcement' });
    await until('the helper to pause before writing the enforcement record', () => existsSync(marker));
    (await run.child).kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    writeFileSync(join(world.root, 'helper-released'), '');
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect(json(result)).toMatchObject({ ok: true, mode: 'app-enforced', hostState: 'as-planned', finalizationLocked: true });
    expect(String(json(result).message)).toContain('You interrupted during the last step; it had finished, so the migration stands as planned.');
    const record = JSON.parse(readFileSync(join(world.etcRoot, 'vespera-updates/enforcement.json'), 'utf8')) as { appEnforced: Array<{ repository: string }> };
    expect(record.appEnforced.map((e) => e.repository)).toEqual([`${world.registry.host}/${NVIDIA}`]);
    expect((await hostOf(world).dump()).deployments.filter((d) => d.staged && d.locked)).toHaveLength(1);
    expect(runRecords(world)).toEqual([]);
  });
});

describe('a run cut short is finished or undone by the next run', () => {
  it('kill -9 during the rebase, which rpm-ostree then finishes: status names the unfinished run; the next run finds it finished', async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
    await hostOf(world).setFaults({ holdTransactions: true });
    const run = start(world, ['migrate', '--mode', 'key', '--yes', '--json']);
    await until('the rebase to be under way', () => held(world as World, 'Rebase'));
    (await run.child).kill('SIGKILL');
    await run.done;
    await releaseHeld(world);
    // Once started, rpm-ostree finishes the rebase on its own: the host is migrated, but nobody said so.
    await until('rpm-ostree to stage the rebase', async () => (await hostOf(world as World).dump()).deployments.some((d) => d.staged));
    expect(runRecords(world)).toHaveLength(1);

    const status = await runCli(world, ['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/! An interrupted migration to ostree-image-signed:docker:\/\/127\.0\.0\.1:\d+\/acme\/vespera-nvidia:latest \(started [^)]+ by root\) is unfinished/);

    const again = await runCli(world, ['migrate', '--mode', 'key', '--yes']);
    expect(again.stderr).toMatch(/An interrupted migration to \S+ \(key-enforced, started [^)]+ by root\) had finished\. The next restart boots sha256:[0-9a-f]{64} from ostree-image-signed:/);
    expect(again.stdout).toMatch(/Cannot migrate: This host is already migrated: the next restart boots .* Restart to apply it\./);
    expect(again.code).toBe(5);
    expect(runRecords(world)).toEqual([]);
  });

  it('kill -9 while the helper writes the policy: the next migrate undoes the half-written migration, then migrates', async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
    const before = etcFiles(world);
    const marker = join(world.root, 'helper-paused');
    const run = start(world, ['migrate', '--mode', 'key', '--yes', '--json'], { VESPERA_POLICY_HELPER_FAULT: 'pause-until-released:policy' });
    await until('the helper to pause before writing policy.json', () => existsSync(marker));
    (await run.child).kill('SIGKILL');
    await run.done;
    // The helper, a separate process, finishes writing; nobody is left to take the rebase further.
    writeFileSync(join(world.root, 'helper-released'), '');
    await until('the helper to finish writing', () => etcFiles(world as World)['containers/policy.json'] !== before['containers/policy.json']);

    const again = await runCli(world, ['migrate', '--mode', 'key', '--yes', '--json']);
    expect(again.stderr).toMatch(/An interrupted migration to \S+ \(key-enforced, started [^)]+ by root\) was left half done; it was undone\. The host is exactly as it was/);
    expect(again.code, again.stderr).toBe(0);
    expect(json(again)).toMatchObject({ ok: true, mode: 'key-enforced', hostState: 'as-planned' });
    expect(runRecords(world)).toEqual([]);
  });
});

describe('an interrupted rollback', () => {
  it('Ctrl-C while the blocking staged update is discarded: discarded, not rolled back, and it says so (exit 130)', async () => {
    world = await startWorld({ scenario: 'staged-update' });
    const bootedId = (await hostOf(world).dump()).bootedId;
    await hostOf(world).setFaults({ holdTransactions: true });
    const run = start(world, ['rollback', '--discard-staged', '--yes', '--json']);
    await until('the discard to be under way', () => held(world as World, 'Cleanup'));
    process.kill(-((await run.child).pid as number), 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await releaseHeld(world);
    const result = await run.done;
    expect(result.code, result.stderr).toBe(130);
    expect(json(result)).toMatchObject({ ok: false, code: 'interrupted' });
    expect(String(json(result).message)).toMatch(/^Interrupted: the staged update was discarded, and the rollback was not started\. Not rolled back: the next restart boots the running system\.$/);
    const host = await hostOf(world).dump();
    expect(host.deployments.some((d) => d.staged)).toBe(false);
    expect(host.deployments[0]?.id).toBe(bootedId);
    expect(runRecords(world)).toEqual([]);
  });

  it('a second Ctrl-C leaves at once; rpm-ostree finishes the rollback, and status and the next run say so', async () => {
    world = await startWorld({ scenario: 'pinned-rollback' });
    await hostOf(world).setFaults({ holdTransactions: true });
    const run = start(world, ['rollback', '--yes']);
    await until('the rollback to be under way', () => held(world as World, 'Rollback'));
    const pid = (await run.child).pid as number;
    process.kill(-pid, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(-pid, 'SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/Leaving now\. What this run had started is written down; the next run of Vespera Updates .* finishes or undoes it\./);
    await releaseHeld(world);
    await until('rpm-ostree to finish the rollback', async () => (await hostOf(world as World).dump()).transaction === null);

    const status = await runCli(world, ['status']);
    expect(status.stdout).toContain(`Health: Next restart: ${OLD.version} (rollback)`);
    expect(status.stdout).toMatch(/! An interrupted rollback \(started [^)]+\) is unfinished/);
    const next = await runCli(world, ['rollback', '--yes']);
    expect(next.stderr).toContain(`An interrupted rollback to ${OLD.version}`);
    expect(next.stderr).toContain(`had finished: the next restart boots ${OLD.version}.`);
    expect(runRecords(world)).toEqual([]);
  });
});

describe('two runs at once', () => {
  for (const [first, second] of [['key', 'app'], ['app', 'key']] as const) {
    it(`migrate --mode ${first} and then --mode ${second}: the second refuses, naming the first; the host shows only the first`, async () => {
      world = await startWorld({ scenario: 'unverified-nvidia' });
      await hostOf(world).setFaults({ holdTransactions: true });
      const a = start(world, ['migrate', '--mode', first, '--yes', '--json']);
      await until('the first migration to reach rpm-ostree', async () => (await hostOf(world as World).dump()).transaction?.held === true);
      const b = await runCli(world, ['migrate', '--mode', second, '--yes', '--json']);
      expect(b.code, b.stderr).toBe(5);
      expect(json(b)).toMatchObject({ ok: false, code: 'host-busy' });
      expect(String(json(b).message)).toMatch(new RegExp(`^Another Vespera Updates run is changing this host: migrate by root \\(process ${String((await a.child).pid)}, since [^)]+\\)\\. Nothing was changed`));
      await releaseHeld(world);
      const result = await a.done;
      expect(result.code, result.stderr).toBe(0);
      const outcome = json(result);
      expect(outcome).toMatchObject({ ok: true, mode: first === 'key' ? 'key-enforced' : 'app-enforced', hostState: 'as-planned' });
      const staged = (await hostOf(world).dump()).deployments.filter((d) => d.staged);
      expect(staged).toHaveLength(1);
      expect(staged[0]?.locked).toBe(first === 'app');
      const status = await runCli(world, ['status', '--json']);
      expect((JSON.parse(status.stdout) as { enforcement: { mode: string } }).enforcement.mode).toBe(first === 'key' ? 'key-enforced' : 'app-enforced');
    });
  }
});

describe('app-enforced mode is the host’s, for every user', () => {
  it('another user (own home, config and state) and the app see the mode the migration recorded in /etc', async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
    const migrate = await runCli(world, ['migrate', '--mode', 'app', '--yes', '--json']);
    expect(migrate.code, migrate.stderr).toBe(0);
    const record = JSON.parse(readFileSync(join(world.etcRoot, 'vespera-updates/enforcement.json'), 'utf8')) as { appEnforced: Array<{ repository: string }> };
    expect(record.appEnforced.map((e) => e.repository)).toEqual([`${world.registry.host}/${NVIDIA}`]);

    const other = join(world.root, 'other-user');
    const env = { HOME: other, XDG_CONFIG_HOME: join(other, 'config'), XDG_STATE_HOME: join(other, 'state'), XDG_CACHE_HOME: join(other, 'cache') };
    const status = await runCli(world, ['status'], { env });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('Enforcement: Verified by Vespera Updates before each update; the OS cannot enforce keyless GitHub identities');
    expect(status.stdout).not.toMatch(/Not enforced/);
  });

  it('a per-user record an older version kept is moved to the host when the app starts', async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
    await writeAppState(userStateDir(world.env), { legacyAppEnforced: [`${world.registry.host}/${NVIDIA}`] });
    backend = await UiBackend.start({ env: world.processEnv(), notifications: false, firstCheckAfterMs: 600_000 });
    const record = JSON.parse(readFileSync(join(world.etcRoot, 'vespera-updates/enforcement.json'), 'utf8')) as { appEnforced: Array<{ repository: string }> };
    expect(record.appEnforced.map((e) => e.repository)).toEqual([`${world.registry.host}/${NVIDIA}`]);
    expect(backend.snapshot().enforcement.mode).toBe('app-enforced');
    const state = JSON.parse(readFileSync(join(userStateDir(world.env), 'state.json'), 'utf8')) as Record<string, unknown>;
    expect(state.appEnforced).toBeUndefined();
  });
});
