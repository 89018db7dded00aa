// containers-registries.d: parses each *.yaml, merges them with containers/image's rules (a scope, or
// default-docker, defined in two files is fatal) and answers whether cosign attachments are fetched.

import { isMap, isScalar, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import type { DockerReference } from '../shared/image-reference.ts';
import { CodedError } from '../shared/errors.ts';
import { dockerScopeCandidates, type ScopeKind } from './docker-scopes.ts';

export type RegistriesCode = 'registries-invalid' | 'registries-conflict';

export const REGISTRIES_LOAD_CONSEQUENCE =
  'containers/image refuses to load registries.d while this is so, and every pull from a registry fails (rpm-ostree and bootc updates, podman, skopeo).';

export class RegistriesError extends CodedError<RegistriesCode> {
  readonly file: string;
  readonly line?: number;

  constructor(code: RegistriesCode, file: string, line: number | undefined, problem: string, fix: string) {
    super(code, `${file}${line !== undefined ? `, line ${line}` : ''}: ${problem}. ${REGISTRIES_LOAD_CONSEQUENCE} ${fix}`);
    this.file = file;
    if (line !== undefined) this.line = line;
  }
}

/** One scope's settings; unset fields fall through to broader scopes. */
export interface RegistriesEntry {
  readonly scope: string;
  readonly file: string;
  readonly line: number;
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

const NAMESPACE_KEYS = ['lookaside', 'lookaside-staging', 'sigstore', 'sigstore-staging', 'use-sigstore-attachments'];
// yaml.v3 reads these YAML 1.1 spellings as booleans when the field is a bool.
const YAML11_TRUE = ['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON'];
const YAML11_FALSE = ['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'];

export function parseRegistriesFile(name: string, text: string): RegistriesFileContent {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const lineOf = (node: unknown): number | undefined => {
    const offset = (node as Node | undefined)?.range?.[0];
    return offset === undefined ? undefined : lines.linePos(offset).line;
  };
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line;
    const duplicate = first.code === 'DUPLICATE_KEY';
    throw new RegistriesError(
      'registries-invalid',
      name,
      line,
      duplicate ? `a key is defined twice in the same mapping (${first.message.split('\n')[0] ?? ''})` : `not valid YAML (${first.message.split('\n')[0] ?? ''})`,
      duplicate ? 'Keep one of them.' : 'Fix the syntax or remove the file.',
    );
  }
  const warnings: RegistriesWarning[] = [];
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) return { docker: [], warnings };
  if (!isMap(contents)) throw new RegistriesError('registries-invalid', name, lineOf(contents), 'the file must be a mapping with "docker:" and/or "default-docker:"', 'Fix its structure.');

  let defaultDocker: RegistriesEntry | undefined;
  const docker: RegistriesEntry[] = [];
  for (const pair of contents.items) {
    const key = scalarKey(pair);
    if (key === 'default-docker') {
      const entry = readEntry(name, 'default-docker', pair.value, lineOf(pair.key) ?? 1, lineOf, warnings);
      if (entry) defaultDocker = entry;
    } else if (key === 'docker') {
      if (pair.value === null || (isScalar(pair.value) && pair.value.value === null)) continue;
      if (!isMap(pair.value)) throw new RegistriesError('registries-invalid', name, lineOf(pair.value), '"docker" must be a mapping of scopes (registry/namespace/repository) to settings', 'Fix its structure.');
      for (const scopePair of pair.value.items) {
        const scope = scalarKey(scopePair);
        const line = lineOf(scopePair.key) ?? 1;
        const entry = readEntry(name, scope, scopePair.value, line, lineOf, warnings) ?? { scope, file: name, line };
        docker.push(entry);
      }
    } else {
      warnings.push({ file: name, ...lineAt(lineOf(pair.key)), message: `"${key}" is not a registries.d setting and is ignored (known: docker, default-docker).` });
    }
  }
  if (doc.contents && text.includes('\n---')) {
    warnings.push({ file: name, message: 'only the first YAML document of the file is read; settings after "---" are ignored.' });
  }
  return { ...(defaultDocker ? { defaultDocker } : {}), docker, warnings };
}

function lineAt(line: number | undefined): { line?: number } {
  return line === undefined ? {} : { line };
}

function scalarKey(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function readEntry(
  file: string,
  scope: string,
  value: unknown,
  line: number,
  lineOf: (node: unknown) => number | undefined,
  warnings: RegistriesWarning[],
): RegistriesEntry | undefined {
  // A scope with no settings (`ghcr.io/x:` alone) is still defined; `default-docker:` alone is not.
  if (value === null || value === undefined || (isScalar(value) && value.value === null)) return scope === 'default-docker' ? undefined : { scope, file, line };
  if (!isMap(value)) throw new RegistriesError('registries-invalid', file, lineOf(value), `the settings of "${scope}" must be a mapping`, 'Write them as "key: value" lines under the scope.');
  const fields: { useSigstoreAttachments?: boolean; lookaside?: string; lookasideStaging?: string } = {};
  for (const pair of value.items) {
    const key = scalarKey(pair);
    const at = lineOf(pair.value) ?? line;
    if (!NAMESPACE_KEYS.includes(key)) {
      warnings.push({ file, line: lineOf(pair.key) ?? line, message: `"${key}" under "${scope}" is not a registries.d setting and is ignored${key.startsWith('use-sigstore') ? ' (the setting is "use-sigstore-attachments")' : ''}.` });
      continue;
    }
    const node = pair.value;
    if (node === null || (isScalar(node) && node.value === null)) continue;
    if (!isScalar(node)) throw new RegistriesError('registries-invalid', file, at, `"${key}" of "${scope}" must be a single value`, 'Fix it.');
    if (key === 'use-sigstore-attachments') {
      const raw = node.value;
      if (typeof raw === 'boolean') fields.useSigstoreAttachments = raw;
      else if (typeof raw === 'string' && (YAML11_TRUE.includes(raw) || YAML11_FALSE.includes(raw))) {
        fields.useSigstoreAttachments = YAML11_TRUE.includes(raw);
        warnings.push({ file, line: at, message: `"${raw}" is read as ${String(fields.useSigstoreAttachments)} by containers/image but not by every YAML reader; write ${String(fields.useSigstoreAttachments)}.` });
      } else {
        throw new RegistriesError('registries-invalid', file, at, `"use-sigstore-attachments" of "${scope}" must be true or false, not ${JSON.stringify(raw)}`, 'Write true or false.');
      }
    } else {
      if (typeof node.value !== 'string') throw new RegistriesError('registries-invalid', file, at, `"${key}" of "${scope}" must be a URL string`, 'Write a URL such as https://example.com/sigstore.');
      // `sigstore`/`sigstore-staging` are the old names; containers/image prefers the new ones.
      if (key === 'lookaside' || (key === 'sigstore' && fields.lookaside === undefined)) fields.lookaside = node.value;
      if (key === 'lookaside-staging' || (key === 'sigstore-staging' && fields.lookasideStaging === undefined)) fields.lookasideStaging = node.value;
    }
  }
  return { scope, file, line, ...fields };
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
        throw new RegistriesError('registries-conflict', file.name, content.defaultDocker.line, `"default-docker" is also defined in ${defaultDocker.file}`, 'Keep "default-docker" in one file only.');
      }
      defaultDocker = content.defaultDocker;
    }
    for (const entry of content.docker) {
      const earlier = docker.get(entry.scope);
      if (earlier) {
        throw new RegistriesError(
          'registries-conflict',
          file.name,
          entry.line,
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
