// The layers later parts of the project add to the world, started in this order after the buses,
// the registry, the catalog and the etc root exist. Each registers its own cleanup with onStop.

import { hostPart } from '../sim/host-part.ts';
import type { WorldPart } from './world.ts';

export const WORLD_PARTS: readonly WorldPart[] = [hostPart];
