// The record of what was announced, kept in the user's state folder
// ($XDG_STATE_HOME/vespera-updates/notifications.json): read bounded and validated, written atomically.
//
// A file that is damaged, too large or from a future version is reported and treated as empty, so
// the worst a broken file can do is let one notice be repeated; it never stops notifications.

import { join } from 'node:path';
import { readFileLimited } from '../shared/bounded.ts';
import { CodedError, describeError } from '../shared/errors.ts';
import { isSha256Digest } from '../shared/image-reference.ts';
import { userStateDir, writeUserFile } from '../shared/user-files.ts';
import { NOTICE_KINDS, type NoticeKind } from './notices.ts';
import { EMPTY_HISTORY, MAX_HISTORY_ENTRIES, type HistoryEntry, type NoticeHistory } from './reminder-policy.ts';

export class HistoryError extends CodedError<'history-corrupt' | 'history-too-large' | 'history-unreadable' | 'history-unwritable'> {}

export const HISTORY_VERSION = 1;
/** Far above what MAX_HISTORY_ENTRIES entries take (about 200 bytes each). */
export const MAX_HISTORY_BYTES = 64 * 1024;
const MAX_SUBJECT = 1024;

/** `$XDG_STATE_HOME/vespera-updates/notifications.json`; XDG says to ignore a relative XDG_STATE_HOME. */
export function historyFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(userStateDir(env), 'notifications.json');
}

/** The history in `file`: empty when there is none yet, empty with a `problem` when it is unusable. */
export async function readHistory(file: string): Promise<{ history: NoticeHistory; problem?: HistoryError }> {
  let text: string;
  try {
    text = (await readFileLimited(file, MAX_HISTORY_BYTES)).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { history: EMPTY_HISTORY };
    if (error instanceof CodedError && error.code === 'too-large') {
      return { history: EMPTY_HISTORY, problem: new HistoryError('history-too-large', `${file} is larger than ${MAX_HISTORY_BYTES} bytes, far more than Vespera Updates writes; it was ignored and will be replaced.`) };
    }
    return { history: EMPTY_HISTORY, problem: new HistoryError('history-unreadable', `${file} could not be read (${describeError(error)}); fix its permissions so notices are not repeated.`, { cause: error }) };
  }
  try {
    return { history: parseHistory(text, file) };
  } catch (error) {
    return { history: EMPTY_HISTORY, problem: error as HistoryError };
  }
}

export function parseHistory(text: string, file: string): NoticeHistory {
  const corrupt = (why: string): HistoryError =>
    new HistoryError('history-corrupt', `${file} is damaged (${why}); it was ignored and will be replaced, so a notice may be shown once more.`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw corrupt(`not JSON: ${describeError(error)}`);
  }
  if (!isRecord(data)) throw corrupt('not a JSON object');
  if (data.version !== HISTORY_VERSION) throw corrupt(`version ${JSON.stringify(data.version)} instead of ${HISTORY_VERSION}`);
  const entries = data.entries;
  if (!Array.isArray(entries)) throw corrupt('no list of entries');
  if (entries.length > MAX_HISTORY_ENTRIES) throw corrupt(`${entries.length} entries, more than ${MAX_HISTORY_ENTRIES}`);
  return {
    entries: entries.map((raw: unknown, i): HistoryEntry => {
      const problem = entryProblem(raw);
      if (problem !== undefined) throw corrupt(`entry ${i}: ${problem}`);
      const e = raw as Record<string, unknown>;
      return {
        kind: e.kind as NoticeKind,
        subject: e.subject as string,
        firstShownAt: e.firstShownAt as number,
        lastShownAt: e.lastShownAt as number,
        timesShown: e.timesShown as number,
      };
    }),
  };
}

function entryProblem(raw: unknown): string | undefined {
  if (!isRecord(raw)) return 'not an object';
  const { kind, subject, firstShownAt, lastShownAt, timesShown } = raw;
  if (typeof kind !== 'string' || !(NOTICE_KINDS as readonly string[]).includes(kind)) return 'unknown kind';
  if (kind === 'unverified-host') {
    if (typeof subject !== 'string' || subject.length === 0 || subject.length > MAX_SUBJECT) return 'subject is not an image reference';
  } else if (!isSha256Digest(subject)) {
    return 'subject is not a sha256 digest';
  }
  if (!isTime(firstShownAt) || !isTime(lastShownAt) || firstShownAt > lastShownAt) return 'times are not in order';
  if (typeof timesShown !== 'number' || !Number.isSafeInteger(timesShown) || timesShown < 1) return 'count is not a positive whole number';
  return undefined;
}

/** Writes `history` to `file` through a temporary file and a rename, so a crash leaves the old one whole. */
export async function writeHistory(file: string, history: NoticeHistory): Promise<void> {
  const text = `${JSON.stringify({ version: HISTORY_VERSION, entries: history.entries }, null, 1)}\n`;
  try {
    await writeUserFile(file, text);
  } catch (error) {
    throw new HistoryError('history-unwritable', `${file} could not be written (${describeError(error)}); notices may repeat after a restart until the folder is writable.`, { cause: error });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
