// Whether the desktop shows tray icons: a StatusNotifierItem host (KDE, GNOME with the AppIndicator
// extension) owns org.kde.StatusNotifierWatcher on the session bus. Stock GNOME has none.

import dbus from 'dbus-next';

export async function hasTrayHost(timeoutMs = 2000): Promise<boolean> {
  let bus: dbus.MessageBus | undefined;
  try {
    bus = dbus.sessionBus();
    bus.on('error', () => {});
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
      new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs).unref()),
    ]);
    return reply?.body[0] === true;
  } catch {
    return false;
  } finally {
    bus?.disconnect();
  }
}
