// How long the package changes of an update take to fetch for a diff of about 2,000 packages: cold
// (rpm-ostreed reads both rpm databases and compares them, the app parses and orders the answer) and
// cached (the same deployment pair again, answered by the app's per-pair cache).

import { PackageDiffs } from '../../main/flows/changes.ts';
import { listedPackages } from '../../main/flows/package-changes.ts';
import { connectHost, type Deployment } from '../../main/host/index.ts';
import { DEFAULT_HEADLINE } from '../../main/shared/config.ts';
import { largePackageList } from '../world/packages.ts';
import { startWorld } from '../world/world.ts';
import { median, percentile, report } from './stats.ts';

const COLD_RUNS = 20;
const CACHED_RUNS = 200;
const PACKAGES = 2000;

const world = await startWorld({ scenario: 'unverified-nvidia' });
try {
  // A rebase-sized build: ~2,000 packages against the booted image's ~250, every shared one rebuilt,
  // so about 2,000 packages change (added, upgraded, removed).
  await world.images.pushRelease(
    'acme/vespera-nvidia',
    { version: '42.20261201.0', created: '2026-12-01T04:00:00Z', tags: ['latest'], signatures: [] },
    largePackageList(PACKAGES, '2.fc42'),
  );
  const client = await connectHost({ busAddress: world.systemBus.address });
  const staged = await (await client.stageUpdate()).done;
  if (!staged.ok || !client.state.staged || !client.state.booted) throw new Error(`staging the large build failed: ${JSON.stringify(staged)}`);
  const booted: Deployment = client.state.booted;
  const next: Deployment = client.state.staged;

  const cold: number[] = [];
  let entries = 0;
  for (let i = 0; i < COLD_RUNS; i++) {
    const diffs = new PackageDiffs();
    const t0 = performance.now();
    const view = listedPackages(await diffs.get(client, booted, next), DEFAULT_HEADLINE);
    cold.push(performance.now() - t0);
    entries = view.changes.length;
  }
  report(
    'package diff, cold',
    median(cold),
    'ms',
    `median of ${COLD_RUNS}, p90 ${percentile(cold, 90).toFixed(1)} ms; ${entries} changed packages; GetDeploymentsRpmDiff over the system bus (the stand-in reads both rpm databases), parsed, headline-ordered`,
  );

  const diffs = new PackageDiffs();
  await diffs.get(client, booted, next);
  const cached: number[] = [];
  const views: number[] = [];
  for (let i = 0; i < CACHED_RUNS; i++) {
    const t0 = performance.now();
    const answer = await diffs.get(client, booted, next);
    const t1 = performance.now();
    listedPackages(answer, DEFAULT_HEADLINE);
    cached.push(t1 - t0);
    views.push(performance.now() - t1);
  }
  if (diffs.asked !== 1) throw new Error(`the cache asked rpm-ostreed ${diffs.asked} times`);
  report('package diff, cached', median(cached) * 1000, 'µs', `median of ${CACHED_RUNS}, p90 ${(percentile(cached, 90) * 1000).toFixed(1)} µs; the same deployment pair again, rpm-ostreed asked once in all`);
  report('package diff view', median(views), 'ms', `median of ${CACHED_RUNS}, p90 ${percentile(views, 90).toFixed(2)} ms; ${entries} changes headline-ordered and summed up (the watch keeps the view per pair)`);
  const bytes = Buffer.byteLength(JSON.stringify(listedPackages(await diffs.get(client, booted, next), DEFAULT_HEADLINE)));
  report('package diff view size', Math.round(bytes / 1024), 'KiB', `${entries} changes as the contract's JSON (what a status snapshot carries)`);
  await client.close();
} finally {
  await world.stop();
}
