import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { historyFile, MAX_HISTORY_BYTES, readHistory, writeHistory } from '../../../main/notify/notice-history.ts';
import { decideNotice, EMPTY_HISTORY, recordShown } from '../../../main/notify/reminder-policy.ts';
import type { Notice } from '../../../main/notify/notices.ts';

const dir = mkdtempSync(join(tmpdir(), 'notice-history-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 10, 26);
const DIGEST = `sha256:${'a'.repeat(64)}` as const;
const READY: Notice = { kind: 'update-ready', digest: DIGEST, version: '42.20261126.0', signedBy: 'github.com/acme/vespera' };
const CADENCE = { readyEveryMs: 3 * 86_400_000, failureEveryMs: 86_400_000 };
let n = 0;
const fresh = (): string => join(dir, `case-${++n}`, 'vespera-updates', 'notifications.json');

function withFile(text: string | Buffer): string {
  const file = fresh();
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return file;
}

describe('the notification history file', () => {
  it('lives in the user state folder, or ~/.local/state when XDG_STATE_HOME is unset or relative', () => {
    expect(historyFile({ XDG_STATE_HOME: '/home/ada/.state', HOME: '/home/ada' })).toBe('/home/ada/.state/vespera-updates/notifications.json');
    expect(historyFile({ HOME: '/home/ada' })).toBe('/home/ada/.local/state/vespera-updates/notifications.json');
    expect(historyFile({ XDG_STATE_HOME: 'state', HOME: '/home/ada' })).toBe('/home/ada/.local/state/vespera-updates/notifications.json');
  });

  it('remembers an announcement across a restart, so it is not repeated', async () => {
    const file = fresh();
    expect(await readHistory(file)).toEqual({ history: EMPTY_HISTORY });
    await writeHistory(file, recordShown(EMPTY_HISTORY, READY, T0));
    const { history, problem } = await readHistory(file);
    expect(problem).toBeUndefined();
    expect(decideNotice(READY, history, T0 + 60_000, CADENCE).notify).toBe(false);
  });

  it('writes a private file through a rename, leaving no temporary file behind', async () => {
    const file = fresh();
    await writeHistory(file, recordShown(EMPTY_HISTORY, READY, T0));
    await writeHistory(file, recordShown(EMPTY_HISTORY, READY, T0 + 1));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(file, '..')).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(file, '..'))).toEqual(['notifications.json']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ version: 1, entries: [{ lastShownAt: T0 + 1 }] });
  });

  it.each([
    ['not JSON', '{"version": 1, "entries": [', /not JSON/],
    ['a list instead of an object', '[]', /not a JSON object/],
    ['a future version', '{"version": 2, "entries": []}', /version 2 instead of 1/],
    ['an entry with an unknown kind', JSON.stringify({ version: 1, entries: [{ kind: 'ransom', subject: 'x', firstShownAt: 1, lastShownAt: 1, timesShown: 1 }] }), /entry 0: unknown kind/],
    ['an update entry whose subject is not a digest', JSON.stringify({ version: 1, entries: [{ kind: 'update-ready', subject: 'latest', firstShownAt: 1, lastShownAt: 1, timesShown: 1 }] }), /not a sha256 digest/],
    ['times out of order', JSON.stringify({ version: 1, entries: [{ kind: 'update-ready', subject: DIGEST, firstShownAt: 5, lastShownAt: 1, timesShown: 1 }] }), /not in order/],
    ['too many entries', JSON.stringify({ version: 1, entries: Array.from({ length: 65 }, () => ({})) }), /65 entries/],
  ])('treats a damaged file (%s) as empty and says so, without failing', async (_what, text, message) => {
    const { history, problem } = await readHistory(withFile(text));
    expect(history).toEqual(EMPTY_HISTORY);
    expect(problem).toMatchObject({ code: 'history-corrupt' });
    expect(problem?.message).toMatch(message);
    expect(problem?.message).toMatch(/will be replaced/);
  });

  it('refuses an oversized file without reading it whole, and then replaces it', async () => {
    const file = withFile(Buffer.alloc(MAX_HISTORY_BYTES + 1, 0x20));
    const { history, problem } = await readHistory(file);
    expect(history).toEqual(EMPTY_HISTORY);
    expect(problem).toMatchObject({ code: 'history-too-large' });
    await writeHistory(file, recordShown(EMPTY_HISTORY, READY, T0));
    expect((await readHistory(file)).problem).toBeUndefined();
  });

  it('reports a folder it cannot create as a typed error', async () => {
    // A regular file where the folder should be: fails for every user, root included.
    const blocker = withFile('not a folder');
    await expect(writeHistory(join(blocker, 'notifications.json'), EMPTY_HISTORY)).rejects.toMatchObject({
      code: 'history-unwritable',
      message: expect.stringMatching(/could not be written .*notices may repeat/) as unknown,
    });
  });
});
