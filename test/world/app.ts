// The whole app on a test world, as `npm run demo -- --web` and the end-to-end tests run it: the real
// UiBackend (flows, host client, trust, policy helper, notifications) behind the real web bridge, and,
// when asked, a machine that really restarts when the app (or anyone) asks it to.

import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startWebBridge, type WebBridge } from '../../main/web/bridge-server.ts';
import { UiBackend } from '../../main/flows/ui-backend.ts';
import type { RebootRecord } from '../sim/simulated-host.ts';
import { startWorld, type World, type WorldOptions } from './world.ts';

export const RENDERER_ROOT = join(import.meta.dirname, '..', '..', 'dist', 'renderer');

/** How often the machine looks for a restart request; a person pressing Restart now waits at most this. */
const REBOOT_POLL_MS = 250;

export interface WorldAppOptions extends WorldOptions {
  readonly firstCheckAfterMs?: number;
  /**
   * Play the machine: when a restart is asked for (logind's Reboot, rpm-ostreed's FinalizeDeployment),
   * the host reboots and the app starts again on the new boot; `say` hears one line for each.
   */
  readonly followReboots?: { readonly say?: (line: string) => void };
}

export interface WorldApp {
  readonly world: World;
  /** The app now running (a new one after each restart of the machine). */
  readonly backend: UiBackend;
  readonly bridge: WebBridge;
  /** The machine restarts now: the app stops, the host reboots (finalizing what is staged and not held), the app starts again. */
  reboot(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWorldApp(options: WorldAppOptions = {}): Promise<WorldApp> {
  const world = await startWorld(options);
  const startBackend = (): Promise<UiBackend> =>
    UiBackend.start({
      env: world.processEnv(),
      firstCheckAfterMs: options.firstCheckAfterMs ?? 1000,
      ...(options.log ? { log: options.log } : {}),
    });
  try {
    let backend = await startBackend();
    let running: UiBackend | undefined = backend;
    try {
      const bridge = await startWebBridge({ backend, rendererRoot: RENDERER_ROOT, ...(options.log ? { log: options.log } : {}) });
      let stopping = false;
      let restarting: Promise<void> | undefined;
      const reboot = (): Promise<void> =>
        (restarting ??= (async () => {
          // As on a real machine: the app goes down with the session, the host boots, the app starts again.
          await running?.close();
          running = undefined;
          await world.host?.reboot({ finalize: true });
          if (stopping) return;
          backend = running = await startBackend();
          bridge.serve(backend);
        })().finally(() => (restarting = undefined)));
      const machine = options.followReboots && world.host ? followRebootRequests(world, reboot, () => stopping, options.followReboots.say) : undefined;
      return {
        world,
        get backend() {
          return backend;
        },
        bridge,
        reboot,
        stop: async () => {
          stopping = true;
          await machine;
          await restarting?.catch(() => undefined);
          await bridge.close();
          await running?.close();
          running = undefined;
          await world.stop();
        },
      };
    } catch (error) {
      await running?.close();
      throw error;
    }
  } catch (error) {
    await world.stop();
    throw error;
  }
}

/** Until `stopped()`: each new restart request (logind, rpm-ostreed) runs `reboot` once; `say` hears why. */
export async function followRebootRequests(world: World, reboot: () => Promise<void>, stopped: () => boolean, say?: (line: string) => void): Promise<void> {
  const host = world.host;
  if (!host) return;
  let seen = (await host.rebootRequests()).length;
  while (!stopped()) {
    await sleep(REBOOT_POLL_MS);
    const requests = await host.rebootRequests();
    if (requests.length <= seen || stopped()) continue;
    say?.(`the computer restarts (${askedBy(requests.at(-1))}); the app comes back on the new boot`);
    try {
      await reboot();
    } catch (error) {
      say?.(`the simulated restart failed: ${(error as Error).message}`);
    }
    // What was asked while the machine restarted is answered by that restart.
    seen = (await host.rebootRequests()).length;
  }
}

function askedBy(request: RebootRecord | undefined): string {
  if (request?.source === 'logind') return 'asked of logind';
  return request?.reason ? `rpm-ostreed, after ${request.reason}` : 'asked of rpm-ostreed';
}
