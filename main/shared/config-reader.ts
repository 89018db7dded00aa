// The positioned YAML reader every section parser reads a file through: each value typed and checked,
// each refusal a ConfigError naming the file, line, column and setting, and what to do about it.

import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { ConfigError, DAY } from './config-model.ts';

/** Where a setting is in a file: mapping keys and list indexes from the top. */
export type Path = ReadonlyArray<string | number>;

/** One file's parsed YAML and where each node sits in it: typed reads by path, refusals with their position. */
export class LayerReader {
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly source: string;

  constructor(doc: Document, lines: LineCounter, source: string) {
    this.doc = doc;
    this.lines = lines;
    this.source = source;
  }

  /** The line of the setting at `path` (its key's line for a mapping entry). */
  lineOf(path: Path): number | undefined {
    const node = this.doc.getIn(path, true) as Node | undefined;
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : this.lines.linePos(offset).line;
  }

  #where(path: Path, at?: Node): string {
    const node = at ?? (this.doc.getIn(path, true) as Node | undefined);
    const offset = node?.range?.[0];
    if (offset === undefined) return '';
    const pos = this.lines.linePos(offset);
    const key = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
    return `, line ${pos.line}, column ${pos.col}${key ? `: ${key}` : ''}`;
  }

  /** Refuses the setting at `path` (positioned at `at`, e.g. a key, when given). */
  fail(path: Path, problem: string, at?: Node): never {
    throw new ConfigError('config-invalid', `${this.source}${this.#where(path, at)}: ${problem}; fix it or remove the setting.`);
  }

  /** A user's setting that would loosen what the administrator set (or only the administrator may set). */
  pinned(path: Path, problem: string): never {
    throw new ConfigError('config-pinned', `${this.source}${this.#where(path)}: ${problem}. Your configuration may add to the administrator's, never loosen it: remove this setting (or ask the administrator to change theirs).`);
  }

  node(path: Path): unknown {
    return this.doc.getIn(path, true);
  }

  /** Keys of the mapping at `path`, refusing any not in `known` (a typo should not pass silently). */
  keys(path: Path, known: readonly string[]): Set<string> {
    const node = this.node(path);
    if (node === undefined || node === null) return new Set();
    if (!isMap(node)) this.fail(path, 'expected a mapping of settings');
    const present = new Set<string>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!known.includes(key)) this.fail([...path, key], `unknown setting (known here: ${known.join(', ')})`, pair.key as Node);
      present.add(key);
    }
    return present;
  }

  string(path: Path, test?: { re: RegExp; what: string }): string {
    const node = this.node(path);
    if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') this.fail(path, 'expected a non-empty string');
    if (test && !test.re.test(node.value)) this.fail(path, `"${node.value}" is not ${test.what}`);
    return node.value;
  }

  boolean(path: Path): boolean {
    const node = this.node(path);
    if (!isScalar(node) || typeof node.value !== 'boolean') this.fail(path, 'expected true or false');
    return node.value;
  }

  duration(path: Path, bounds: { min: number; max?: number } = { min: 60_000 }): number {
    const text = this.string(path, { re: /^\d+(ms|s|m|h|d)$/, what: 'a duration like 3d, 12h, 30m, 10s' });
    const [, n = '0', unit = 's'] = /^(\d+)(ms|s|m|h|d)$/.exec(text) ?? [];
    const ms = Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: DAY }[unit as 'ms'];
    if (ms < bounds.min) this.fail(path, `must be at least ${bounds.min >= 60_000 ? 'one minute' : `${bounds.min / 1000} s`}`);
    if (bounds.max !== undefined && ms > bounds.max) this.fail(path, `must be at most ${bounds.max / 60_000} minutes`);
    return ms;
  }

  /** One string, or a non-empty list of them, each passing `test`. */
  stringOrList(path: Path, test: { re: RegExp; what: string }): string[] {
    const node = this.node(path);
    if (isSeq(node)) {
      const count = this.list(path);
      if (count === 0) this.fail(path, 'name at least one');
      return Array.from({ length: count }, (_, i) => this.string([...path, i], test));
    }
    return [this.string(path, test)];
  }

  list(path: Path): number {
    const node = this.node(path);
    if (node === undefined || node === null) return 0;
    if (!isSeq(node)) this.fail(path, 'expected a list');
    return node.items.length;
  }
}

export function validRegexp(r: LayerReader, path: Path): string {
  const text = r.string(path);
  try {
    new RegExp(text);
  } catch (error) {
    r.fail(path, `not a valid regular expression (${(error as Error).message})`);
  }
  return text;
}
