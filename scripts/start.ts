// `npm start`: starts the tray app on a Fedora Atomic host. Where rpm-ostreed does not exist it says
// so in one line and points at the demo (with --or-demo, as `./run start` passes, it runs the demo).
// `./run start` execs this, so its process id is this one: SIGINT, SIGTERM and SIGHUP sent to it are
// passed on to the app or demo it runs, which then stops (the demo removing its world) before this exits.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { rpmOstreedPresence } from './rpm-ostreed-presence.ts';

const ROOT = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const orDemo = args.includes('--or-demo');
const passOn = args.filter((a) => a !== '--or-demo');

/** Runs `child` to its end, passing on the signals this process gets, and exits as it did. */
function runToEnd(child: ChildProcess): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  }
  child.once('error', (error) => {
    console.error(`vespera-updates: could not start ${child.spawnfile}: ${error.message}`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 128 + constants.signals[signal] : 1)));
}

const presence = await rpmOstreedPresence();
if (!presence.present) {
  console.error(`vespera-updates: this machine has no rpm-ostreed (${presence.why}), so there is no host to manage; ${orDemo ? 'starting the demo instead' : 'try the demo: npm run demo'}.`);
  if (!orDemo) process.exit(1);
  runToEnd(spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'scripts/demo.ts'), ...passOn], { stdio: 'inherit' }));
} else {
  const entry = join(ROOT, 'dist/main/app/index.js');
  if (!existsSync(entry)) {
    console.error('vespera-updates: the tray app is not built; run ./run start (it builds first).');
    process.exit(1);
  }
  const { electronBinary } = await import('./electron-binary.ts');
  runToEnd(spawn(await electronBinary(), [entry, ...passOn], { stdio: 'inherit' }));
}
