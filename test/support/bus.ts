// Raw D-Bus calls for tests that check the wire itself (error names, join, late Start) rather than
// what the host client makes of it.

import dbus from 'dbus-next';

export const RPMOSTREE = 'org.projectatomic.rpmostree1';
export const SYSROOT_PATH = '/org/projectatomic/rpmostree1/Sysroot';
export const OS_PATH = '/org/projectatomic/rpmostree1/fedora';
export const SYSROOT_IFACE = 'org.projectatomic.rpmostree1.Sysroot';
export const OS_IFACE = 'org.projectatomic.rpmostree1.OS';

export interface RawBus {
  readonly bus: dbus.MessageBus;
  call(path: string, iface: string, member: string, signature?: string, body?: unknown[], destination?: string): Promise<unknown[]>;
  property(path: string, iface: string, name: string): Promise<unknown>;
  close(): void;
}

export async function rawBus(address: string): Promise<RawBus> {
  const bus = dbus.sessionBus({ busAddress: address });
  bus.on('error', () => {});
  await new Promise<void>((resolve) => bus.once('connect', () => resolve()));
  const call: RawBus['call'] = async (path, iface, member, signature = '', body = [], destination = RPMOSTREE) => {
    const reply = await bus.call(new dbus.Message({ destination, path, interface: iface, member, signature, body }));
    return (reply?.body ?? []) as unknown[];
  };
  return {
    bus,
    call,
    async property(path, iface, name) {
      const [value] = await call(path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [iface, name]);
      return (value as dbus.Variant).value as unknown;
    },
    close: () => bus.disconnect(),
  };
}

/** The D-Bus error a call fails with, as {type, text}; fails the test when the call succeeds. */
export async function dbusError(promise: Promise<unknown>): Promise<{ type: string; text: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { type?: string; text?: string };
    return { type: e.type ?? '', text: e.text ?? String(error) };
  }
  throw new Error('expected the call to fail');
}
