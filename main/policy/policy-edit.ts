// Edits policy.json text in place (set the default, add or replace a scope) so the user's own layout,
// order and rules stay byte-for-byte where they were and a plan's diff shows only what changes.

import { memberOf, readLocatedJson, type JsonNode, type JsonObjectNode } from './located-json.ts';
import { MAX_POLICY_CHARS } from './policy-parse.ts';

export class PolicyTextEditor {
  #text: string;
  readonly #unit: string;

  constructor(text: string) {
    this.#text = text;
    this.#unit = detectIndentUnit(text);
  }

  get text(): string {
    return this.#text;
  }

  #root(): JsonObjectNode {
    const root = readLocatedJson(this.#text, { maxLength: MAX_POLICY_CHARS }).root;
    if (root.kind !== 'object') throw new TypeError('policy text is not a JSON object');
    return root;
  }

  #lineIndent(offset: number): string {
    const lineStart = this.#text.lastIndexOf('\n', offset - 1) + 1;
    return /^[ \t]*/.exec(this.#text.slice(lineStart))?.[0] ?? '';
  }

  /** Indentation of an object's members: that of its members if they start lines, else one level in. */
  #memberIndent(obj: JsonObjectNode): string {
    const first = obj.members[0];
    if (first) {
      const lineStart = this.#text.lastIndexOf('\n', first.keyStart - 1) + 1;
      if (/^[ \t]*$/.test(this.#text.slice(lineStart, first.keyStart))) return this.#text.slice(lineStart, first.keyStart);
    }
    return this.#lineIndent(obj.start) + this.#unit;
  }

  #format(value: unknown, indent: string): string {
    return JSON.stringify(value, null, this.#unit).replaceAll('\n', `\n${indent}`);
  }

  #splice(start: number, end: number, insert: string): void {
    this.#text = this.#text.slice(0, start) + insert + this.#text.slice(end);
  }

  #replaceValue(node: JsonNode, value: unknown): void {
    this.#splice(node.start, node.end, this.#format(value, this.#lineIndent(node.start)));
  }

  /** Adds `key: value` to an object; a new docker scope goes before a trailing "" catch-all. */
  #addMember(obj: JsonObjectNode, key: string, value: unknown): void {
    const indent = this.#memberIndent(obj);
    const entry = `${JSON.stringify(key)}: ${this.#format(value, indent)}`;
    const last = obj.members[obj.members.length - 1];
    if (!last) {
      const outer = this.#lineIndent(obj.start);
      this.#splice(obj.start, obj.end, `{\n${indent}${entry}\n${outer}}`);
    } else if (last.key === '' && key !== '') {
      this.#splice(last.keyStart, last.keyStart, `${entry},\n${indent}`);
    } else {
      this.#splice(last.value.end, last.value.end, `,\n${indent}${entry}`);
    }
  }

  setDefault(requirements: unknown[]): void {
    const member = memberOf(this.#root(), 'default');
    if (member) this.#replaceValue(member.value, requirements);
    else this.#addMember(this.#root(), 'default', requirements);
  }

  #transports(): JsonObjectNode {
    let member = memberOf(this.#root(), 'transports');
    if (!member) {
      this.#addMember(this.#root(), 'transports', {});
      member = memberOf(this.#root(), 'transports');
    }
    if (member?.value.kind !== 'object') throw new TypeError('"transports" is not an object');
    return member.value;
  }

  /** Sets the requirements of `transport`/`scope`, adding the transport and scope as needed. */
  setScope(transport: string, scope: string, requirements: unknown[]): void {
    let rules = memberOf(this.#transports(), transport);
    if (!rules) {
      this.#addMember(this.#transports(), transport, {});
      rules = memberOf(this.#transports(), transport);
    }
    if (rules?.value.kind !== 'object') throw new TypeError(`transport "${transport}" is not an object`);
    const existing = memberOf(rules.value, scope);
    if (existing) this.#replaceValue(existing.value, requirements);
    else this.#addMember(rules.value, scope, requirements);
  }
}

/** The indentation step the file uses (its first indented line), or four spaces. */
export function detectIndentUnit(text: string): string {
  const match = /\n([ \t]+)\S/.exec(text);
  if (!match?.[1]) return '    ';
  return match[1].startsWith('\t') ? '\t' : match[1];
}
