// The layers later parts of the project add to the world, started in this order after the buses,
// the registry, the catalog and the etc root exist. Each registers its own cleanup with onStop.

import { SIGSTORE_PART } from './sigstore/part.ts';
import type { WorldPart } from './world.ts';

// The test Sigstore comes first: parts after it (the rpm-ostreed stand-in) see signed images.
export const WORLD_PARTS: readonly WorldPart[] = [SIGSTORE_PART];
