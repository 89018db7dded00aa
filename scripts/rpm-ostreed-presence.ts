// Whether this machine runs rpm-ostreed: its name is owned or activatable on the system bus.
// Used by `npm start` to say, in one line, when the app has nothing to manage here.

import dbus from 'dbus-next';

export type Presence = { present: true } | { present: false; why: string };

export async function rpmOstreedPresence(timeoutMs = 3000): Promise<Presence> {
  let bus: dbus.MessageBus | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    bus = dbus.systemBus();
    // A socket that cannot be opened surfaces only as an 'error' event, never as a rejected call.
    const failed = new Promise<never>((_, reject) => (bus as dbus.MessageBus).on('error', (error: Error) => reject(error)));
    const call = (member: string, signature = '', body: unknown[] = []): Promise<dbus.Message | null> =>
      (bus as dbus.MessageBus).call(
        new dbus.Message({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member, signature, body }),
      );
    const answer = await Promise.race([
      Promise.all([call('NameHasOwner', 's', ['org.projectatomic.rpmostree1']), call('ListActivatableNames')]),
      failed,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the system bus did not answer')), timeoutMs))),
    ]);
    const owned = answer[0]?.body[0] === true;
    const activatable = (answer[1]?.body[0] as string[] | undefined)?.includes('org.projectatomic.rpmostree1') ?? false;
    return owned || activatable ? { present: true } : { present: false, why: 'rpm-ostreed is not on the system bus' };
  } catch (error) {
    return { present: false, why: `the system bus is not reachable: ${(error as Error).message}` };
  } finally {
    clearTimeout(timer);
    bus?.disconnect();
  }
}
