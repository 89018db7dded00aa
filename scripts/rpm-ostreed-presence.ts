// Whether this machine runs rpm-ostreed: its name is owned or activatable on the system bus.
// Used by `npm start` to say, in one line, when the app has nothing to manage here.

import { askBusDaemon } from '../main/shared/bus-daemon.ts';

export type Presence = { present: true } | { present: false; why: string };

const NAME = 'org.projectatomic.rpmostree1';

export async function rpmOstreedPresence(timeoutMs = 3000): Promise<Presence> {
  try {
    const [[owned], [activatable]] = await Promise.all([
      askBusDaemon('system', 'NameHasOwner', 's', [NAME], timeoutMs),
      askBusDaemon('system', 'ListActivatableNames', '', [], timeoutMs),
    ]);
    return owned === true || (Array.isArray(activatable) && activatable.includes(NAME)) ? { present: true } : { present: false, why: 'rpm-ostreed is not on the system bus' };
  } catch (error) {
    return { present: false, why: `the system bus is not reachable: ${(error as Error).message}` };
  }
}
