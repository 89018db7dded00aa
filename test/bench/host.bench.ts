// What the host client costs: reading the whole host state from a cold start (time and D-Bus
// messages), and how fast a property change in rpm-ostreed reaches the client's HostState.

import { setTimeout as sleep } from 'node:timers/promises';
import { connectHost } from '../../main/host/index.ts';
import { hostOf } from '../support/host.ts';
import { startWorld } from '../world/world.ts';
import { median, percentile, report } from './stats.ts';

const COLD_RUNS = 30;
const CHANGE_RUNS = 60;
const wallMs = (): number => performance.timeOrigin + performance.now();

const world = await startWorld({ scenario: 'staged-update' });
try {
  const host = hostOf(world);
  const times: number[] = [];
  const messages: number[] = [];
  const sent: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const t0 = performance.now();
    const client = await connectHost({ busAddress: world.systemBus.address });
    times.push(performance.now() - t0);
    if (client.state.deployments.length !== 3) throw new Error('the client did not read the whole state');
    messages.push(client.stats.sent + client.stats.received);
    sent.push(client.stats.sent);
    await client.close();
  }
  report('host state from a cold start', median(times), 'ms', `median of ${COLD_RUNS}, p90 ${percentile(times, 90).toFixed(1)} ms; new bus connection to full HostState, 3 deployments`);
  report(
    'host state from a cold start, D-Bus messages',
    median(messages),
    'messages',
    `median of ${COLD_RUNS}; ${median(sent)} sent (Hello, 2 AddMatch, RegisterClient, GetManagedObjects), ${median(messages) - median(sent)} received (replies, NameAcquired)`,
  );

  const client = await connectHost({ busAddress: world.systemBus.address });
  const latencies: number[] = [];
  for (let i = 0; i < CHANGE_RUNS; i++) {
    const policy = i % 2 === 0 ? 'check' : 'stage';
    const seen = new Promise<number>((resolve) => {
      const stop = client.onChange((state) => {
        if (state.automaticUpdatePolicy !== policy) return;
        stop();
        resolve(wallMs());
      });
    });
    await host.setAutomaticUpdatePolicy(policy);
    const seenAt = await seen;
    const emittedAt = (await host.dump()).lastPropertiesChangedAt;
    if (emittedAt === null) throw new Error('the stand-in did not record its PropertiesChanged');
    latencies.push(seenAt - emittedAt * 1000);
    await sleep(5);
  }
  await client.close();
  report(
    'property change to client state',
    median(latencies),
    'ms',
    `median of ${CHANGE_RUNS}, p90 ${percentile(latencies, 90).toFixed(2)} ms; daemon emits PropertiesChanged → HostClient.onChange`,
  );
} finally {
  await world.stop();
}
