// `npm run bench`: runs every test/bench/*.bench.ts in its own process and prints their figures.
// Benchmarks print plain lines "name: value unit (detail)"; this runner adds a header per file.

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n== ${file.replace(/\.bench\.ts$/, '')} ==`);
  const run = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', '--expose-gc', join(dir, file)], {
    stdio: 'inherit',
  });
  if (run.status !== 0) {
    failed += 1;
    console.log(`(${file} failed with status ${run.status ?? run.signal})`);
  }
}
process.exit(failed === 0 ? 0 : 1);
