// The whole app on a test world, as `npm run demo -- --web` and the end-to-end tests run it: the real
// UiBackend (flows, host client, trust, policy helper, notifications) behind the real web bridge.

import { join } from 'node:path';
import { startWebBridge, type WebBridge } from '../../main/web/bridge-server.ts';
import { UiBackend } from '../../main/flows/ui-backend.ts';
import { startWorld, type World, type WorldOptions } from './world.ts';

export const RENDERER_ROOT = join(import.meta.dirname, '..', '..', 'dist', 'renderer');

export interface WorldApp {
  readonly world: World;
  readonly backend: UiBackend;
  readonly bridge: WebBridge;
  stop(): Promise<void>;
}

export async function startWorldApp(options: WorldOptions & { firstCheckAfterMs?: number; log?: (line: string) => void } = {}): Promise<WorldApp> {
  const world = await startWorld(options);
  try {
    const backend = await UiBackend.start({
      env: world.processEnv(),
      firstCheckAfterMs: options.firstCheckAfterMs ?? 1000,
      ...(options.log ? { log: options.log } : {}),
    });
    try {
      const bridge = await startWebBridge({ backend, rendererRoot: RENDERER_ROOT, ...(options.log ? { log: options.log } : {}) });
      return {
        world,
        backend,
        bridge,
        stop: async () => {
          await bridge.close();
          await backend.close();
          await world.stop();
        },
      };
    } catch (error) {
      await backend.close();
      throw error;
    }
  } catch (error) {
    await world.stop();
    throw error;
  }
}
