import { describe, expect, it } from 'vitest';
import type { Notice } from '../../../main/notify/notices.ts';
import {
  decideNotice,
  EMPTY_HISTORY,
  MAX_HISTORY_ENTRIES,
  mergeHistories,
  recordShown,
  type Cadence,
  type NoticeHistory,
} from '../../../main/notify/reminder-policy.ts';
import { DEFAULT_CONFIG } from '../../../main/shared/config.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);
const CADENCE: Cadence = DEFAULT_CONFIG.reminders;
const digest = (n: number): `sha256:${string}` => `sha256:${n.toString(16).padStart(64, '0')}`;

const ready = (n: number): Notice => ({ kind: 'update-ready', digest: digest(n), version: `42.2026112${n}.0`, signedBy: 'github.com/acme/vespera' });
const failed = (n: number): Notice => ({ kind: 'verification-failed', digest: digest(n), reason: 'no signature from the expected workflow' });
const host: Notice = { kind: 'unverified-host', image: 'ghcr.io/acme/vespera-nvidia:latest' };

function shownAt(history: NoticeHistory, notice: Notice, ...times: number[]): NoticeHistory {
  return times.reduce((h, t) => recordShown(h, notice, t), history);
}

describe('the reminder policy', () => {
  it('announces an update it has never announced', () => {
    expect(decideNotice(ready(1), EMPTY_HISTORY, T0, CADENCE)).toEqual({ notify: true, reason: 'new' });
  });

  it('stays quiet about the same update until the ready interval (3 days by default) has passed', () => {
    const history = shownAt(EMPTY_HISTORY, ready(1), T0);
    expect(CADENCE.readyEveryMs).toBe(3 * DAY);
    expect(decideNotice(ready(1), history, T0 + HOUR, CADENCE)).toEqual({ notify: false, reason: 'announced-recently', nextReminderAt: T0 + 3 * DAY });
    expect(decideNotice(ready(1), history, T0 + 3 * DAY - 1, CADENCE).notify).toBe(false);
    expect(decideNotice(ready(1), history, T0 + 3 * DAY, CADENCE)).toEqual({ notify: true, reason: 'reminder' });
  });

  it('counts the interval from the last reminder, not the first announcement', () => {
    const history = shownAt(EMPTY_HISTORY, ready(1), T0, T0 + 3 * DAY);
    expect(decideNotice(ready(1), history, T0 + 4 * DAY, CADENCE)).toMatchObject({ notify: false, nextReminderAt: T0 + 6 * DAY });
    expect(history.entries[0]).toMatchObject({ firstShownAt: T0, lastShownAt: T0 + 3 * DAY, timesShown: 2 });
  });

  it('holds a newer ready build until the ready interval has passed, so daily images do not nag', () => {
    const history = shownAt(EMPTY_HISTORY, ready(1), T0);
    expect(decideNotice(ready(2), history, T0 + DAY, CADENCE)).toMatchObject({ notify: false, nextReminderAt: T0 + 3 * DAY });
    expect(decideNotice(ready(2), history, T0 + 3 * DAY, CADENCE)).toEqual({ notify: true, reason: 'new' });
  });

  it('announces a failure about a new digest at once', () => {
    const history = shownAt(EMPTY_HISTORY, failed(1), T0);
    expect(decideNotice(failed(2), history, T0 + HOUR, CADENCE)).toEqual({ notify: true, reason: 'new' });
  });

  it('reminds about a failed verification daily, on its own cadence', () => {
    const history = shownAt(EMPTY_HISTORY, failed(1), T0);
    expect(CADENCE.failureEveryMs).toBe(DAY);
    expect(decideNotice(failed(1), history, T0 + DAY - 1, CADENCE)).toMatchObject({ notify: false, nextReminderAt: T0 + DAY });
    expect(decideNotice(failed(1), history, T0 + DAY, CADENCE)).toEqual({ notify: true, reason: 'reminder' });
  });

  it('keeps kinds apart: a failure about a digest announced as ready is still news', () => {
    const history = shownAt(EMPTY_HISTORY, ready(1), T0);
    expect(decideNotice(failed(1), history, T0 + HOUR, CADENCE)).toEqual({ notify: true, reason: 'new' });
  });

  it('uses the configured intervals', () => {
    const history = shownAt(EMPTY_HISTORY, ready(1), T0);
    const cadence: Cadence = { readyEveryMs: 12 * HOUR, failureEveryMs: HOUR };
    expect(decideNotice(ready(1), history, T0 + 12 * HOUR, cadence)).toEqual({ notify: true, reason: 'reminder' });
    expect(decideNotice(failed(1), shownAt(EMPTY_HISTORY, failed(1), T0), T0 + HOUR, cadence).notify).toBe(true);
  });

  it('reminds about an unverified host at the ready cadence', () => {
    const history = shownAt(EMPTY_HISTORY, host, T0);
    expect(decideNotice(host, history, T0 + DAY, CADENCE).notify).toBe(false);
    expect(decideNotice({ kind: 'unverified-host', image: 'ghcr.io/acme/vespera:latest' }, history, T0 + DAY, CADENCE).notify).toBe(true);
    expect(decideNotice(host, history, T0 + 3 * DAY, CADENCE).notify).toBe(true);
  });

  it('is not silenced for long by a clock that went backwards', () => {
    const history = shownAt(EMPTY_HISTORY, ready(1), T0);
    expect(decideNotice(ready(1), history, T0 - HOUR, CADENCE).notify).toBe(false);
    expect(decideNotice(ready(1), history, T0 - 365 * DAY, CADENCE)).toEqual({ notify: true, reason: 'reminder' });
  });

  it('keeps at most MAX_HISTORY_ENTRIES announcements, forgetting the oldest', () => {
    let history = EMPTY_HISTORY;
    for (let i = 1; i <= MAX_HISTORY_ENTRIES + 5; i++) history = recordShown(history, failed(i), T0 + i);
    expect(history.entries).toHaveLength(MAX_HISTORY_ENTRIES);
    expect(decideNotice(failed(1), history, T0 + 100, CADENCE).notify).toBe(true);
    expect(decideNotice(failed(MAX_HISTORY_ENTRIES + 5), history, T0 + 100, CADENCE).notify).toBe(false);
  });

  it('merges two processes\' histories so neither repeats what the other announced', () => {
    const tray = shownAt(EMPTY_HISTORY, ready(1), T0);
    const cli = shownAt(shownAt(EMPTY_HISTORY, ready(1), T0 + 3 * DAY), failed(2), T0 + DAY);
    const merged = mergeHistories(tray, cli);
    expect(merged.entries).toHaveLength(2);
    expect(merged.entries.find((e) => e.kind === 'update-ready')).toMatchObject({ firstShownAt: T0, lastShownAt: T0 + 3 * DAY });
    expect(decideNotice(ready(1), merged, T0 + 4 * DAY, CADENCE).notify).toBe(false);
    expect(decideNotice(failed(2), merged, T0 + DAY + HOUR, CADENCE).notify).toBe(false);
  });
});
