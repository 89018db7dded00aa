// Reads typed fields out of a located policy.json document: objects with only known keys, strings,
// file paths, base64; refuses with the position and path of the offending value, collects warnings.

import type { JsonMember, JsonNode, JsonObjectNode, LocatedJson, Position } from './located-json.ts';
import type { FeatureLevel, PolicyWarning } from './policy-model.ts';
import { keylessAdvice, PolicyFileError, type KeylessAdvice, type PolicyFileCode } from './policy-file-error.ts';

/** Keys people write that no containers/image release knows (see shared/notes/containers-policy.md §3). */
const UNRELEASED_KEYS: Record<string, string> = {
  subject: 'no containers/image release has a "subject" field; Fulcio identities are matched only by "subjectEmail"',
  subjectURI: 'no containers/image release can match a certificate URI (a GitHub Actions workflow identity)',
  subjectRegExp: 'no containers/image release can match a certificate identity by regular expression',
  buildSignerURI: '"buildSignerURI" is only proposed upstream (container-libs PR #625) and is in no release',
  issuer: 'the field is called "oidcIssuer" and lives inside "fulcio"',
};

/** Where a value sits in the document: keys and list indexes from the top. */
export type PolicyPath = readonly (string | number)[];

function describePath(path: PolicyPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z][A-Za-z0-9-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

export function describeKind(node: JsonNode): string {
  if (node.kind === 'object') return 'an object';
  if (node.kind === 'array') return 'a list';
  if (node.kind === 'null') return 'null';
  return `a ${node.kind}`;
}

/** One pass over one document: the reader refuses at the first error and accumulates warnings and the feature level. */
export class PolicyFieldReader {
  readonly doc: LocatedJson;
  readonly source: string;
  readonly warnings: PolicyWarning[] = [];
  requires: FeatureLevel = 0;

  constructor(doc: LocatedJson, source: string) {
    this.doc = doc;
    this.source = source;
  }

  at(offset: number): Position {
    return this.doc.positionAt(offset);
  }

  fail(offset: number, path: PolicyPath, problem: string, fix: string, code: PolicyFileCode = 'policy-invalid', keyless?: KeylessAdvice): never {
    throw new PolicyFileError({ code, source: this.source, position: this.at(offset), path: describePath(path), problem, fix, ...(keyless ? { keyless } : {}) });
  }

  warn(offset: number, message: string): void {
    this.warnings.push({ at: this.at(offset), message });
  }

  need(level: FeatureLevel): void {
    if (level > this.requires) this.requires = level;
  }

  object(node: JsonNode, path: PolicyPath, what: string): JsonObjectNode {
    if (node.kind !== 'object') {
      this.fail(node.start, path, `${what} must be a JSON object ({…}), not ${describeKind(node)}`, `Write it as an object, as in \`man containers-policy.json\`.`);
    }
    return node;
  }

  /** Members of an object, refusing keys outside `known` (the keyless block gets its own answer). */
  members(node: JsonObjectNode, path: PolicyPath, known: readonly string[], where: string): Map<string, JsonMember> {
    const out = new Map<string, JsonMember>();
    for (const member of node.members) {
      if (!known.includes(member.key)) this.unknownKey(member, path, known, where);
      out.set(member.key, member);
    }
    return out;
  }

  unknownKey(member: JsonMember, path: PolicyPath, known: readonly string[], where: string): never {
    const at = [...path, member.key];
    if (member.key === 'keyless') this.keyless(member, at);
    const why = UNRELEASED_KEYS[member.key];
    this.fail(
      member.keyStart,
      at,
      `unknown key "${member.key}" in ${where}${why ? ` (${why})` : ''}`,
      `Remove it. Keys allowed here: ${known.map((k) => `"${k}"`).join(', ')}.`,
    );
  }

  keyless(member: JsonMember, path: PolicyPath): never {
    const value = member.value;
    const field = (name: string): string | undefined => {
      if (value.kind !== 'object') return undefined;
      const m = value.members.find((x) => x.key === name);
      return m?.value.kind === 'string' ? m.value.value : undefined;
    };
    const advice = keylessAdvice(field('issuer'), field('subject'));
    this.fail(
      member.keyStart,
      path,
      'unknown key "keyless": no containers/image release has a "keyless" block (it comes from the Vespera image-signing document, which is wrong here)',
      advice.explanation,
      'policy-keyless',
      advice,
    );
  }

  string(member: JsonMember, path: PolicyPath): string {
    const node = member.value;
    if (node.kind !== 'string') this.fail(node.start, [...path, member.key], `"${member.key}" must be a string, not ${describeKind(node)}`, 'Write it as a "quoted" string.');
    return node.value;
  }

  filePath(member: JsonMember, path: PolicyPath): string {
    const value = this.string(member, path);
    if (value === '') this.fail(member.value.start, [...path, member.key], `"${member.key}" is empty`, 'Give the absolute path of the file, or remove the key.');
    if (!value.startsWith('/')) {
      this.warn(member.value.start, `"${member.key}" is the relative path "${value}": containers/image resolves it against the working directory of whatever program pulls (podman, rpm-ostree, bootc), so it points at different files; use an absolute path.`);
    }
    return value;
  }

  filePaths(member: JsonMember, path: PolicyPath): string[] {
    const node = member.value;
    const at = [...path, member.key];
    if (node.kind !== 'array') this.fail(node.start, at, `"${member.key}" must be a list of paths, not ${describeKind(node)}`, 'Write it as ["/path/one", "/path/two"].');
    if (node.items.length === 0) this.fail(node.start, at, `"${member.key}" contains no entries`, 'List at least one path, or remove the key.');
    return node.items.map((item, i) => this.filePath({ key: String(i), keyStart: item.start, keyEnd: item.start, value: item }, at));
  }

  base64(member: JsonMember, path: PolicyPath): Buffer {
    const text = this.string(member, path);
    const compact = text.replace(/[\r\n]/g, '');
    if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
      this.fail(member.value.start, [...path, member.key], `"${member.key}" is not valid base64`, 'Give the base64 encoding of the PEM text (base64 -w0 < key.pub), or use the matching *Path key with a file.');
    }
    return Buffer.from(compact, 'base64');
  }

  base64List(member: JsonMember, path: PolicyPath): Buffer[] {
    const node = member.value;
    const at = [...path, member.key];
    if (node.kind !== 'array') this.fail(node.start, at, `"${member.key}" must be a list of base64 strings, not ${describeKind(node)}`, 'Write it as ["…", "…"].');
    if (node.items.length === 0) this.fail(node.start, at, `"${member.key}" contains no entries`, 'List at least one key, or remove the key.');
    return node.items.map((item, i) => this.base64({ key: String(i), keyStart: item.start, keyEnd: item.start, value: item }, at));
  }
}
