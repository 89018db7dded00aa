// The stand-in's wire behaviour, checked without the host client in between: GDBus error names and
// texts, join and busy, nothing before Start, cancel when the caller leaves, Finished for late
// starters, ActiveTransaction's lifetime, output-to-self, and rpm-ostree's refusal to roll back.

import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeerConnection, type PeerSignal } from '../../../main/host/peer.ts';
import { dbusError, OS_IFACE, OS_PATH, rawBus, SYSROOT_IFACE, SYSROOT_PATH, type RawBus } from '../../support/bus.ts';
import { hostOf } from '../../support/host.ts';
import { startWorld, type World } from '../../world/world.ts';
import dbus from 'dbus-next';

const CODE = 'org.gtk.GDBus.UnmappedGError.Quark._g_2dio_2derror_2dquark.Code';
const TX = 'org.projectatomic.rpmostree1.Transaction';

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** Starts the transaction at `address` and collects its signals until Finished. */
async function runToEnd(address: string): Promise<{ started: boolean; signals: PeerSignal[]; peer: PeerConnection }> {
  const peer = await PeerConnection.open(address);
  const signals: PeerSignal[] = [];
  const finished = new Promise<void>((resolve) =>
    peer.onSignal((s) => {
      // The Title property's PropertiesChanged also comes this way; only the Transaction signals count.
      if (s.iface !== TX) return;
      signals.push(s);
      if (s.member === 'Finished') resolve();
    }),
  );
  const [started] = await peer.call('/', TX, 'Start');
  await finished;
  return { started: started === true, signals, peer };
}

describe('the stand-in on the wire', () => {
  let world: World;
  let raw: RawBus;
  beforeAll(async () => {
    world = await startWorld({ scenario: 'staged-update' });
    raw = await rawBus(world.systemBus.address);
  });
  afterAll(async () => {
    raw.close();
    await world.stop();
  });

  const idle = async (): Promise<boolean> => JSON.stringify(await raw.property(SYSROOT_PATH, SYSROOT_IFACE, 'ActiveTransaction')) === '["","",""]';

  it('encodes errors the GDBus way with rpm-ostreed texts', async () => {
    expect(await dbusError(raw.call(SYSROOT_PATH, SYSROOT_IFACE, 'GetOS', 's', ['nope']))).toEqual({ type: `${CODE}1`, text: 'OS name "nope" not found' });
    expect(await raw.call(SYSROOT_PATH, SYSROOT_IFACE, 'GetOS', 's', [''])).toEqual([OS_PATH]);
    expect(await dbusError(raw.call(OS_PATH, OS_IFACE, 'Cleanup', 'as', [['everything']]))).toEqual({
      type: `${CODE}0`,
      text: 'Invalid cleanup type: everything',
    });
    await hostOf(world).setFaults({ deny: ['Rollback', 'RegisterClient'] });
    try {
      expect(await dbusError(raw.call(OS_PATH, OS_IFACE, 'Rollback', 'a{sv}', [{}]))).toEqual({
        type: 'org.freedesktop.DBus.Error.AccessDenied',
        text: 'rpmostreed OS operation Rollback not allowed for user',
      });
      expect(await dbusError(raw.call(SYSROOT_PATH, SYSROOT_IFACE, 'RegisterClient', 'a{sv}', [{}]))).toEqual({
        type: 'org.freedesktop.DBus.Error.AccessDenied',
        text: 'rpmostreed Sysroot operation RegisterClient not allowed for user',
      });
    } finally {
      await hostOf(world).clearFaults();
    }
  });

  it('does nothing before Start and cancels when the caller leaves without starting', async () => {
    const caller = await rawBus(world.systemBus.address);
    const [address] = await caller.call(OS_PATH, OS_IFACE, 'Cleanup', 'as', [['pending-deploy']]);
    expect(String(address)).toMatch(/^unix:path=.*rpm-ostree-transaction\.sock/);
    expect(await raw.property(SYSROOT_PATH, SYSROOT_IFACE, 'ActiveTransaction')).toEqual(['Cleanup', (caller.bus as unknown as { name: string }).name, OS_PATH]);
    expect(await raw.property(SYSROOT_PATH, SYSROOT_IFACE, 'ActiveTransactionPath')).toBe(address);
    await sleep(300);
    const before = await hostOf(world).dump();
    expect(before.transaction).toMatchObject({ started: false, finished: false });
    expect(before.deployments.some((d) => d.staged)).toBe(true);

    caller.close();
    await until(idle, 'the abandoned transaction is dropped');
    expect((await hostOf(world).dump()).deployments.some((d) => d.staged)).toBe(true);
  });

  it('joins identical calls, refuses others as busy, and re-sends Finished to a late starter', async () => {
    await hostOf(world).setFaults({ holdTransactions: true });
    const [address] = await raw.call(OS_PATH, OS_IFACE, 'Cleanup', 'as', [['repomd']]);
    expect(await raw.call(OS_PATH, OS_IFACE, 'Cleanup', 'as', [['repomd']])).toEqual([address]);
    expect(await dbusError(raw.call(OS_PATH, OS_IFACE, 'Upgrade', 'a{sv}', [{}]))).toEqual({
      type: `${CODE}26`,
      text: 'Transaction in progress: cleanup\n You can cancel the current transaction with `rpm-ostree cancel`',
    });
    await hostOf(world).clearFaults();
    await hostOf(world).release();
    const first = await runToEnd(String(address));
    expect(first.started).toBe(true);
    expect(first.signals.at(-1)?.body).toEqual([true, '']);

    // Finished already went out; a peer that starts now gets it again, on its own connection only.
    const late = await runToEnd(String(address));
    expect(late.started).toBe(false);
    expect(late.signals.map((s) => s.member)).toEqual(['Finished']);
    // The transaction stays active until its last peer has gone.
    expect(await idle()).toBe(false);
    first.peer.close();
    late.peer.close();
    await until(idle, 'the finished transaction closes');
  });

  it('keeps AutomaticUpdateTrigger output in the journal unless output-to-self is off', async () => {
    const quiet = await raw.call(OS_PATH, OS_IFACE, 'AutomaticUpdateTrigger', 'a{sv}', [{ mode: new dbus.Variant('s', 'check') }]);
    expect(quiet[0]).toBe(true);
    const a = await runToEnd(String(quiet[1]));
    a.peer.close();
    expect(a.signals.map((s) => s.member)).toEqual(['Finished']);
    await until(idle, 'the check closes');

    const loud = await raw.call(OS_PATH, OS_IFACE, 'AutomaticUpdateTrigger', 'a{sv}', [
      { mode: new dbus.Variant('s', 'check'), 'output-to-self': new dbus.Variant('b', false) },
    ]);
    const b = await runToEnd(String(loud[1]));
    b.peer.close();
    expect(b.signals[0]?.member).toBe('Message');
    await until(idle, 'the second check closes');

    // With the policy at "none", "auto" does nothing at all.
    await hostOf(world).setAutomaticUpdatePolicy('none');
    expect(await raw.call(OS_PATH, OS_IFACE, 'AutomaticUpdateTrigger', 'a{sv}', [{}])).toEqual([false, '']);
  });

  it('fails a rollback inside the transaction while an update is staged', async () => {
    const [address] = await raw.call(OS_PATH, OS_IFACE, 'Rollback', 'a{sv}', [{}]);
    const run = await runToEnd(String(address));
    run.peer.close();
    expect(run.signals.at(-1)?.body).toEqual([false, 'Staged deployment (remove with cleanup -p)']);
  });

  it('sends only the properties that changed, with their new values', async () => {
    await until(idle, 'the last transaction has closed');
    const changes: Array<{ path: string; iface: unknown; names: string[] }> = [];
    raw.bus.on('message', (msg: dbus.Message) => {
      if (msg.member === 'PropertiesChanged') changes.push({ path: msg.path, iface: msg.body[0], names: Object.keys(msg.body[1] as object) });
    });
    await raw.call('/org/freedesktop/DBus', 'org.freedesktop.DBus', 'AddMatch', 's', [`type='signal',sender='org.projectatomic.rpmostree1'`], 'org.freedesktop.DBus');
    await hostOf(world).setAutomaticUpdatePolicy('check');
    await until(() => Promise.resolve(changes.length > 0), 'PropertiesChanged arrives');
    expect(changes).toEqual([{ path: SYSROOT_PATH, iface: SYSROOT_IFACE, names: ['AutomaticUpdatePolicy'] }]);
  });
});
