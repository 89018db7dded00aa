// Unified diffs of small configuration files, so a person can read exactly what a plan changes
// before anything is written. Myers' algorithm over lines, three lines of context.

export interface DiffFile {
  /** The path shown in the headers, e.g. /etc/containers/policy.json. */
  readonly path: string;
  /** null: the file does not exist yet (or is removed, for `after`). */
  readonly before: string | null;
  readonly after: string | null;
}

const CONTEXT = 3;
/** Beyond this many differing lines the diff shows the files replaced wholesale. */
const MAX_EDIT_DISTANCE = 4000;

type Op = { kind: ' ' | '-' | '+'; line: string };

function splitLines(text: string | null): string[] {
  if (text === null || text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The shortest edit script between two line lists (Myers 1986), or undefined beyond the cap. */
function editScript(a: readonly string[], b: readonly string[]): Op[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDIT_DISTANCE);
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number)) ? (v[offset + k + 1] as number) : (v[offset + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        trace.push(next);
        return backtrack(trace, a, b, offset);
      }
    }
    v = next;
  }
  return undefined;
}

function backtrack(trace: Int32Array[], a: readonly string[], b: readonly string[], offset: number): Op[] {
  const ops: Op[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 2; d >= 0; d--) {
    const v = trace[d] as Int32Array;
    const k = x - y;
    const prevK = k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : (v[offset + prevK] as number);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: ' ', line: a[--x] as string });
      y--;
    }
    if (d === 0) break;
    if (x === prevX) ops.push({ kind: '+', line: b[--y] as string });
    else ops.push({ kind: '-', line: a[--x] as string });
  }
  return ops.reverse();
}

/** One file's unified diff; empty when nothing changed. */
export function unifiedDiff(file: DiffFile): string {
  if (file.before === file.after) return '';
  const a = splitLines(file.before);
  const b = splitLines(file.after);
  const ops = editScript(a, b) ?? [...a.map((line): Op => ({ kind: '-', line })), ...b.map((line): Op => ({ kind: '+', line }))];
  const header = [`--- ${file.before === null ? '/dev/null' : `a${file.path}`}`, `+++ ${file.after === null ? '/dev/null' : `b${file.path}`}`];
  const hunks: string[] = [];
  let i = 0;
  while (i < ops.length) {
    if ((ops[i] as Op).kind === ' ') {
      i++;
      continue;
    }
    // Grow the hunk while changes are within 2*CONTEXT lines of each other.
    const start = Math.max(0, i - CONTEXT);
    let end = i;
    while (end < ops.length) {
      let j = end;
      while (j < ops.length && (ops[j] as Op).kind !== ' ') j++;
      let gap = j;
      while (gap < ops.length && (ops[gap] as Op).kind === ' ') gap++;
      if (gap < ops.length && gap - j <= 2 * CONTEXT) end = gap;
      else {
        end = Math.min(ops.length, j + CONTEXT);
        break;
      }
    }
    let aLine = 1;
    let bLine = 1;
    for (let k = 0; k < start; k++) {
      if ((ops[k] as Op).kind !== '+') aLine++;
      if ((ops[k] as Op).kind !== '-') bLine++;
    }
    const body = ops.slice(start, end);
    const aCount = body.filter((o) => o.kind !== '+').length;
    const bCount = body.filter((o) => o.kind !== '-').length;
    const range = (line: number, count: number): string => (count === 1 ? `${line}` : `${count === 0 ? line - 1 : line},${count}`);
    hunks.push(`@@ -${range(aLine, aCount)} +${range(bLine, bCount)} @@`, ...body.map((o) => `${o.kind}${o.line}`));
    i = end;
  }
  return `${[...header, ...hunks].join('\n')}\n`;
}
