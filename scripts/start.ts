// `npm start`: starts the tray app on a Fedora Atomic host. Where rpm-ostreed does not exist it says
// so in one line and points at the demo (with --or-demo, as `./run start` passes, it runs the demo).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { rpmOstreedPresence } from './rpm-ostreed-presence.ts';

const ROOT = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const orDemo = args.includes('--or-demo');

const presence = await rpmOstreedPresence();
if (!presence.present) {
  console.error(`vespera-updates: this machine has no rpm-ostreed (${presence.why}), so there is no host to manage; ${orDemo ? 'starting the demo instead' : 'try the demo: npm run demo'}.`);
  if (!orDemo) process.exit(1);
  const demo = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'scripts/demo.ts'), ...args.filter((a) => a !== '--or-demo')], {
    stdio: 'inherit',
  });
  demo.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  const entry = join(ROOT, 'dist/main/app/index.js');
  if (!existsSync(entry)) {
    console.error('vespera-updates: the tray app is not built; run ./run start (it builds first).');
    process.exit(1);
  }
  const { electronBinary } = await import('./electron-binary.ts');
  const binary = await electronBinary();
  const app = spawn(binary, [entry, ...args], { stdio: 'inherit' });
  app.on('exit', (code) => process.exit(code ?? 1));
}
