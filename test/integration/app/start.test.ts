// `npm start` where no rpm-ostreed exists says so in one line and points at the demo; `./run start`
// (scripts/start.ts --or-demo, which it execs) runs the browser demo where Electron cannot be had,
// downloading it once, and a SIGTERM to its process id removes the world; the web demo serves the
// real app, restarts its machine when the app asks (Restart now shows the host after the reboot) and
// removes the world on Ctrl-C; the demo refuses, in one line, a scenario with no host.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CURRENT, NEWER } from '../../world/catalog.ts';
import { startWorld } from '../../world/world.ts';
import { runProcess, type ProcessRun, type RunOptions } from '../../support/cli.ts';
import { processesMentioning } from '../../support/processes.ts';

const temps: string[] = [];
afterEach(() => {
  for (const temp of temps.splice(0)) rmSync(temp, { recursive: true, force: true });
});

/** A folder of the test's own, so what is checked for leftovers is only what this test started. */
function ownTemp(): string {
  const temp = mkdtempSync(join(tmpdir(), 'start-test-'));
  temps.push(temp);
  return temp;
}

function npm(args: string[], env: NodeJS.ProcessEnv, onStdout?: RunOptions['onStdout']): Promise<ProcessRun> {
  return runProcess('npm', args, { env, detached: true, ...(onStdout ? { onStdout } : {}) });
}

/** What a world left behind in `temp`: its folders, and processes still naming them. */
async function leftovers(temp: string): Promise<{ folders: string[]; processes: string[] }> {
  // The world stops its processes before its owner exits; give the kernel a moment to reap them.
  const deadline = Date.now() + 5000;
  while (processesMentioning(temp).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return { folders: readdirSync(temp).filter((n) => n.startsWith('vespera-world-')), processes: processesMentioning(temp).map((p) => p.cmdline) };
}

/** Asks the web bridge at `url` (as printed) to run `command`, as the page would. */
async function invokeAt(url: string, command: string): Promise<unknown> {
  const origin = url.split('/#')[0] ?? '';
  const token = url.split('#token=')[1] ?? '';
  const response = await fetch(`${origin}/api/invoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ command, input: null }),
  });
  return await response.json();
}

function statusFrom(url: string): Promise<unknown> {
  return invokeAt(url, 'status.get');
}

const OPEN_LINE = /Open (http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+) in a browser/;

describe('npm start without rpm-ostreed', () => {
  it('says so in one line and points at the demo, on a system bus without it', async () => {
    const world = await startWorld();
    try {
      const run = await npm(['start', '--silent'], world.processEnv());
      expect(run.code).toBe(1);
      const lines = run.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('npm warn'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^vespera-updates: this machine has no rpm-ostreed \(rpm-ostreed is not on the system bus\), so there is no host to manage; try the demo: npm run demo\.$/);
    } finally {
      await world.stop();
    }
  });

  it('says the same where there is no system bus at all', async () => {
    const run = await npm(['start', '--silent'], { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/nonexistent/system_bus_socket' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^vespera-updates: this machine has no rpm-ostreed \(the system bus is not reachable: connect ENOENT \/nonexistent\/system_bus_socket\), so there is no host to manage; try the demo: npm run demo\.\n$/);
  });
});

describe('./run start where Electron cannot be had', () => {
  it('says so once, serves the browser demo, does not try the download again, and a SIGTERM to its pid removes the world', async () => {
    const temp = ownTemp();
    // An Electron mirror that has no Electron: every download fails, and each attempt is counted.
    let downloads = 0;
    const mirror = createServer((request, response) => {
      downloads += 1;
      request.resume();
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_config_electron')));
    Object.assign(env, {
      TMPDIR: temp,
      XDG_CACHE_HOME: join(temp, 'cache'),
      DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${join(temp, 'no-system-bus')}`,
      ELECTRON_MIRROR: `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/`,
      electron_config_cache: join(temp, 'electron-cache'),
      // Wherever this runs, no Electron binary is found: as on a machine where none can be had.
      ELECTRON_OVERRIDE_DIST_PATH: join(temp, 'no-electron'),
    });

    /** `./run start` execs `node scripts/start.ts --or-demo`: the same process, so the same pid. */
    const start = async (): Promise<{ run: ProcessRun; served: unknown }> => {
      let served: unknown;
      const run = await runProcess(process.execPath, ['--disable-warning=ExperimentalWarning', 'scripts/start.ts', '--or-demo'], {
        env,
        detached: true,
        onStdout: (stdout, child) => {
          const url = OPEN_LINE.exec(stdout)?.[1];
          if (!url || served !== undefined) return;
          served = null;
          void statusFrom(url).then((status) => {
            served = status;
            // Only the pid, not its process group: as `kill PID` would.
            child.kill('SIGTERM');
          });
        },
      });
      return { run, served };
    };

    try {
      const first = await start();
      expect(first.served, first.run.stderr).toMatchObject({ ok: true, output: { enforcement: { mode: 'none' } } });
      expect(first.run.code, first.run.stderr).toBe(0);
      expect(downloads).toBeGreaterThan(0);
      const firstLines = first.run.stderr.trim().split('\n');
      expect(firstLines).toEqual([
        expect.stringMatching(/^vespera-updates: this machine has no rpm-ostreed .*; starting the demo instead\.$/),
        'vespera-updates: fetching the Electron binary (once)…',
        expect.stringMatching(/^vespera-updates demo: the Electron binary could not be downloaded on .* \(HTTPError: Response code 404 .*\); it is tried again from .*; serving the app to a browser instead\.$/),
        'vespera-updates demo: bringing up the test world (scenario unverified-nvidia)…',
        'vespera-updates demo: running; Ctrl-C stops it and removes the test world.',
      ]);
      expect(await leftovers(temp)).toEqual({ folders: [], processes: [] });

      const tried = downloads;
      const second = await start();
      expect(second.served, second.run.stderr).toMatchObject({ ok: true });
      expect(second.run.code, second.run.stderr).toBe(0);
      expect(downloads, 'the second start asked the mirror again').toBe(tried);
      const secondLines = second.run.stderr.trim().split('\n');
      expect(secondLines.filter((line) => line.includes('Electron'))).toHaveLength(1);
      expect(secondLines[1]).toMatch(/^vespera-updates demo: the Electron binary could not be downloaded on .*; serving the app to a browser instead\.$/);
      expect(await leftovers(temp)).toEqual({ folders: [], processes: [] });
    } finally {
      mirror.close();
    }
  }, 300_000);
});

describe('npm run demo', () => {
  it('-- --web serves the app on a test world to the address it prints, and removes the world on Ctrl-C', async () => {
    // Its own temp folder, so the check below sees only the demo's world (other tests run alongside).
    const temp = ownTemp();
    let answered: unknown;
    const run = await npm(['run', '--silent', 'demo', '--', '--web'], { ...process.env, TMPDIR: temp }, (stdout, child) => {
      const url = OPEN_LINE.exec(stdout)?.[1];
      if (!url || answered !== undefined) return;
      answered = null;
      void statusFrom(url).then((body) => {
        answered = body;
        process.kill(-(child.pid ?? 0), 'SIGINT');
      });
    });
    expect(run.code === 0 || run.signal === 'SIGINT', run.stderr).toBe(true);
    expect(answered).toMatchObject({ ok: true, output: { enforcement: { mode: 'none' }, deployments: expect.arrayContaining([expect.objectContaining({ role: 'booted' })]) as unknown } });
    expect(await leftovers(temp)).toEqual({ folders: [], processes: [] });
  }, 120_000);

  it('restarts its machine when the app asks: Restart now, and the app then shows the host as it booted', async () => {
    const temp = ownTemp();
    let after: { output?: { headline?: string; deployments?: Array<{ role: string; version?: string }> } } | undefined;
    let restart: unknown;
    const run = await npm(['run', '--silent', 'demo', '--', '--web', '--scenario', 'staged-update'], { ...process.env, TMPDIR: temp }, (stdout, child) => {
      const url = OPEN_LINE.exec(stdout)?.[1];
      if (!url || restart !== undefined) return;
      restart = null;
      void (async () => {
        restart = await invokeAt(url, 'update.restartNow');
        // The app stops with the machine and comes back on the new boot; ask until it answers so.
        for (let tries = 0; tries < 240; tries += 1) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          const status = (await statusFrom(url).catch(() => undefined)) as typeof after;
          if (status?.output?.deployments?.some((d) => d.role === 'booted' && d.version === NEWER.version) && !status.output.headline?.startsWith('Checking')) {
            after = status;
            break;
          }
        }
        process.kill(-(child.pid ?? 0), 'SIGINT');
      })();
    });
    expect(restart, run.stderr).toMatchObject({ ok: true, output: { ok: true } });
    expect(run.stderr).toContain('vespera-updates demo: the computer restarts (asked of logind); the app comes back on the new boot\n');
    // After the reboot the staged update is what runs, and nothing waits any more.
    expect(after?.output?.deployments?.map((d) => `${d.role} ${d.version ?? ''}`), run.stderr).toEqual([`booted ${NEWER.version}`, `rollback ${CURRENT.version}`]);
    expect(await leftovers(temp)).toEqual({ folders: [], processes: [] });
  }, 240_000);

  it('refuses a scenario with no host in one line that names the ones it can show, and starts nothing', async () => {
    const temp = ownTemp();
    const run = await npm(['run', '--silent', 'demo', '--', '--web', '--scenario', 'default'], { ...process.env, TMPDIR: temp });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'vespera-updates demo: the scenario "default" has no host (it is a registry alone, for tests), so there is no app to show; start from one with a host: unverified-nvidia, signed-nvidia, staged-update, staged-forked, cached-update, pinned-rollback\n',
    );
    expect(run.stdout).toBe('');
    expect(await leftovers(temp)).toEqual({ folders: [], processes: [] });

    const listed = await npm(['run', '--silent', 'demo', '--', '--scenarios'], process.env);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n').filter(Boolean).map((line) => line.split('\t')[0])).toEqual([
      'unverified-nvidia',
      'signed-nvidia',
      'staged-update',
      'staged-forked',
      'cached-update',
      'pinned-rollback',
    ]);
  });
});
