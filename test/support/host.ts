// Small helpers for tests that drive the host client against the world's rpm-ostreed stand-in.

import { afterEach } from 'vitest';
import { connectHost, type HostClient, type HostState } from '../../main/host/index.ts';
import { runPolicyHelper } from '../../main/policy/helper-client.ts';
import type { SimulatedHost } from '../sim/simulated-host.ts';
import { startWorld, type World } from '../world/world.ts';

export function hostOf(world: World): SimulatedHost {
  if (!world.host) throw new Error(`scenario ${world.scenario.name} has no rpm-ostreed stand-in`);
  return world.host;
}

/** Records, through the privileged helper as a migration does, that the app enforces `repository` on the world's host. */
export async function recordAppEnforced(world: World, repository: string): Promise<void> {
  await runPolicyHelper({ world: { root: world.root, etcRoot: world.etcRoot } }, 'enforce', { enforce: { repository: `${world.registry.host}/${repository}`, mode: 'app' } });
}

/** Resolves with the client's state once `predicate` holds (checked now and on every change). */
export async function stateWhere(client: HostClient, predicate: (state: HostState) => boolean, timeoutMs = 10_000): Promise<HostState> {
  if (predicate(client.state)) return client.state;
  return await new Promise<HostState>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`the host state did not change as expected within ${timeoutMs} ms: ${JSON.stringify(client.state, null, 1)}`));
    }, timeoutMs);
    const stop = client.onChange((state) => {
      if (!predicate(state)) return;
      clearTimeout(timer);
      stop();
      resolve(state);
    });
  });
}

/**
 * For the tests of one describe block: `open(scenario)` starts a world and connects a host client to
 * its rpm-ostreed stand-in; both are closed after each test.
 */
export function hostPerTest(): (scenario: string) => Promise<{ world: World; client: HostClient }> {
  let world: World | undefined;
  let client: HostClient | undefined;
  afterEach(async () => {
    await client?.close();
    await world?.stop();
    client = undefined;
    world = undefined;
  });
  return async (scenario) => {
    world = await startWorld({ scenario });
    client = await connectHost({ busAddress: world.systemBus.address });
    return { world, client };
  };
}
