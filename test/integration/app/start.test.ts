// `npm start` where no rpm-ostreed exists says so in one line and points at the demo; the web demo
// (`npm run demo -- --web`) serves the real app on a test world and removes the world on Ctrl-C.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startWorld } from '../../world/world.ts';
import { runProcess, type ProcessRun, type RunOptions } from '../../support/cli.ts';


function npm(args: string[], env: NodeJS.ProcessEnv, onStdout?: RunOptions['onStdout']): Promise<ProcessRun> {
  return runProcess('npm', args, { env, detached: true, ...(onStdout ? { onStdout } : {}) });
}

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

describe('npm run demo -- --web', () => {
  it('serves the app on a test world to the address it prints, and removes the world on Ctrl-C', async () => {
    // Its own temp folder, so the check below sees only the demo's world (other tests run alongside).
    const temp = mkdtempSync(join(tmpdir(), 'demo-test-'));
    let answered: unknown;
    const run = await npm(['run', '--silent', 'demo', '--', '--web'], { ...process.env, TMPDIR: temp }, (stdout, child) => {
      const url = /Open (http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+) in a browser/.exec(stdout)?.[1];
      if (!url || answered !== undefined) return;
      answered = null;
      const origin = url.split('/#')[0] ?? '';
      const token = url.split('#token=')[1] ?? '';
      void fetch(`${origin}/api/invoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ command: 'status.get', input: null }),
      })
        .then((r) => r.json())
        .then((body) => {
          answered = body;
          process.kill(-(child.pid ?? 0), 'SIGINT');
        });
    });
    expect(run.code === 0 || run.signal === 'SIGINT', run.stderr).toBe(true);
    expect(answered).toMatchObject({ ok: true, output: { enforcement: { mode: 'none' }, deployments: expect.arrayContaining([expect.objectContaining({ role: 'booted' })]) as unknown } });
    expect(readdirSync(temp).filter((n) => n.startsWith('vespera-world-'))).toEqual([]);
    rmSync(temp, { recursive: true, force: true });
  }, 120_000);
});
