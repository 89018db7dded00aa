import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../../main/policy/unified-diff.ts';

/** Applies the diff with GNU patch: the diff is right when patch turns `before` into `after`. */
function applyWithPatch(before: string, diff: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'diff-test-'));
  try {
    writeFileSync(join(dir, 'file'), before);
    writeFileSync(join(dir, 'change.diff'), diff);
    execFileSync('patch', ['--silent', '--force', join(dir, 'file'), join(dir, 'change.diff')], { stdio: 'pipe' });
    return readFileSync(join(dir, 'file'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const lines = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => `${f(i)}\n`).join('');

describe('unified diffs of a plan', () => {
  it('is empty when nothing changes', () => {
    expect(unifiedDiff({ path: '/etc/x', before: 'a\n', after: 'a\n' })).toBe('');
  });

  it('shows a new file against /dev/null', () => {
    expect(unifiedDiff({ path: '/etc/pki/containers/k.pub', before: null, after: 'one\ntwo\n' })).toBe(
      '--- /dev/null\n+++ b/etc/pki/containers/k.pub\n@@ -0,0 +1,2 @@\n+one\n+two\n',
    );
  });

  it('keeps three lines of context and splits distant changes into hunks', () => {
    const before = lines(30, (i) => `line ${i}`);
    const after = before.replace('line 2\n', 'line two\n').replace('line 25\n', 'line 25\nline 25b\n');
    const diff = unifiedDiff({ path: '/etc/f', before, after });
    expect(diff.match(/^@@/gm)).toHaveLength(2);
    expect(diff).toContain('@@ -1,6 +1,6 @@\n line 0\n line 1\n-line 2\n+line two\n line 3\n');
    expect(applyWithPatch(before, diff)).toBe(after);
  });

  it.each([
    ['insertions in the middle', lines(12, (i) => `${i}`), lines(12, (i) => (i === 6 ? `6\nnew\nnew2` : `${i}`))],
    ['deletions at both ends', lines(10, (i) => `${i}`), lines(6, (i) => `${i + 2}`)],
    ['a rewrite', lines(5, (i) => `a${i}`), lines(7, (i) => `b${i}`)],
    ['nearby changes merged', lines(20, (i) => `${i}`), lines(20, (i) => (i === 5 || i === 9 ? `x${i}` : `${i}`))],
    ['to an empty file', 'a\nb\n', ''],
  ])('produces a diff GNU patch applies: %s', (_what, before, after) => {
    const diff = unifiedDiff({ path: '/etc/f', before, after });
    expect(applyWithPatch(before, diff)).toBe(after);
  });
});
