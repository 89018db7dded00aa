import dbus from 'dbus-next';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DesktopNotifications, type ActionEvent, type NotificationContent } from '../../../main/notify/desktop-notifications.ts';
import { notificationsIn, type NotificationServer } from '../../sim/notification-server.ts';
import { startWorld, type World } from '../../world/world.ts';
import { nextEvent, pause } from '../../support/events.ts';

const CONTENT: NotificationContent = {
  summary: 'Signed update ready',
  body: 'Version 42 is ready.',
  buttons: [{ key: 'default', label: 'Details' }, { key: 'restart', label: 'Restart now' }, { key: 'details', label: 'Details' }],
  urgency: 'normal',
  category: 'x-vespera.update.ready',
};

describe('the desktop notification client, on the world session bus', () => {
  let world: World;
  let server: NotificationServer;
  let client: DesktopNotifications;
  beforeAll(async () => {
    world = await startWorld();
    server = notificationsIn(world);
    client = await DesktopNotifications.connect({ env: world.env });
  });
  afterAll(async () => {
    client?.disconnect();
    await world?.stop();
  });

  it('finds the server and what it can show', () => {
    const availability = client.availability;
    expect(availability.status).toBe('available');
    if (availability.status !== 'available') return;
    expect(availability.server).toEqual({ name: 'vespera-test-notifications', vendor: 'Vespera', version: '1.0', specVersion: '1.2' });
    expect([...availability.capabilities]).toEqual(expect.arrayContaining(['actions', 'body-markup']));
  });

  it('sends the app name, desktop entry, urgency and category the desktop uses to file the notice', async () => {
    const id = await client.show({ ...CONTENT, urgency: 'critical' });
    const shown = (await server.sent()).find((n) => n.id === id);
    expect(shown).toMatchObject({
      appName: 'Vespera Updates',
      summary: 'Signed update ready',
      expireTimeout: -1,
      hints: {
        urgency: { type: 'y', value: 2 },
        'desktop-entry': { type: 's', value: 'vespera-updates' },
        category: { type: 's', value: 'x-vespera.update.ready' },
      },
    });
    expect(shown?.actions.map((a) => a.label)).toEqual(['Details', 'Restart now', 'Details']);
  });

  it('updates a notice still on screen in place, and opens a new one when the old one is gone', async () => {
    const id = await client.show(CONTENT);
    expect(await client.show({ ...CONTENT, body: 'Version 43 is ready.' }, { replaces: id })).toBe(id);
    const showing = (await server.showing()).filter((n) => n.id === id);
    expect(showing).toMatchObject([{ body: 'Version 43 is ready.', replaced: true }]);

    const closed = nextEvent(client.onClosed.bind(client), 'close', { where: (e) => e.id === id });
    await server.dismiss(id);
    expect(await closed).toEqual({ id, reason: 'dismissed' });
    const again = await client.show(CONTENT, { replaces: id });
    expect(again).not.toBe(id);
  });

  it('reports a pressed button with its key and activation token, then the close', async () => {
    const id = await client.show(CONTENT);
    const action = nextEvent<ActionEvent>(client.onAction.bind(client), 'action');
    const closed = nextEvent(client.onClosed.bind(client), 'close', { where: (e) => e.id === id });
    await server.press(id, 'restart', 'xdg-token-42');
    expect(await action).toEqual({ id, actionKey: 'restart', activationToken: 'xdg-token-42' });
    expect(await closed).toEqual({ id, reason: 'dismissed' });
  });

  it('tells an expiry from a close by the app', async () => {
    const expiring = await client.show(CONTENT);
    const expired = nextEvent(client.onClosed.bind(client), 'close', { where: (e) => e.id === expiring });
    await server.expire(expiring);
    expect((await expired).reason).toBe('expired');

    const closing = await client.show(CONTENT);
    const closed = nextEvent(client.onClosed.bind(client), 'close', { where: (e) => e.id === closing });
    await client.close(closing);
    expect((await closed).reason).toBe('closed-by-app');
    expect((await server.showing()).some((n) => n.id === closing)).toBe(false);
  });

  it('ignores look-alike signals from anyone but the server, and buttons it never offered', async () => {
    const id = await client.show(CONTENT);
    const heard: ActionEvent[] = [];
    const stop = client.onAction((e) => heard.push(e));
    const intruder = dbus.sessionBus({ busAddress: world.sessionBus.address });
    try {
      await new Promise((resolve) => intruder.once('connect', resolve));
      const spoof = (): dbus.Message => dbus.Message.newSignal('/org/freedesktop/Notifications', 'org.freedesktop.Notifications', 'ActionInvoked', 'us', [id, 'restart']);
      intruder.send(spoof());
      // Addressed to the app directly, a signal skips the bus's match rules: the client must check.
      const app = (await server.sent()).find((n) => n.id === id)?.sender ?? '';
      expect(app).toMatch(/^:/);
      intruder.send(Object.assign(spoof(), { destination: app }));
      await pause(200);
      expect(heard).toEqual([]);
    } finally {
      intruder.disconnect();
    }
    const unknown = await client.show({ ...CONTENT, buttons: [{ key: 'details', label: 'Details' }] });
    await expect(server.press(unknown, 'restart')).rejects.toThrow(/shows no action "restart"/);
    await server.press(id, 'details');
    await pause(100);
    stop();
    expect(heard).toEqual([{ id, actionKey: 'details' }]);
  });
});
