// `npm run demo`: the whole app on the test world (stand-in rpm-ostreed, registry, signed images).
//   --web             serve it to a browser instead of Electron (for machines without Electron)
//   --scenario NAME   the world's starting state (default unverified-nvidia; see npm run world -- scenarios)

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startWorld } from '../test/world/world.ts';
import { RENDERER_ROOT, startWorldApp } from '../test/world/app.ts';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { web: { type: 'boolean' }, scenario: { type: 'string' }, verbose: { type: 'boolean' } },
  strict: true,
});
const scenario = values.scenario ?? 'unverified-nvidia';
const log = values.verbose ? (line: string) => console.error(line) : undefined;

if (!existsSync(join(RENDERER_ROOT, 'index.html'))) {
  console.error('vespera-updates demo: the app is not built; run npm run build first (./run start does both).');
  process.exit(1);
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => resolve());
  });
}

async function webDemo(): Promise<void> {
  console.error(`vespera-updates demo: bringing up the test world (scenario ${scenario})…`);
  const app = await startWorldApp({ scenario, ...(log ? { log } : {}) });
  console.log(`Open ${app.bridge.url} in a browser (this address works only on this computer).`);
  console.error('vespera-updates demo: running; Ctrl-C stops it and removes the test world.');
  await waitForSignal();
  await app.stop();
}

async function electronDemo(): Promise<boolean> {
  const { electronBinary } = await import('./electron-binary.ts');
  let binary: string;
  try {
    binary = await electronBinary({ exitOnFailure: false });
  } catch {
    return false;
  }
  const world = await startWorld({ scenario });
  const child = spawn(binary, [join(ROOT, 'dist/main/app/index.js')], { stdio: 'inherit', env: world.processEnv() });
  const stop = (): void => {
    child.kill('SIGTERM');
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
  await new Promise((resolve) => child.once('exit', resolve));
  await world.stop();
  return true;
}

if (values.web || !(await electronDemo())) {
  if (!values.web) console.error('vespera-updates demo: Electron cannot run here; serving the same app to a browser instead.');
  await webDemo();
}
