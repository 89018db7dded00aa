import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { processesMentioning } from '../../support/processes.ts';
import { runProcess, type ProcessRun, type RunOptions } from '../../support/cli.ts';


/** `npm run world -- ARGS` in its own process group, like a job a shell starts in the foreground. */
function world(args: string[], onStdout?: RunOptions['onStdout']): Promise<ProcessRun> {
  return runProcess('npm', ['run', '--silent', 'world', '--', ...args], { detached: true, ...(onStdout ? { onStdout } : {}) });
}

describe('npm run world', () => {
  it('runs a command inside a world, prints only its output, and removes the world', async () => {
    const run = await world(['run', '--', 'sh', '-c', 'echo $DBUS_SYSTEM_BUS_ADDRESS']);
    expect(run.code).toBe(0);
    const match = /^unix:path=(\/.*vespera-world-[^/]+)\/buses\/system_bus_socket\n$/.exec(run.stdout);
    expect(match, run.stdout + run.stderr).not.toBeNull();
    const root = match?.[1] ?? '';
    expect(existsSync(root)).toBe(false);
    expect(processesMentioning(root)).toEqual([]);
  });

  it("exits with the command's exit code", async () => {
    const run = await world(['run', '--', 'sh', '-c', 'exit 7']);
    expect(run.code).toBe(7);
  });

  it('refuses an unknown scenario with the list of known ones', async () => {
    const run = await world(['run', '--scenario', 'nope', '--', 'true']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no scenario named "nope"; known: default/);
  });

  it('tears the world down on Ctrl-C', async () => {
    let root = '';
    const run = await world(['run', '--', 'sh', '-c', 'echo $VESPERA_WORLD_ROOT; exec sleep 60'], (stdout, child) => {
      if (root !== '') return;
      root = stdout.trim();
      // The world is up and sleep runs inside it: Ctrl-C signals the whole foreground group.
      void sleep(200).then(() => process.kill(-(child.pid ?? 0), 'SIGINT'));
    });
    expect(root).toMatch(/vespera-world-/);
    // npm re-raises the interrupt once the world has stopped; a shell shows either as status 130.
    expect(run.code === 130 || run.signal === 'SIGINT').toBe(true);
    expect(existsSync(root)).toBe(false);
    expect(processesMentioning(root)).toEqual([]);
  });
});
