// A strict JSON reader that keeps where every value and key sits (offset, line, column) and refuses
// duplicate keys, because JSON.parse loses both and containers/image rejects duplicates.

import { CodedError } from '../shared/errors.ts';

export interface Position {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column, in characters. */
  readonly column: number;
  /** 0-based character offset into the text. */
  readonly offset: number;
}

interface Span {
  /** Offset of the first character of the value. */
  readonly start: number;
  /** Offset just past the value. */
  readonly end: number;
}

export interface JsonMember {
  readonly key: string;
  readonly keyStart: number;
  readonly keyEnd: number;
  readonly value: JsonNode;
}

export type JsonNode =
  | (Span & { readonly kind: 'object'; readonly members: readonly JsonMember[] })
  | (Span & { readonly kind: 'array'; readonly items: readonly JsonNode[] })
  | (Span & { readonly kind: 'string'; readonly value: string })
  | (Span & { readonly kind: 'number'; readonly value: number; readonly raw: string })
  | (Span & { readonly kind: 'boolean'; readonly value: boolean })
  | (Span & { readonly kind: 'null' });

export type JsonObjectNode = Extract<JsonNode, { kind: 'object' }>;
export type JsonArrayNode = Extract<JsonNode, { kind: 'array' }>;

export type JsonSyntaxCode = 'json-syntax' | 'json-duplicate-key' | 'json-too-deep' | 'json-too-large';

/** A syntax problem at a position; `problem` is the bare description, without the position. */
export class JsonSyntaxError extends CodedError<JsonSyntaxCode> {
  readonly position: Position;
  readonly problem: string;

  constructor(code: JsonSyntaxCode, problem: string, position: Position) {
    super(code, `line ${position.line}, column ${position.column}: ${problem}`);
    this.position = position;
    this.problem = problem;
  }
}

export interface JsonLimits {
  /** Most characters read; larger texts are refused, not truncated. */
  readonly maxLength?: number;
  /** Deepest nesting of objects and arrays. */
  readonly maxDepth?: number;
}

export class LocatedJson {
  readonly text: string;
  readonly root: JsonNode;
  readonly #lineStarts: number[];

  constructor(text: string, root: JsonNode, lineStarts: number[]) {
    this.text = text;
    this.root = root;
    this.#lineStarts = lineStarts;
  }

  positionAt(offset: number): Position {
    return positionIn(this.#lineStarts, offset);
  }
}

/** Member of an object by key (keys are unique: the reader refuses duplicates). */
export function memberOf(node: JsonObjectNode, key: string): JsonMember | undefined {
  return node.members.find((m) => m.key === key);
}

/** The plain JavaScript value of a node (objects keep key order). */
export function plainValue(node: JsonNode): unknown {
  switch (node.kind) {
    case 'object':
      return Object.fromEntries(node.members.map((m) => [m.key, plainValue(m.value)]));
    case 'array':
      return node.items.map(plainValue);
    case 'null':
      return null;
    default:
      return node.value;
  }
}

const DEFAULT_MAX_LENGTH = 4 * 1024 * 1024;
const DEFAULT_MAX_DEPTH = 64;

export function readLocatedJson(text: string, limits: JsonLimits = {}): LocatedJson {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const reader = new Reader(text, lineStarts, limits.maxDepth ?? DEFAULT_MAX_DEPTH);
  const maxLength = limits.maxLength ?? DEFAULT_MAX_LENGTH;
  if (text.length > maxLength) reader.fail('json-too-large', `the text is longer than ${maxLength} characters`, 0);
  if (text.charCodeAt(0) === 0xfeff) {
    reader.fail('json-syntax', 'the file starts with a byte-order mark (BOM), which JSON readers such as containers/image refuse; save it as UTF-8 without BOM', 0);
  }
  reader.skipSpace();
  if (reader.at >= text.length) reader.fail('json-syntax', 'the text is empty; a JSON value was expected', reader.at);
  const root = reader.value(0);
  reader.skipSpace();
  if (reader.at < text.length) reader.fail('json-syntax', `unexpected ${describeChar(text, reader.at)} after the end of the JSON value`, reader.at);
  return new LocatedJson(text, root, lineStarts);
}

function positionIn(lineStarts: readonly number[], offset: number): Position {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((lineStarts[mid] as number) <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: offset - (lineStarts[low] as number) + 1, offset };
}

function describeChar(text: string, at: number): string {
  if (at >= text.length) return 'end of text';
  const ch = text[at] as string;
  if (ch === '\n') return 'line break';
  if (/\s/.test(ch)) return 'whitespace';
  return `'${ch}'`;
}

class Reader {
  readonly text: string;
  readonly lineStarts: readonly number[];
  readonly maxDepth: number;
  at = 0;

  constructor(text: string, lineStarts: readonly number[], maxDepth: number) {
    this.text = text;
    this.lineStarts = lineStarts;
    this.maxDepth = maxDepth;
  }

  fail(code: JsonSyntaxCode, problem: string, offset: number): never {
    throw new JsonSyntaxError(code, problem, positionIn(this.lineStarts, offset));
  }

  skipSpace(): void {
    const t = this.text;
    while (this.at < t.length) {
      const c = t.charCodeAt(this.at);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.at++;
      else if (c === 0x2f && (t[this.at + 1] === '/' || t[this.at + 1] === '*')) {
        this.fail('json-syntax', 'comments are not allowed in JSON', this.at);
      } else break;
    }
  }

  value(depth: number): JsonNode {
    const t = this.text;
    const start = this.at;
    const c = t[start];
    if (c === '{') return this.object(depth + 1);
    if (c === '[') return this.array(depth + 1);
    if (c === '"') {
      const value = this.string();
      return { kind: 'string', start, end: this.at, value };
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, node] of [
      ['true', { kind: 'boolean', value: true }],
      ['false', { kind: 'boolean', value: false }],
      ['null', { kind: 'null' }],
    ] as const) {
      if (t.startsWith(word, start)) {
        this.at += word.length;
        return { ...node, start, end: this.at };
      }
    }
    if (c === "'") this.fail('json-syntax', "strings must use double quotes (\"), not single quotes", start);
    this.fail('json-syntax', `unexpected ${describeChar(t, start)} where a value should start`, start);
  }

  object(depth: number): JsonNode {
    if (depth > this.maxDepth) this.fail('json-too-deep', `values are nested more than ${this.maxDepth} levels deep`, this.at);
    const start = this.at++;
    const members: JsonMember[] = [];
    const seen = new Map<string, number>();
    this.skipSpace();
    if (this.text[this.at] === '}') {
      this.at++;
      return { kind: 'object', start, end: this.at, members };
    }
    for (;;) {
      this.skipSpace();
      const keyStart = this.at;
      if (this.text[keyStart] !== '"') {
        if (this.text[keyStart] === '}' && members.length > 0) {
          this.fail('json-syntax', 'a comma is followed by "}" (trailing commas are not allowed in JSON)', keyStart);
        }
        this.fail('json-syntax', `unexpected ${describeChar(this.text, keyStart)} where a "quoted" key should start`, keyStart);
      }
      const key = this.string();
      const keyEnd = this.at;
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        const first = positionIn(this.lineStarts, earlier);
        this.fail('json-duplicate-key', `the key "${key}" appears twice in the same object (first at line ${first.line}, column ${first.column})`, keyStart);
      }
      seen.set(key, keyStart);
      this.skipSpace();
      if (this.text[this.at] !== ':') this.fail('json-syntax', `expected ':' after the key "${key}", found ${describeChar(this.text, this.at)}`, this.at);
      this.at++;
      this.skipSpace();
      const value = this.value(depth);
      members.push({ key, keyStart, keyEnd, value });
      this.skipSpace();
      const next = this.text[this.at];
      if (next === ',') {
        this.at++;
        continue;
      }
      if (next === '}') {
        this.at++;
        return { kind: 'object', start, end: this.at, members };
      }
      this.fail('json-syntax', `expected ',' or '}' after the value of "${key}", found ${describeChar(this.text, this.at)}`, this.at);
    }
  }

  array(depth: number): JsonNode {
    if (depth > this.maxDepth) this.fail('json-too-deep', `values are nested more than ${this.maxDepth} levels deep`, this.at);
    const start = this.at++;
    const items: JsonNode[] = [];
    this.skipSpace();
    if (this.text[this.at] === ']') {
      this.at++;
      return { kind: 'array', start, end: this.at, items };
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.at] === ']' && items.length > 0) {
        this.fail('json-syntax', 'a comma is followed by "]" (trailing commas are not allowed in JSON)', this.at);
      }
      items.push(this.value(depth));
      this.skipSpace();
      const next = this.text[this.at];
      if (next === ',') {
        this.at++;
        continue;
      }
      if (next === ']') {
        this.at++;
        return { kind: 'array', start, end: this.at, items };
      }
      this.fail('json-syntax', `expected ',' or ']' in a list, found ${describeChar(this.text, this.at)}`, this.at);
    }
  }

  string(): string {
    const t = this.text;
    const open = this.at++;
    let out = '';
    let runStart = this.at;
    for (;;) {
      if (this.at >= t.length) this.fail('json-syntax', 'a string is not closed (missing ")', open);
      const c = t.charCodeAt(this.at);
      if (c === 0x22) {
        out += t.slice(runStart, this.at);
        this.at++;
        return out;
      }
      if (c < 0x20) {
        if (c === 0x0a) this.fail('json-syntax', 'a string runs past the end of the line (missing ")', open);
        this.fail('json-syntax', 'a control character inside a string must be escaped', this.at);
      }
      if (c !== 0x5c) {
        this.at++;
        continue;
      }
      out += t.slice(runStart, this.at);
      const esc = t[this.at + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (esc !== undefined && esc in simple) {
        out += simple[esc];
        this.at += 2;
      } else if (esc === 'u') {
        const hex = t.slice(this.at + 2, this.at + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('json-syntax', 'a \\u escape needs four hexadecimal digits', this.at);
        out += String.fromCharCode(parseInt(hex, 16));
        this.at += 6;
      } else {
        this.fail('json-syntax', `unknown escape "\\${esc ?? ''}" in a string`, this.at);
      }
      runStart = this.at;
    }
  }

  number(): JsonNode {
    const start = this.at;
    const match = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(this.text.slice(start, start + 400));
    if (!match || match[0] === '-') this.fail('json-syntax', 'a number is malformed', start);
    const raw = match[0];
    const after = this.text[start + raw.length];
    if (after !== undefined && /[0-9A-Za-z.+-]/.test(after)) this.fail('json-syntax', 'a number is malformed', start);
    this.at = start + raw.length;
    return { kind: 'number', start, end: this.at, value: Number(raw), raw };
  }
}
