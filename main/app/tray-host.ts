// Whether the desktop shows tray icons: a StatusNotifierItem host (KDE, GNOME with the AppIndicator
// extension) owns org.kde.StatusNotifierWatcher on the session bus. Stock GNOME has none.

import { nameHasOwner } from '../shared/bus-daemon.ts';

export async function hasTrayHost(timeoutMs = 2000): Promise<boolean> {
  return await nameHasOwner('session', 'org.kde.StatusNotifierWatcher', timeoutMs);
}
