// The layers later parts of the project add to the world, started in this order after the buses,
// the registry, the catalog and the etc root exist. Each registers its own cleanup with onStop.

import { hostPart } from '../sim/host-part.ts';
import { notificationServerPart } from '../sim/notification-server.ts';
import { POLICY_ETC_PART } from './policy-etc.ts';
import type { WorldPart } from './world.ts';

// The host comes after the /etc files: the stand-in reads policy.json on every pull.
export const WORLD_PARTS: readonly WorldPart[] = [POLICY_ETC_PART, notificationServerPart, hostPart];
