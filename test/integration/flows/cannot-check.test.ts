// "Could not check" is not "failed": with the registry stopped, refusing connections or never
// answering, and with an empty or broken configuration, the CLI, the app's status and its desktop
// notifications say what happened, keep the last good verdict, and the host is left as it was.

import { createServer, type Server, type Socket } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UiBackend } from '../../../main/flows/ui-backend.ts';
import { notificationsIn } from '../../sim/notification-server.ts';
import { CURRENT } from '../../world/catalog.ts';
import { startWorld, type World } from '../../world/world.ts';
import { runCli, runCliJson } from '../../support/cli.ts';
import { hostOf } from '../../support/host.ts';

let world: World | undefined;
let backend: UiBackend | undefined;
const servers: Server[] = [];
const sockets = new Set<Socket>();

afterEach(async () => {
  await backend?.close();
  backend = undefined;
  // Closing waits for open connections: a server that never answers must drop them first.
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
  await world?.stop();
  world = undefined;
});

/** Stops the world's registry and puts `behave` on its port, as a broken server at the same address. */
async function replaceRegistry(w: World, behave: (socket: Socket) => void): Promise<void> {
  await w.registry.process.stop();
  const port = Number(w.registry.host.split(':')[1]);
  const server = createServer((socket) => {
    sockets.add(socket);
    behave(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
}

/** The backend's snapshot once no signature check is still running. */
async function settled(b: UiBackend): Promise<ReturnType<UiBackend['snapshot']>> {
  for (let i = 0; i < 300 && (b.snapshot().health === 'checking' || b.snapshot().deployments.some((d) => d.signature.status === 'checking')); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return b.snapshot();
}

/** A signed, key-enforced host whose booted image verified once (so there is a last good verdict). */
async function verifiedOnce(): Promise<World> {
  world = await startWorld({ scenario: 'signed-nvidia' });
  const first = await runCli(world, ['status']);
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout).toContain(`Health: Up to date and signed: ${CURRENT.version}`);
  return world;
}

function expectCouldNotCheck(stdout: string, why: RegExp): void {
  expect(stdout).toContain("Health: Could not check the running system's signature");
  expect(stdout).toMatch(why);
  expect(stdout).toMatch(/It last verified on 20\d\d-\d\d-\d\dT[^,]+, signed by \.github\/workflows\/build\.yml@refs\/heads\/main of https:\/\/github\.com\/acme\/vespera\./);
  expect(stdout).not.toMatch(/does not check out|FAILED|failed its signature check/);
}

describe('when the registry cannot be reached', () => {
  it('a stopped registry: status says it could not check and why, check exits 1, the doctor names the cause', async () => {
    const w = await verifiedOnce();
    const before = await hostOf(w).dump();
    await w.registry.process.stop();

    const status = await runCli(w, ['status']);
    expect(status.code, status.stderr).toBe(1);
    expectCouldNotCheck(status.stdout, /refused the connection/);

    const json = await runCliJson<{ health: string; deployments: Array<{ booted: boolean; signature: { status: string; failure?: { code: string } } }> }>(w, ['status']);
    expect(json.json.health).toBe('cannot-check');
    expect(json.json.deployments.find((d) => d.booted)?.signature).toMatchObject({ status: 'unchecked', failure: { code: 'network' } });

    const check = await runCli(w, ['check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/^Could not check for updates: .*refused the connection.* Nothing was installed; the host is as it was\./);
    expect(check.stdout).not.toMatch(/failed its signature check/);

    const doctor = await runCliJson<{ checks: Array<{ id: string; status: string; summary: string }> }>(w, ['doctor']);
    const registry = doctor.json.checks.find((c) => c.id === 'registry');
    expect(registry).toMatchObject({ status: 'fail' });
    expect(registry?.summary).toMatch(/refused the connection/);
    expect(registry?.summary).not.toMatch(/in time/);

    expect((await hostOf(w).dump()).deployments).toEqual(before.deployments);
  });

  it('a registry that drops every connection: "closed the connection", never a signature failure', async () => {
    const w = await verifiedOnce();
    await replaceRegistry(w, (socket) => socket.resetAndDestroy());
    const status = await runCli(w, ['status']);
    expect(status.code, status.stderr).toBe(1);
    expectCouldNotCheck(status.stdout, /closed the connection/);
    const check = await runCli(w, ['check', '--json']);
    expect(check.code).toBe(1);
    expect(JSON.parse(check.stdout)).toMatchObject({ ok: false, code: 'network' });
  });

  it('a registry that never answers: "did not answer in time", within the configured timeout', async () => {
    const w = await verifiedOnce();
    const registries = w.config.registries as Array<Record<string, unknown>>;
    (registries[0] as Record<string, unknown>).timeout = '1s';
    await w.writeConfig();
    await replaceRegistry(w, () => {});
    const status = await runCli(w, ['status']);
    expect(status.code, status.stderr).toBe(1);
    expectCouldNotCheck(status.stdout, /did not answer in time/);
  }, 180_000);

  it('the app shows it quietly: no failure notification, the last good verdict kept', async () => {
    const w = await verifiedOnce();
    await w.registry.process.stop();
    const notifications = notificationsIn(w);
    backend = await UiBackend.start({ env: w.processEnv(), firstCheckAfterMs: 60_000 });
    const check = await backend.invoke('update.check', null);
    expect(check).toMatchObject({ ok: false, code: 'network' });
    const snapshot = await settled(backend);
    expect(snapshot.health).toBe('cannot-check');
    expect(snapshot.deployments.find((d) => d.role === 'booted')?.signature.lastVerified?.signedBy).toMatch(/acme\/vespera/);
    expect(snapshot.notices).toContainEqual(expect.objectContaining({ code: 'check-failed', severity: 'warning' }));
    const sent = await notifications.sent();
    expect(sent.filter((n) => n.hints.urgency?.value === 2 || /failed/i.test(n.summary))).toEqual([]);
  });
});

describe('when nothing says who must sign, or the configuration is broken', () => {
  it('an empty configuration: could not check (nobody is configured), never "failed its signature check"', async () => {
    world = await startWorld({ scenario: 'cached-update' });
    const empty = join(world.root, 'empty.yaml');
    await writeFile(empty, '');
    const env = { VESPERA_UPDATES_CONFIG: empty };
    const check = await runCli(world, ['check'], { env });
    expect(check.code, check.stderr).toBe(1);
    expect(check.stdout).toMatch(/its signature could not be checked/);
    expect(check.stdout).toMatch(/Nobody is configured as its signer/);
    expect(check.stdout).not.toMatch(/failed its signature check/);
    const status = await runCli(world, ['status', '--json'], { env });
    const doc = JSON.parse(status.stdout) as Record<string, unknown>;
    // Could not check the running system; and it boots unverified images, which needs attention (3).
    expect({ code: status.code, health: doc.health, headline: doc.headline }).toEqual({ code: 3, health: 'unverified', headline: "Could not check the running system's signature" });
    expect(status.stdout).not.toMatch(/does not check out|failed its signature check/);
  });

  it('a malformed configuration: every command stops with the file and line, and changes nothing', async () => {
    world = await startWorld({ scenario: 'cached-update' });
    const broken = join(world.root, 'broken.yaml');
    await writeFile(broken, 'families:\n  - images: [ghcr.io/acme/vespera*\n    key: /etc/pki/x.pub\n');
    const before = await hostOf(world).dump();
    for (const args of [['status'], ['check'], ['migrate', '--yes']]) {
      const run = await runCli(world, args, { env: { VESPERA_UPDATES_CONFIG: broken } });
      expect(run.code, `${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`${broken.replaceAll('/', '\\/')}, line \\d+, column \\d+: not valid YAML`));
    }
    expect((await hostOf(world).dump()).deployments).toEqual(before.deployments);
  });
});
