// The prompts of the command line on a real terminal (a pseudo-terminal): Ctrl-C and Ctrl-D at a
// question are "no" (exit 4, nothing changed, no "unexpected failure"), and answers typed ahead, before
// the questions appear, answer consecutive questions in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../../world/world.ts';
import { ROOT, runProcess } from '../../support/cli.ts';
import { hostOf } from '../../support/host.ts';
import { OLD } from '../../world/catalog.ts';

interface Screen {
  readonly code: number | null;
  readonly signal: number | null;
  readonly timedOut: boolean;
  readonly screen: string;
}

let world: World;

beforeAll(async () => {
  world = await startWorld({ scenario: 'staged-update' });
});
afterAll(async () => {
  await world.stop();
});

/** `vespera-updates ARGS` on a terminal; each step waits for its text, then types its keys. */
async function atTerminal(args: readonly string[], steps: ReadonlyArray<{ wait?: string; send: string }>): Promise<Screen> {
  const run = await runProcess('/usr/bin/python3', ['-B', `${ROOT}test/support/pty-run.py`, JSON.stringify(steps), '90', process.execPath, '--disable-warning=ExperimentalWarning', `${ROOT}main/cli/index.ts`, ...args], {
    env: world.processEnv(),
  });
  expect(run.code, run.stderr).toBe(0);
  const screen = JSON.parse(run.stdout) as Screen;
  expect(screen.timedOut, screen.screen).toBe(false);
  return screen;
}

const deployments = async (): Promise<string[]> => (await hostOf(world).dump()).deployments.map((d) => `${d.id}${d.staged ? ' staged' : ''}`);

describe('a prompt on a terminal', () => {
  it('Ctrl-C at the question is "no": exit 4, the host untouched', async () => {
    const before = await deployments();
    const run = await atTerminal(['rollback'], [{ wait: 'Discard it first\\? \\[y/N\\] ', send: '\x03' }]);
    expect(run.code, run.screen).toBe(4);
    expect(run.screen).toMatch(/Not rolled back: the staged update blocks it, and you did not agree to discard it/);
    expect(run.screen).not.toMatch(/unexpected failure|Error:|at .*\.ts:\d+/);
    expect(await deployments()).toEqual(before);
  });

  it('Ctrl-D at the question is "no" too, at either question', async () => {
    const before = await deployments();
    const first = await atTerminal(['rollback'], [{ wait: 'Discard it first\\? \\[y/N\\] ', send: '\x04' }]);
    expect(first.code, first.screen).toBe(4);
    const second = await atTerminal(['rollback'], [
      { wait: 'Discard it first\\? \\[y/N\\] ', send: 'y\r' },
      { wait: 'Roll back\\? \\[y/N\\] ', send: '\x04' },
    ]);
    expect(second.code, second.screen).toBe(4);
    expect(second.screen).toMatch(/Not rolled back: you did not confirm/);
    const apply = await atTerminal(['apply'], [{ wait: 'Restart now into .*\\? \\[y/N\\] ', send: '\x03' }]);
    expect(apply.code, apply.screen).toBe(4);
    expect(apply.screen).toMatch(/Not restarted: you did not confirm/);
    expect(await deployments()).toEqual(before);
  });

  it('answers typed ahead answer the questions in order', async () => {
    const bootedId = (await hostOf(world).dump()).bootedId;
    // Both answers typed at once, before the first question is on the screen.
    const run = await atTerminal(['rollback'], [{ send: 'y\ry\r' }]);
    expect(run.code, run.screen).toBe(0);
    expect(run.screen).toMatch(/Discard it first\? \[y\/N\] y\s/);
    expect(run.screen).toMatch(/Roll back\? \[y\/N\] y\s/);
    // What the person typed is echoed as typed, not as escaped control characters.
    expect(run.screen).not.toContain('\\x0D');
    const host = await hostOf(world).dump();
    expect(host.deployments.some((d) => d.staged)).toBe(false);
    // The next boot is the rollback: the booted deployment is no longer first.
    expect(host.deployments[0]?.id).not.toBe(bootedId);
    // apply now restarts into the rollback, not an update: it names it and asks first.
    const apply = await atTerminal(['apply'], [{ wait: '\\? \\[y/N\\] ', send: '\x04' }]);
    expect(apply.code, apply.screen).toBe(4);
    expect(apply.screen).toContain(`Restart now into ${OLD.version} (the next boot rpm-ostree has set, not an update)? [y/N]`);
    expect((await hostOf(world).dump()).reboots).toEqual([]);
  });
});
