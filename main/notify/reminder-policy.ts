// When to speak: given a notice and the history of what was announced, decide between notifying now
// and staying quiet. Pure; the time and the history come in as arguments.
//
// The cadence follows GNOME Software (anchors-products.md, note 32): the same notice about the same
// thing (kind and digest or image) comes back only as a reminder, at most every `readyEveryMs`
// (default 3 days) for an update or host notice and every `failureEveryMs` (default 1 day) for a failed
// verification. A failure about a new digest is news at once; a *ready* notice about a newer build
// waits out the ready interval too, so images rebuilt daily do not announce themselves daily
// (fedora-silverblue/issue-tracker#669).

import { noticeSubject, type Notice, type NoticeKind } from './notices.ts';

export interface Cadence {
  readonly readyEveryMs: number;
  readonly failureEveryMs: number;
}

/** One thing announced: which notice, about what, when first and last, how often. */
export interface HistoryEntry {
  readonly kind: NoticeKind;
  /** Digest (update notices) or image reference (host notice). */
  readonly subject: string;
  readonly firstShownAt: number;
  readonly lastShownAt: number;
  readonly timesShown: number;
}

export interface NoticeHistory {
  readonly entries: readonly HistoryEntry[];
}

export const EMPTY_HISTORY: NoticeHistory = { entries: [] };

/** Enough for every image a person could follow for months; the oldest announcements go first. */
export const MAX_HISTORY_ENTRIES = 64;

export type Decision =
  | { readonly notify: true; readonly reason: 'new' | 'reminder' }
  | { readonly notify: false; readonly reason: 'announced-recently'; readonly nextReminderAt: number };

export function reminderInterval(kind: NoticeKind, cadence: Cadence): number {
  return kind === 'verification-failed' ? cadence.failureEveryMs : cadence.readyEveryMs;
}

export function decideNotice(notice: Notice, history: NoticeHistory, now: number, cadence: Cadence): Decision {
  const interval = reminderInterval(notice.kind, cadence);
  const entry = findEntry(history, notice.kind, noticeSubject(notice));
  if (!entry) {
    const lastReady = notice.kind === 'update-ready' ? latestOfKind(history, 'update-ready') : undefined;
    if (lastReady && isRecent(now - lastReady.lastShownAt, interval)) {
      return { notify: false, reason: 'announced-recently', nextReminderAt: lastReady.lastShownAt + interval };
    }
    return { notify: true, reason: 'new' };
  }
  if (!isRecent(now - entry.lastShownAt, interval)) return { notify: true, reason: 'reminder' };
  return { notify: false, reason: 'announced-recently', nextReminderAt: entry.lastShownAt + interval };
}

/**
 * Within the interval. A clock set back by more than one interval (or a history written under a wrong
 * clock) must not silence a notice for that long: that counts as due.
 */
function isRecent(elapsed: number, interval: number): boolean {
  return elapsed < interval && elapsed >= -interval;
}

function latestOfKind(history: NoticeHistory, kind: NoticeKind): HistoryEntry | undefined {
  return history.entries.filter((e) => e.kind === kind).sort((a, b) => b.lastShownAt - a.lastShownAt)[0];
}

/** The history after `notice` was shown at `now`; bounded to MAX_HISTORY_ENTRIES. */
export function recordShown(history: NoticeHistory, notice: Notice, now: number): NoticeHistory {
  const subject = noticeSubject(notice);
  const previous = findEntry(history, notice.kind, subject);
  const entry: HistoryEntry = previous
    ? { ...previous, lastShownAt: now, timesShown: previous.timesShown + 1 }
    : { kind: notice.kind, subject, firstShownAt: now, lastShownAt: now, timesShown: 1 };
  const others = history.entries.filter((e) => e !== previous);
  return bounded([...others, entry]);
}

/**
 * One history from two (this process's and the file another process may have written since): for
 * each announcement the later showing wins, so neither process repeats what the other said.
 */
export function mergeHistories(a: NoticeHistory, b: NoticeHistory): NoticeHistory {
  const byKey = new Map<string, HistoryEntry>();
  for (const entry of [...a.entries, ...b.entries]) {
    const key = `${entry.kind}\n${entry.subject}`;
    const seen = byKey.get(key);
    const later = !seen || entry.lastShownAt > seen.lastShownAt ? entry : seen;
    byKey.set(key, seen ? { ...later, firstShownAt: Math.min(seen.firstShownAt, entry.firstShownAt), timesShown: Math.max(seen.timesShown, entry.timesShown) } : entry);
  }
  return bounded([...byKey.values()]);
}

function findEntry(history: NoticeHistory, kind: NoticeKind, subject: string): HistoryEntry | undefined {
  return history.entries.find((e) => e.kind === kind && e.subject === subject);
}

function bounded(entries: HistoryEntry[]): NoticeHistory {
  const sorted = entries.sort((x, y) => x.lastShownAt - y.lastShownAt);
  return { entries: sorted.slice(Math.max(0, sorted.length - MAX_HISTORY_ENTRIES)) };
}
