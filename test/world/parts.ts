// The layers later parts of the project add to the world, started in this order after the buses,
// the registry, the catalog and the etc root exist. Each registers its own cleanup with onStop.

import { hostPart } from '../sim/host-part.ts';
import { notificationServerPart } from '../sim/notification-server.ts';
import { POLICY_ETC_PART } from './policy-etc.ts';
import { SIGSTORE_PART } from './sigstore/part.ts';
import type { WorldPart } from './world.ts';

// The test Sigstore comes first, so the images are signed before anything reads them; the host
// comes after the /etc files, since the rpm-ostreed stand-in reads policy.json on every pull.
export const WORLD_PARTS: readonly WorldPart[] = [SIGSTORE_PART, POLICY_ETC_PART, notificationServerPart, hostPart];
