// How long a test world takes to come up and go away: every integration test and the demo pay it.

import { startWorld } from '../world/world.ts';
import { median, percentile, report } from './stats.ts';

const RUNS = 5;
const up: number[] = [];
const down: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  const world = await startWorld();
  const t1 = performance.now();
  await world.stop();
  up.push(t1 - t0);
  down.push(performance.now() - t1);
}
report('world start (buses, registry, catalog pushed)', median(up), 'ms', `median of ${RUNS}, p90 ${percentile(up, 90).toFixed(0)} ms`);
report('world stop', median(down), 'ms', `median of ${RUNS}`);
