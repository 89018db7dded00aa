// Whether the desktop shows tray icons: a StatusNotifierItem host (KDE, GNOME with the AppIndicator
// extension) owns org.kde.StatusNotifierWatcher on the session bus. Stock GNOME has none.

import dbus from 'dbus-next';

export async function hasTrayHost(timeoutMs = 2000): Promise<boolean> {
  let bus: dbus.MessageBus | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    bus = dbus.sessionBus();
    const failed = new Promise<null>((resolve) => (bus as dbus.MessageBus).on('error', () => resolve(null)));
    const reply = await Promise.race([
      bus.call(
        new dbus.Message({
          destination: 'org.freedesktop.DBus',
          path: '/org/freedesktop/DBus',
          interface: 'org.freedesktop.DBus',
          member: 'NameHasOwner',
          signature: 's',
          body: ['org.kde.StatusNotifierWatcher'],
        }),
      ),
      failed,
      new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs))),
    ]);
    return reply?.body[0] === true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    bus?.disconnect();
  }
}
