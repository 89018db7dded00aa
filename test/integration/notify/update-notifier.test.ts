import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../main/shared/config.ts';
import type { Notice } from '../../../main/notify/notices.ts';
import { UpdateNotifier, type NoticeActionEvent } from '../../../main/notify/update-notifier.ts';
import { NotificationServer, notificationsIn } from '../../sim/notification-server.ts';
import { startWorld, type World } from '../../world/world.ts';
import { nextEvent } from '../../support/events.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const digest = (n: number): `sha256:${string}` => `sha256:${n.toString(16).padStart(64, 'c')}`;
const ready = (n: number): Notice => ({ kind: 'update-ready', digest: digest(n), version: `42.2026112${n}.0`, signedBy: 'github.com/acme/vespera (main)' });
const failed = (n: number): Notice => ({ kind: 'verification-failed', digest: digest(n), reason: 'the signature was made by another workflow' });

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2026, 10, 26, 9)): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const scratch = mkdtempSync(join(tmpdir(), 'notifier-'));
let cases = 0;
const historyIn = (): string => join(scratch, `case-${++cases}`, 'notifications.json');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const open: UpdateNotifier[] = [];
async function notifierFor(world: World, clock = manualClock(), historyFile = historyIn()): Promise<UpdateNotifier> {
  // The cadence comes from the app config the world wrote, as in the app.
  const { reminders } = await loadConfig(world.processEnv());
  const notifier = await UpdateNotifier.open({ reminders, env: world.env, clock: clock.now, historyFile });
  open.push(notifier);
  return notifier;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()));
});

describe('update notices on a desktop with a notification server', () => {
  let world: World;
  let server: NotificationServer;
  beforeAll(async () => {
    world = await startWorld();
    server = notificationsIn(world);
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('shows a signed update as ready, with Restart now and Details buttons', async () => {
    const notifier = await notifierFor(world);
    const outcome = await notifier.notify(ready(1));
    expect(outcome).toMatchObject({ status: 'shown', reason: 'new' });
    const shown = (await server.showing()).find((n) => outcome.status === 'shown' && n.id === outcome.id);
    expect(shown).toMatchObject({
      summary: 'Signed update ready',
      hints: { urgency: { value: 1 }, 'desktop-entry': { value: 'vespera-updates' } },
    });
    expect(shown?.body).toContain('<b>42.20261121.0</b> is ready');
    expect(shown?.body).toContain('signed by github.com/acme/vespera (main)');
    expect(shown?.actions.filter((a) => a.key !== 'default').map((a) => a.label)).toEqual(['Restart now', 'Details']);
  });

  it('hands the app the pressed button together with the notice it was on', async () => {
    const notifier = await notifierFor(world);
    const outcome = await notifier.notify(ready(2));
    if (outcome.status !== 'shown') throw new Error(`not shown: ${JSON.stringify(outcome)}`);
    const pressed = nextEvent<NoticeActionEvent>(notifier.onAction.bind(notifier), 'button press');
    await server.press(outcome.id, 'details', 'activation-7');
    expect(await pressed).toEqual({ action: 'details', notice: ready(2), activationToken: 'activation-7' });
  });

  it('does not announce the same digest twice, and reminds only after the configured interval', async () => {
    const clock = manualClock();
    const notifier = await notifierFor(world, clock);
    const before = (await server.sent()).length;
    expect(await notifier.notify(ready(3))).toMatchObject({ status: 'shown', reason: 'new' });
    clock.advance(HOUR);
    expect(await notifier.notify(ready(3))).toEqual({ status: 'quiet', nextReminderAt: clock.now() - HOUR + 3 * DAY });
    clock.advance(3 * DAY - 2 * HOUR);
    expect((await notifier.notify(ready(3))).status).toBe('quiet');
    expect(await server.sent()).toHaveLength(before + 1);
    clock.advance(HOUR);
    expect(await notifier.notify(ready(3))).toMatchObject({ status: 'shown', reason: 'reminder' });
    expect(await server.sent()).toHaveLength(before + 2);
  });

  it('remembers what it announced across a restart of the app', async () => {
    const clock = manualClock();
    const history = historyIn();
    const first = await notifierFor(world, clock, history);
    expect((await first.notify(ready(4))).status).toBe('shown');
    await first.close();
    clock.advance(DAY);
    const second = await notifierFor(world, clock, history);
    expect((await second.notify(ready(4))).status).toBe('quiet');
  });

  it('announces a newer build once the ready interval has passed, updating the ready notice in place', async () => {
    const clock = manualClock();
    const notifier = await notifierFor(world, clock);
    const first = await notifier.notify(ready(5));
    expect((await notifier.notify(ready(6))).status).toBe('quiet');
    clock.advance(3 * DAY);
    const second = await notifier.notify(ready(6));
    expect(second).toMatchObject({ status: 'shown', reason: 'new', replaced: true });
    if (first.status !== 'shown' || second.status !== 'shown') throw new Error('not shown');
    expect(second.id).toBe(first.id);
    const showing = (await server.showing()).filter((n) => n.id === first.id);
    expect(showing).toHaveLength(1);
    expect(showing[0]?.body).toContain('42.20261126.0');
  });

  it('makes a failed verification loud (critical, kept on screen) with a Details button', async () => {
    const clock = manualClock();
    const notifier = await notifierFor(world, clock);
    const outcome = await notifier.notify(failed(7));
    if (outcome.status !== 'shown') throw new Error(`not shown: ${JSON.stringify(outcome)}`);
    const shown = (await server.showing()).find((n) => n.id === outcome.id);
    expect(shown).toMatchObject({ summary: 'Update failed its signature check', expireTimeout: 0, hints: { urgency: { type: 'y', value: 2 } } });
    expect(shown?.actions.filter((a) => a.key !== 'default').map((a) => a.label)).toEqual(['Details']);
    // Failures come back daily, not every three days.
    clock.advance(DAY);
    expect(await notifier.notify(failed(7))).toMatchObject({ status: 'shown', reason: 'reminder' });
  });

  it('takes a settled notice off the screen', async () => {
    const notifier = await notifierFor(world);
    const outcome = await notifier.notify(ready(8));
    if (outcome.status !== 'shown') throw new Error('not shown');
    await notifier.withdraw('update-ready');
    expect((await server.showing()).some((n) => n.id === outcome.id)).toBe(false);
  });
});

describe('update notices on a desktop without a notification server', () => {
  let world: World;
  const started: NotificationServer[] = [];
  beforeAll(async () => {
    world = await startWorld({ without: ['notifications'] });
  });
  // Each test brings its own server (or none): the name is free again before the next one.
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('says notifications are unavailable and why, shows the notice once a server appears, and notices when it leaves', async () => {
    const notifier = await notifierFor(world);
    expect(notifier.availability).toMatchObject({ status: 'unavailable', error: { code: 'no-server' } });
    const availability = notifier.availability;
    if (availability.status === 'unavailable') expect(availability.error.message).toMatch(/No notification server is running/);

    expect(await notifier.notify(ready(1))).toMatchObject({ status: 'deferred', error: { code: 'no-server' } });

    const server = await NotificationServer.start(world.sessionBus.address);
    started.push(server);
    const sent = await server.waitForSent(1);
    expect(sent[0]).toMatchObject({ summary: 'Signed update ready' });
    expect(notifier.availability.status).toBe('available');
    // Delivered late, it still counts as announced.
    expect((await notifier.notify(ready(1))).status).toBe('quiet');

    await server.stop();
    await expect.poll(() => notifier.availability.status).toBe('unavailable');
  });

  it('without a session bus at all, says so and keeps the notice waiting instead of failing', async () => {
    for (const env of [{ ...world.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${world.root}/no-such-bus` }, { ...world.env, DBUS_SESSION_BUS_ADDRESS: '' }]) {
      const notifier = await UpdateNotifier.open({ reminders: { readyEveryMs: DAY, failureEveryMs: DAY }, env, historyFile: historyIn() });
      open.push(notifier);
      expect(notifier.availability).toMatchObject({ status: 'unavailable', error: { code: 'no-session-bus' } });
      expect(await notifier.notify(failed(3))).toMatchObject({ status: 'deferred', error: { code: 'no-session-bus' } });
    }
  });

  it('drops buttons and says where to go on a server without actions, and sends plain text without body-markup', async () => {
    const server = await NotificationServer.start(world.sessionBus.address, { capabilities: ['body'] });
    started.push(server);
    const notifier = await notifierFor(world);
    const outcome = await notifier.notify({ ...ready(2), signedBy: 'acme <release team>' } as Notice);
    expect(outcome.status).toBe('shown');
    const [shown] = await server.sent();
    expect(shown?.actions).toEqual([]);
    expect(shown?.body).toContain('signed by acme <release team>');
    expect(shown?.body).toContain('Open Vespera Updates and choose Restart now');
  });
});
