// Questions to the message bus daemon itself (org.freedesktop.DBus): who owns a name, which names it
// can start. One short-lived connection per question, with a deadline, never an unhandled error.

import dbus from 'dbus-next';

/** `system` or `session` (honouring DBUS_*_BUS_ADDRESS), or an explicit address. */
export type BusChoice = 'system' | 'session' | { readonly address: string };

/** Calls `member` on the bus daemon and returns the reply's body; rejects on error or after `timeoutMs`. */
export async function askBusDaemon(bus: BusChoice, member: string, signature = '', body: unknown[] = [], timeoutMs = 3000): Promise<unknown[]> {
  let connection: dbus.MessageBus | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    connection = bus === 'system' ? dbus.systemBus() : bus === 'session' ? dbus.sessionBus() : dbus.sessionBus({ busAddress: bus.address });
    // A socket that cannot be opened surfaces only as an 'error' event, never as a rejected call.
    const failed = new Promise<never>((_, reject) => (connection as dbus.MessageBus).on('error', (error: Error) => reject(error)));
    const reply = await Promise.race([
      connection.call(new dbus.Message({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member, signature, body })),
      failed,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the bus did not answer')), timeoutMs))),
    ]);
    return (reply?.body ?? []) as unknown[];
  } finally {
    clearTimeout(timer);
    connection?.disconnect();
  }
}

/** Whether `name` is owned now; false when the bus cannot be asked. */
export async function nameHasOwner(bus: BusChoice, name: string, timeoutMs?: number): Promise<boolean> {
  try {
    return (await askBusDaemon(bus, 'NameHasOwner', 's', [name], timeoutMs))[0] === true;
  } catch {
    return false;
  }
}
