// `npm run demo`: the whole app on the test world (stand-in rpm-ostreed, registry, signed images), on a
// machine that restarts when the app asks it to, so Restart now shows the host as it boots next.
//   --web             serve it to a browser instead of Electron (for machines without Electron)
//   --scenario NAME   the world's starting state (default unverified-nvidia)
//   --scenarios       list the scenarios the demo can start from (those with a host)
// SIGINT, SIGTERM or SIGHUP, at any moment and however often, stops it and removes the test world.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findElectron } from './electron-binary.ts';
import { followRebootRequests, RENDERER_ROOT, startWorldApp } from '../test/world/app.ts';
import { demoScenarios, SCENARIOS } from '../test/world/scenarios.ts';
import { startWorld } from '../test/world/world.ts';

const ROOT = join(import.meta.dirname, '..');
const say = (line: string): void => console.error(`vespera-updates demo: ${line}`);

function usage(problem: string): never {
  say(`${problem}; usage: npm run demo -- [--web] [--scenario NAME] [--scenarios] [--verbose]`);
  process.exit(2);
}

let values: { web?: boolean; scenario?: string; scenarios?: boolean; verbose?: boolean };
try {
  ({ values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: { web: { type: 'boolean' }, scenario: { type: 'string' }, scenarios: { type: 'boolean' }, verbose: { type: 'boolean' } },
    strict: true,
  }));
} catch (error) {
  usage((error as Error).message);
}

const offered = demoScenarios();
if (values.scenarios) {
  for (const s of offered) console.log(`${s.name}\t${s.description}`);
  process.exit(0);
}
const scenario = values.scenario ?? 'unverified-nvidia';
const names = offered.map((s) => s.name).join(', ');
if (!offered.some((s) => s.name === scenario)) {
  const known = SCENARIOS.some((s) => s.name === scenario);
  say(
    known
      ? `the scenario "${scenario}" has no host (it is a registry alone, for tests), so there is no app to show; start from one with a host: ${names}`
      : `there is no scenario "${scenario}"; start from one of: ${names}`,
  );
  process.exit(2);
}
const log = values.verbose ? say : undefined;

if (!existsSync(join(RENDERER_ROOT, 'index.html'))) {
  say('the app is not built; run npm run build first (./run start does both).');
  process.exit(1);
}

// Signals are taken from the start, so one that comes while the world is still coming up still
// removes it; later ones (Ctrl-C pressed twice, a parent passing its own on) change nothing.
let stopRequested = false;
const stopSignal = new Promise<void>((resolve) => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      stopRequested = true;
      resolve();
    });
  }
});

async function webDemo(): Promise<void> {
  say(`bringing up the test world (scenario ${scenario})…`);
  const app = await startWorldApp({ scenario, followReboots: { say }, ...(log ? { log } : {}) });
  if (!stopRequested) {
    console.log(`Open ${app.bridge.url} in a browser (this address works only on this computer).`);
    say('running; Ctrl-C stops it and removes the test world.');
    await stopSignal;
  }
  await app.stop();
}

/** Electron on the world; when the machine restarts, the app is closed and opened again on the new boot. */
async function electronDemo(binary: string): Promise<void> {
  const world = await startWorld({ scenario, ...(log ? { log } : {}) });
  let app: ChildProcess | undefined;
  let quit: () => void = () => undefined;
  const quitByUser = new Promise<void>((resolve) => (quit = resolve));
  const open = (): void => {
    const child = spawn(binary, [join(ROOT, 'dist/main/app/index.js')], { stdio: 'inherit', env: world.processEnv() });
    app = child;
    child.once('exit', () => {
      if (app === child) quit();
    });
  };
  const close = async (): Promise<void> => {
    const child = app;
    app = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  const machine = followRebootRequests(
    world,
    async () => {
      await close();
      await world.host?.reboot({ finalize: true });
      if (!stopRequested) open();
    },
    () => stopRequested,
    say,
  );
  if (!stopRequested) open();
  await Promise.race([stopSignal, quitByUser]);
  stopRequested = true;
  await machine;
  await close();
  await world.stop();
}

try {
  if (values.web) {
    await webDemo();
  } else {
    const electron = await findElectron({ remember: true });
    if (electron.found) {
      await electronDemo(electron.path);
    } else {
      say(`${electron.why}; serving the app to a browser instead.`);
      await webDemo();
    }
  }
} catch (error) {
  say(`could not run: ${(error as Error).message}`);
  process.exitCode = 1;
}
