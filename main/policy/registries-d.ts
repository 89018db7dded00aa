// containers-registries.d: parses each *.yaml, merges them with containers/image's rules (a scope, or
// default-docker, defined in two files is fatal) and answers whether cosign attachments are fetched.

import { CST, isMap, isScalar, LineCounter, Parser, parseDocument, visit, type Node, type Pair } from 'yaml';
import type { DockerReference } from '../shared/image-reference.ts';
import { CodedError } from '../shared/errors.ts';
import { dockerScopeCandidates, type ScopeKind } from './docker-scopes.ts';

export type RegistriesCode = 'registries-invalid' | 'registries-conflict' | 'registries-unsupported';

export const REGISTRIES_LOAD_CONSEQUENCE =
  'containers/image refuses to load registries.d while this is so, and every pull from a registry fails (rpm-ostree and bootc updates, podman, skopeo).';
const UNSUPPORTED_CONSEQUENCE = 'Vespera Updates reads registries.d only in the plain form every YAML reader reads alike, and does not guess what containers/image makes of the rest.';

/** Where something is in a file: 1-based line and column. */
export interface TextPosition {
  readonly line: number;
  readonly column: number;
}

export class RegistriesError extends CodedError<RegistriesCode> {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;

  constructor(code: RegistriesCode, file: string, at: TextPosition | undefined, problem: string, fix: string) {
    const where = at ? `, line ${at.line}, column ${at.column}` : '';
    super(code, `${file}${where}: ${problem}. ${code === 'registries-unsupported' ? UNSUPPORTED_CONSEQUENCE : REGISTRIES_LOAD_CONSEQUENCE} ${fix}`);
    this.file = file;
    if (at) {
      this.line = at.line;
      this.column = at.column;
    }
  }
}

/** One scope's settings; unset fields fall through to broader scopes. */
export interface RegistriesEntry {
  readonly scope: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly useSigstoreAttachments?: boolean;
  readonly lookaside?: string;
  readonly lookasideStaging?: string;
}

export interface RegistriesWarning {
  readonly file: string;
  readonly line?: number;
  readonly message: string;
}

export interface RegistriesFileContent {
  readonly defaultDocker?: RegistriesEntry;
  readonly docker: readonly RegistriesEntry[];
  readonly warnings: readonly RegistriesWarning[];
}

export interface RegistriesConfig {
  readonly defaultDocker?: RegistriesEntry;
  readonly docker: ReadonlyMap<string, RegistriesEntry>;
  /** The *.yaml files read, by name. */
  readonly files: readonly string[];
  readonly warnings: readonly RegistriesWarning[];
}

export interface RegistriesFile {
  /** The file name inside registries.d, e.g. `ublue-os.yaml`. */
  readonly name: string;
  readonly text: string;
}

export interface RegistriesParseOptions {
  /**
   * Refuse what would otherwise be a warning (unknown keys, YAML 1.1 booleans): for the file the app
   * writes as root, which must mean exactly what it says to every reader.
   */
  readonly strict?: boolean;
}

const START: TextPosition = { line: 1, column: 1 };
const NAMESPACE_KEYS = ['lookaside', 'lookaside-staging', 'sigstore', 'sigstore-staging', 'use-sigstore-attachments'];
// yaml.v3 reads these YAML 1.1 spellings as booleans when the field is a bool.
const YAML11_TRUE = ['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON'];
const YAML11_FALSE = ['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'];

/** Reads one file's text: positions of nodes, and warnings that strict mode turns into refusals. */
class RegistriesReader {
  readonly name: string;
  readonly strict: boolean;
  readonly warnings: RegistriesWarning[] = [];
  readonly #lines: LineCounter;

  constructor(name: string, lines: LineCounter, strict: boolean) {
    this.name = name;
    this.#lines = lines;
    this.strict = strict;
  }

  at(node: unknown): TextPosition | undefined {
    const offset = (node as Node | undefined)?.range?.[0];
    return offset === undefined ? undefined : this.atOffset(offset);
  }

  atOffset(offset: number): TextPosition {
    const pos = this.#lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  lineOf(node: unknown): number | undefined {
    return this.at(node)?.line;
  }

  fail(node: unknown, problem: string, fix: string): never {
    throw new RegistriesError('registries-invalid', this.name, this.at(node), problem, fix);
  }

  warn(node: unknown, message: string, fix: string): void {
    if (this.strict) throw new RegistriesError('registries-unsupported', this.name, this.at(node), message.replace(/\.$/, ''), fix);
    const line = this.lineOf(node);
    this.warnings.push({ file: this.name, ...(line !== undefined ? { line } : {}), message });
  }
}

/**
 * Go's YAML (which containers/image uses) applies `<<` merge keys that YAML 1.2 readers keep as a plain
 * key, and anchors, aliases and tags are where readers differ most; a file using any of them is refused,
 * naming the first one in the text.
 */
function refuseUnsharedYaml(name: string, text: string, doc: ReturnType<typeof parseDocument>, reader: RegistriesReader): void {
  const found: { offset: number; what: string }[] = [];
  for (const token of new Parser().parse(text)) {
    if (token.type !== 'document') continue;
    CST.visit(token, (item) => {
      for (const t of [...item.start, ...(item.sep ?? [])]) {
        if (t.type === 'anchor') found.push({ offset: t.offset, what: `a YAML anchor (${t.source})` });
        if (t.type === 'tag') found.push({ offset: t.offset, what: `a YAML tag (${t.source})` });
      }
      for (const node of [item.key, item.value]) if (node?.type === 'alias') found.push({ offset: node.offset, what: `a YAML alias (${node.source})` });
    });
  }
  visit(doc, {
    Pair(_key, pair) {
      const key = pair.key;
      if (isScalar(key) && key.value === '<<') found.push({ offset: key.range?.[0] ?? 0, what: 'a YAML merge key ("<<"), which containers/image applies and other YAML readers keep as a plain key' });
    },
    Alias(_key, node) {
      found.push({ offset: node.range?.[0] ?? 0, what: `a YAML alias (*${node.source})` });
    },
    Node(_key, node) {
      if (node.anchor || node.tag) found.push({ offset: node.range?.[0] ?? 0, what: node.anchor ? `a YAML anchor (&${node.anchor})` : `a YAML tag (${node.tag ?? ''})` });
    },
  });
  const first = found.sort((a, b) => a.offset - b.offset)[0];
  if (first) throw new RegistriesError('registries-unsupported', name, reader.atOffset(first.offset), `uses ${first.what}`, 'Write every setting out in full, without anchors, aliases, merge keys or tags.');
}

export function parseRegistriesFile(name: string, text: string, options: RegistriesParseOptions = {}): RegistriesFileContent {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const reader: RegistriesReader = new RegistriesReader(name, lines, options.strict === true);
  const first = doc.errors[0];
  if (first) {
    const duplicate = first.code === 'DUPLICATE_KEY';
    const several = first.code === 'MULTIPLE_DOCS';
    throw new RegistriesError(
      'registries-invalid',
      name,
      reader.atOffset(first.pos[0]),
      duplicate
        ? `a key is defined twice in the same mapping (${first.message.split('\n')[0] ?? ''})`
        : several
          ? 'the file holds more than one YAML document ("---")'
          : `not valid YAML (${first.message.split('\n')[0] ?? ''})`,
      duplicate ? 'Keep one of them.' : several ? 'Keep one document per file.' : 'Fix the syntax or remove the file.',
    );
  }
  refuseUnsharedYaml(name, text, doc, reader);
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) return { docker: [], warnings: reader.warnings };
  if (!isMap(contents)) reader.fail(contents, 'the file must be a mapping with "docker:" and/or "default-docker:"', 'Fix its structure.');

  let defaultDocker: RegistriesEntry | undefined;
  const docker: RegistriesEntry[] = [];
  for (const pair of contents.items) {
    const key = scalarKey(pair);
    if (key === 'default-docker') {
      const entry = readEntry(reader, 'default-docker', pair.value, reader.at(pair.key) ?? START);
      if (entry) defaultDocker = entry;
    } else if (key === 'docker') {
      if (pair.value === null || (isScalar(pair.value) && pair.value.value === null)) continue;
      if (!isMap(pair.value)) reader.fail(pair.value, '"docker" must be a mapping of scopes (registry/namespace/repository) to settings', 'Fix its structure.');
      for (const scopePair of pair.value.items) {
        const scope = scalarKey(scopePair);
        const at = reader.at(scopePair.key) ?? START;
        const entry = readEntry(reader, scope, scopePair.value, at) ?? { scope, file: name, ...at };
        docker.push(entry);
      }
    } else {
      reader.warn(pair.key, `"${key}" is not a registries.d setting and is ignored (known: docker, default-docker).`, 'Remove it.');
    }
  }
  return { ...(defaultDocker ? { defaultDocker } : {}), docker, warnings: reader.warnings };
}

function scalarKey(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function readEntry(reader: RegistriesReader, scope: string, value: unknown, at: TextPosition): RegistriesEntry | undefined {
  const file = reader.name;
  // A scope with no settings (`ghcr.io/x:` alone) is still defined; `default-docker:` alone is not.
  if (value === null || value === undefined || (isScalar(value) && value.value === null)) return scope === 'default-docker' ? undefined : { scope, file, ...at };
  if (!isMap(value)) reader.fail(value, `the settings of "${scope}" must be a mapping`, 'Write them as "key: value" lines under the scope.');
  const fields: { useSigstoreAttachments?: boolean; lookaside?: string; lookasideStaging?: string } = {};
  for (const pair of value.items) {
    const key = scalarKey(pair);
    if (!NAMESPACE_KEYS.includes(key)) {
      reader.warn(pair.key, `"${key}" under "${scope}" is not a registries.d setting and is ignored${key.startsWith('use-sigstore') ? ' (the setting is "use-sigstore-attachments")' : ''}.`, `Remove it (known: ${NAMESPACE_KEYS.join(', ')}).`);
      continue;
    }
    const node = pair.value;
    if (node === null || (isScalar(node) && node.value === null)) continue;
    if (!isScalar(node)) reader.fail(node, `"${key}" of "${scope}" must be a single value`, 'Fix it.');
    if (key === 'use-sigstore-attachments') {
      const raw = node.value;
      if (typeof raw === 'boolean') fields.useSigstoreAttachments = raw;
      else if (typeof raw === 'string' && (YAML11_TRUE.includes(raw) || YAML11_FALSE.includes(raw))) {
        fields.useSigstoreAttachments = YAML11_TRUE.includes(raw);
        reader.warn(node, `"${raw}" is read as ${String(fields.useSigstoreAttachments)} by containers/image but not by every YAML reader; write ${String(fields.useSigstoreAttachments)}.`, `Write ${String(fields.useSigstoreAttachments)}.`);
      } else {
        reader.fail(node, `"use-sigstore-attachments" of "${scope}" must be true or false, not ${JSON.stringify(raw)}`, 'Write true or false.');
      }
    } else {
      if (typeof node.value !== 'string') reader.fail(node, `"${key}" of "${scope}" must be a URL string`, 'Write a URL such as https://example.com/sigstore.');
      // `sigstore`/`sigstore-staging` are the old names; containers/image prefers the new ones.
      if (key === 'lookaside' || (key === 'sigstore' && fields.lookaside === undefined)) fields.lookaside = node.value;
      if (key === 'lookaside-staging' || (key === 'sigstore-staging' && fields.lookasideStaging === undefined)) fields.lookasideStaging = node.value;
    }
  }
  return { scope, file, ...at, ...fields };
}

/** Merges the files of one registries.d folder; a scope or default-docker in two files is fatal. */
export function mergeRegistriesFiles(files: readonly RegistriesFile[]): RegistriesConfig {
  let defaultDocker: RegistriesEntry | undefined;
  const docker = new Map<string, RegistriesEntry>();
  const warnings: RegistriesWarning[] = [];
  const read: string[] = [];
  for (const file of files) {
    if (!file.name.endsWith('.yaml')) {
      if (file.name.endsWith('.yml') || file.name.endsWith('.yaml.rpmnew')) {
        warnings.push({ file: file.name, message: 'containers/image reads only files ending in .yaml; this one is ignored.' });
      }
      continue;
    }
    read.push(file.name);
    const content = parseRegistriesFile(file.name, file.text);
    warnings.push(...content.warnings);
    if (content.defaultDocker) {
      if (defaultDocker) {
        throw new RegistriesError('registries-conflict', file.name, content.defaultDocker, `"default-docker" is also defined in ${defaultDocker.file}`, 'Keep "default-docker" in one file only.');
      }
      defaultDocker = content.defaultDocker;
    }
    for (const entry of content.docker) {
      const earlier = docker.get(entry.scope);
      if (earlier) {
        throw new RegistriesError(
          'registries-conflict',
          file.name,
          entry,
          `the scope "${entry.scope}" is also defined in ${earlier.file} (line ${earlier.line})`,
          'Define each scope in one file only: merge the two entries or remove one.',
        );
      }
      docker.set(entry.scope, entry);
    }
  }
  return { ...(defaultDocker ? { defaultDocker } : {}), docker, files: read, warnings };
}

export interface AttachmentsAnswer {
  /** containers/image fetches cosign `.sig` attachments for this image. */
  readonly enabled: boolean;
  /** The entry whose setting decided, or none (then the built-in default, off, applies). */
  readonly decidedBy?: { readonly scope: string; readonly file: string; readonly line: number; readonly kind: ScopeKind | 'default-docker' };
  /** More specific entries that exist but leave the setting unset (the lookup falls through them). */
  readonly passedOver: readonly RegistriesEntry[];
  readonly explanation: string;
}

/** Whether containers/image looks for sigstore attachments for `ref`: the most specific scope that sets it wins. */
export function sigstoreAttachmentsFor(config: RegistriesConfig, ref: DockerReference): AttachmentsAnswer {
  const passedOver: RegistriesEntry[] = [];
  for (const candidate of dockerScopeCandidates(ref)) {
    const entry = config.docker.get(candidate.scope);
    if (!entry) continue;
    if (entry.useSigstoreAttachments === undefined) {
      passedOver.push(entry);
      continue;
    }
    return answer(entry.useSigstoreAttachments, { scope: entry.scope, file: entry.file, line: entry.line, kind: candidate.kind }, passedOver);
  }
  const fallback = config.defaultDocker;
  if (fallback?.useSigstoreAttachments !== undefined) {
    return answer(fallback.useSigstoreAttachments, { scope: 'default-docker', file: fallback.file, line: fallback.line, kind: 'default-docker' }, passedOver);
  }
  return answer(false, undefined, passedOver);
}

function answer(enabled: boolean, decidedBy: AttachmentsAnswer['decidedBy'], passedOver: RegistriesEntry[]): AttachmentsAnswer {
  const where = decidedBy ? `"${decidedBy.scope}" in registries.d/${decidedBy.file} (line ${decidedBy.line})` : 'no registries.d entry';
  const explanation = enabled
    ? `containers/image fetches cosign signatures (sigstore attachments) for this image: use-sigstore-attachments is true for ${where}.`
    : `containers/image does not look for cosign signatures of this image (${decidedBy ? `use-sigstore-attachments is false for ${where}` : 'no registries.d entry enables use-sigstore-attachments for it'}), so every sigstoreSigned rule for it fails with "no signature exists".`;
  return { enabled, ...(decidedBy ? { decidedBy } : {}), passedOver, explanation };
}
