// Parses containers-policy.json text into the typed Policy with containers/image's strictness: unknown,
// duplicated or mistyped keys reject the whole file. Errors carry line, column, consequence and fix.

import { posix } from 'node:path';
import { CodedError } from '../shared/errors.ts';
import { parseDockerReference } from '../shared/image-reference.ts';
import {
  JsonSyntaxError,
  readLocatedJson,
  type JsonMember,
  type JsonNode,
  type JsonObjectNode,
  type LocatedJson,
  type Position,
} from './located-json.ts';
import {
  KNOWN_TRANSPORTS,
  SIGNED_BY_KEY_TYPES,
  type FeatureLevel,
  type GpgKeySource,
  type Policy,
  type PolicyWarning,
  type RekorKeys,
  type Requirement,
  type ScopeRules,
  type SignedByKeyType,
  type SignedIdentity,
  type SigstoreTrust,
  type TransportRules,
} from './policy-model.ts';

export type PolicyFileCode = 'policy-syntax' | 'policy-invalid' | 'policy-keyless' | 'policy-unreadable';

/** What the seed document's `"keyless": {issuer, subject}` block asked for, and what can be done. */
export interface KeylessAdvice {
  readonly issuer?: string;
  readonly subject?: string;
  /** The subject is a GitHub Actions (or other URI) identity, which no policy can express. */
  readonly expressible: boolean;
  /** The valid replacement when the subject is an e-mail address. */
  readonly equivalent?: Record<string, unknown>;
  readonly explanation: string;
}

export class PolicyFileError extends CodedError<PolicyFileCode> {
  readonly source: string;
  readonly position?: Position;
  /** Where in the document: `transports.docker["ghcr.io/acme"][0].keyless`. */
  readonly path: string;
  readonly problem: string;
  readonly fix: string;
  readonly keyless?: KeylessAdvice;

  constructor(fields: {
    code: PolicyFileCode;
    source: string;
    position?: Position;
    path: string;
    problem: string;
    fix: string;
    keyless?: KeylessAdvice;
  }) {
    const where = fields.position ? `, line ${fields.position.line}, column ${fields.position.column}` : '';
    const at = fields.path ? ` (at ${fields.path})` : '';
    super(fields.code, `${fields.source}${where}${at}: ${fields.problem}. ${POLICY_LOAD_CONSEQUENCE} ${fields.fix}`);
    this.source = fields.source;
    if (fields.position) this.position = fields.position;
    this.path = fields.path;
    this.problem = fields.problem;
    this.fix = fields.fix;
    if (fields.keyless) this.keyless = fields.keyless;
  }

  override toJSON(): { code: PolicyFileCode; message: string } & Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      source: this.source,
      ...(this.position ? { line: this.position.line, column: this.position.column } : {}),
      path: this.path,
      problem: this.problem,
      fix: this.fix,
      ...(this.keyless ? { keyless: this.keyless } : {}),
    };
  }
}

export const POLICY_LOAD_CONSEQUENCE =
  'containers/image refuses the whole file, so while it is in place every image pull on this host fails: rpm-ostree and bootc updates, podman, skopeo.';

export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
export const MAX_POLICY_CHARS = 1024 * 1024;

/** Keys people write that no containers/image release knows (see shared/notes/containers-policy.md §3). */
const UNRELEASED_KEYS: Record<string, string> = {
  subject: 'no containers/image release has a "subject" field; Fulcio identities are matched only by "subjectEmail"',
  subjectURI: 'no containers/image release can match a certificate URI (a GitHub Actions workflow identity)',
  subjectRegExp: 'no containers/image release can match a certificate identity by regular expression',
  buildSignerURI: '"buildSignerURI" is only proposed upstream (container-libs PR #625) and is in no release',
  issuer: 'the field is called "oidcIssuer" and lives inside "fulcio"',
};

type Path = readonly (string | number)[];

export function parsePolicyText(text: string, source: string): Policy {
  let doc: LocatedJson;
  try {
    doc = readLocatedJson(text, { maxLength: MAX_POLICY_CHARS, maxDepth: 32 });
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    const duplicate = error.code === 'json-duplicate-key';
    throw new PolicyFileError({
      code: duplicate ? 'policy-invalid' : 'policy-syntax',
      source,
      position: error.position,
      path: '',
      problem: duplicate ? error.problem : `not valid JSON: ${error.problem}`,
      fix: duplicate
        ? 'Keep one of the two entries (containers/image rejects duplicated keys rather than picking one).'
        : 'Fix the syntax (check with `jq . FILE`), or restore the file from a backup.',
    });
  }
  return new PolicyReader(doc, source).policy();
}

function describePath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z][A-Za-z0-9-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

function describeKind(node: JsonNode): string {
  if (node.kind === 'object') return 'an object';
  if (node.kind === 'array') return 'a list';
  if (node.kind === 'null') return 'null';
  return `a ${node.kind}`;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const REMAP_DOMAIN = new RegExp(`^${DOMAIN}$`);
const REMAP_NAME = new RegExp(`^${DOMAIN}/${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DIGEST_SCOPE = /^(?:sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;

class PolicyReader {
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

  fail(offset: number, path: Path, problem: string, fix: string, code: PolicyFileCode = 'policy-invalid', keyless?: KeylessAdvice): never {
    throw new PolicyFileError({ code, source: this.source, position: this.at(offset), path: describePath(path), problem, fix, ...(keyless ? { keyless } : {}) });
  }

  warn(offset: number, message: string): void {
    this.warnings.push({ at: this.at(offset), message });
  }

  need(level: FeatureLevel): void {
    if (level > this.requires) this.requires = level;
  }

  object(node: JsonNode, path: Path, what: string): JsonObjectNode {
    if (node.kind !== 'object') {
      this.fail(node.start, path, `${what} must be a JSON object ({…}), not ${describeKind(node)}`, `Write it as an object, as in \`man containers-policy.json\`.`);
    }
    return node;
  }

  /** Members of an object, refusing keys outside `known` (the keyless block gets its own answer). */
  members(node: JsonObjectNode, path: Path, known: readonly string[], where: string): Map<string, JsonMember> {
    const out = new Map<string, JsonMember>();
    for (const member of node.members) {
      if (!known.includes(member.key)) this.unknownKey(member, path, known, where);
      out.set(member.key, member);
    }
    return out;
  }

  unknownKey(member: JsonMember, path: Path, known: readonly string[], where: string): never {
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

  keyless(member: JsonMember, path: Path): never {
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

  string(member: JsonMember, path: Path): string {
    const node = member.value;
    if (node.kind !== 'string') this.fail(node.start, [...path, member.key], `"${member.key}" must be a string, not ${describeKind(node)}`, 'Write it as a "quoted" string.');
    return node.value;
  }

  filePath(member: JsonMember, path: Path): string {
    const value = this.string(member, path);
    if (value === '') this.fail(member.value.start, [...path, member.key], `"${member.key}" is empty`, 'Give the absolute path of the file, or remove the key.');
    if (!value.startsWith('/')) {
      this.warn(member.value.start, `"${member.key}" is the relative path "${value}": containers/image resolves it against the working directory of whatever program pulls (podman, rpm-ostree, bootc), so it points at different files; use an absolute path.`);
    }
    return value;
  }

  filePaths(member: JsonMember, path: Path): string[] {
    const node = member.value;
    const at = [...path, member.key];
    if (node.kind !== 'array') this.fail(node.start, at, `"${member.key}" must be a list of paths, not ${describeKind(node)}`, 'Write it as ["/path/one", "/path/two"].');
    if (node.items.length === 0) this.fail(node.start, at, `"${member.key}" contains no entries`, 'List at least one path, or remove the key.');
    return node.items.map((item, i) => this.filePath({ key: String(i), keyStart: item.start, keyEnd: item.start, value: item }, at));
  }

  base64(member: JsonMember, path: Path): Buffer {
    const text = this.string(member, path);
    const compact = text.replace(/[\r\n]/g, '');
    if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
      this.fail(member.value.start, [...path, member.key], `"${member.key}" is not valid base64`, 'Give the base64 encoding of the PEM text (base64 -w0 < key.pub), or use the matching *Path key with a file.');
    }
    return Buffer.from(compact, 'base64');
  }

  base64List(member: JsonMember, path: Path): Buffer[] {
    const node = member.value;
    const at = [...path, member.key];
    if (node.kind !== 'array') this.fail(node.start, at, `"${member.key}" must be a list of base64 strings, not ${describeKind(node)}`, 'Write it as ["…", "…"].');
    if (node.items.length === 0) this.fail(node.start, at, `"${member.key}" contains no entries`, 'List at least one key, or remove the key.');
    return node.items.map((item, i) => this.base64({ key: String(i), keyStart: item.start, keyEnd: item.start, value: item }, at));
  }

  policy(): Policy {
    const root = this.object(this.doc.root, [], 'The policy file');
    const top = this.members(root, [], ['default', 'transports'], 'the top level');
    const defaultMember = top.get('default');
    if (!defaultMember) {
      this.fail(root.start, [], 'there is no "default" requirement list', 'Add "default": [{"type": "reject"}] (rpm-ostree\'s ostree-image-signed refuses a default of insecureAcceptAnything).');
    }
    const defaults = this.requirements(defaultMember.value, ['default']);
    const transports: TransportRules[] = [];
    const transportsMember = top.get('transports');
    if (transportsMember) {
      const node = this.object(transportsMember.value, ['transports'], '"transports"');
      for (const member of node.members) transports.push(this.transport(member));
    }
    return {
      default: defaults,
      defaultAt: this.at(defaultMember.keyStart),
      transports,
      requires: this.requires,
      warnings: this.warnings,
    };
  }

  transport(member: JsonMember): TransportRules {
    const name = member.key;
    const path = ['transports', name];
    const node = this.object(member.value, path, `The rules of transport "${name}"`);
    if (!(KNOWN_TRANSPORTS as readonly string[]).includes(name)) {
      this.warn(member.keyStart, `containers/image has no transport called "${name}"; the rules under it are never consulted.`);
    }
    const scopes: ScopeRules[] = node.members.map((scopeMember) => {
      if (scopeMember.key !== '') this.checkScope(name, scopeMember, path);
      return { scope: scopeMember.key, at: this.at(scopeMember.keyStart), requirements: this.requirements(scopeMember.value, [...path, scopeMember.key]) };
    });
    return { transport: name, at: this.at(member.keyStart), scopes };
  }

  checkScope(transport: string, member: JsonMember, path: Path): void {
    const scope = member.key;
    const refuse = (why: string, fix: string): never => this.fail(member.keyStart, [...path, scope], `"${scope}" is not a valid scope for the ${transport} transport (${why}); containers/image reports it as an unknown key`, fix);
    switch (transport) {
      case 'docker':
        this.checkDockerScope(member);
        return;
      case 'dir':
      case 'oci':
      case 'oci-archive':
      case 'sif':
        if (!scope.startsWith('/')) refuse('it must be an absolute path', `Write the absolute path, e.g. "/${scope}".`);
        if (scope === '/') refuse('"/" is not allowed', 'Use the transport\'s default scope "" instead.');
        if (posix.normalize(scope).replace(/(.)\/$/, '$1') !== scope) refuse('the path is not in canonical form', `Write it as "${posix.normalize(scope).replace(/(.)\/$/, '$1')}".`);
        return;
      case 'docker-archive':
      case 'tarball':
        refuse(`${transport} supports no scope except the default ""`, 'Use the scope "" for this transport.');
        return;
      case 'docker-daemon':
        if (DIGEST_SCOPE.test(scope)) refuse('an image ID cannot be a scope', 'Use a repository name or "".');
        return;
      case 'containers-storage': {
        const spec = /^\[([^\]]*)\]/.exec(scope)?.[1];
        const [driver, root] = spec?.includes('@') ? spec.split('@', 2) : [undefined, spec];
        if (spec === undefined || !root || (spec.includes('@') && !driver) || !root.startsWith('/')) {
          refuse('it must start with a store like "[overlay@/var/lib/containers/storage]"', 'Start the scope with the store in brackets, or use "".');
        }
        return;
      }
      default:
        return;
    }
  }

  /** Docker scopes always load; these checks find the ones that can never match an image. */
  checkDockerScope(member: JsonMember): void {
    const scope = member.key;
    const never = (why: string): void => this.warn(member.keyStart, `the docker scope "${scope}" never matches any image: ${why}.`);
    if (/^[a-z]+:\/\//i.test(scope)) return never('scopes are written without a URL scheme, like ghcr.io/owner/image');
    if (scope.endsWith('/')) return never('remove the trailing "/"');
    if (scope.startsWith('*.')) {
      const host = scope.slice(2);
      if (host.includes('/') || host.includes(':') || !REMAP_DOMAIN.test(host)) never('a wildcard scope is a host suffix without port or path, like *.example.com');
      return;
    }
    if (scope.includes('*')) return never('"*" is only allowed as a leading "*." of a host');
    const slash = scope.indexOf('/');
    const host = slash === -1 ? scope : scope.slice(0, slash);
    if (!(host.includes('.') || host.includes(':') || host === 'localhost')) {
      return never(`images are matched by their full name, so write it with its registry, e.g. docker.io/${scope.includes('/') ? scope : `library/${scope}`}`);
    }
    if (host === 'index.docker.io') return never('Docker Hub images are named docker.io/…');
    if (slash !== -1 && /[A-Z]/.test(scope.slice(slash + 1))) return never('repository names are lower-case');
    if (slash !== -1 && /[:@]/.test(scope.slice(slash))) {
      try {
        parseDockerReference(scope);
      } catch {
        never('it is not a valid image reference');
      }
    }
  }

  requirements(node: JsonNode, path: Path): Requirement[] {
    if (node.kind === 'null' || (node.kind === 'array' && node.items.length === 0)) {
      this.fail(node.start, path, 'the list of requirements is empty', 'Give at least one requirement, e.g. [{"type": "reject"}].');
    }
    if (node.kind !== 'array') {
      this.fail(node.start, path, `requirements must be a list ([{…}]), not ${describeKind(node)}`, 'Wrap the requirement in [ ].');
    }
    return node.items.map((item, i) => this.requirement(item, [...path, i]));
  }

  requirement(node: JsonNode, path: Path): Requirement {
    const obj = this.object(node, path, 'A requirement');
    const typeMember = obj.members.find((m) => m.key === 'type');
    const at = this.at(obj.start);
    if (!typeMember) {
      this.fail(obj.start, path, 'a requirement has no "type"', 'Add "type": one of insecureAcceptAnything, reject, signedBy, sigstoreSigned.');
    }
    const type = this.string(typeMember, path);
    switch (type) {
      case 'insecureAcceptAnything':
      case 'reject':
        this.members(obj, path, ['type'], `a "${type}" requirement`);
        return { type, at };
      case 'signedBy':
        return this.signedBy(obj, path);
      case 'signedBaseLayer': {
        const m = this.members(obj, path, ['type', 'baseLayerIdentity'], 'a "signedBaseLayer" requirement');
        const identity = m.get('baseLayerIdentity');
        if (!identity) this.fail(obj.start, path, '"baseLayerIdentity" is missing', 'Add it, or use another requirement type.');
        this.warn(obj.start, 'containers/image has never implemented "signedBaseLayer": it rejects every image it applies to.');
        return { type, at, baseLayerIdentity: this.identity(identity.value, [...path, 'baseLayerIdentity']) };
      }
      case 'sigstoreSigned':
        return this.sigstoreSigned(obj, path);
      default:
        this.fail(typeMember.value.start, [...path, 'type'], `unknown requirement type "${type}"`, 'Use one of insecureAcceptAnything, reject, signedBy, sigstoreSigned (the names are case-sensitive).');
    }
  }

  signedBy(obj: JsonObjectNode, path: Path): Requirement {
    const m = this.members(obj, path, ['type', 'keyType', 'keyPath', 'keyPaths', 'keyData', 'signedIdentity'], 'a "signedBy" requirement');
    const keyTypeMember = m.get('keyType');
    if (!keyTypeMember) this.fail(obj.start, path, '"keyType" is missing', 'Add "keyType": "GPGKeys".');
    const keyType = this.string(keyTypeMember, path);
    if (!(SIGNED_BY_KEY_TYPES as readonly string[]).includes(keyType)) {
      this.fail(keyTypeMember.value.start, [...path, 'keyType'], `unknown keyType "${keyType}"`, 'Use "GPGKeys".');
    }
    if (keyType !== 'GPGKeys') this.warn(keyTypeMember.value.start, `containers/image accepts keyType "${keyType}" but only implements "GPGKeys": every image this rule applies to is rejected.`);
    const sources = (['keyPath', 'keyPaths', 'keyData'] as const).filter((k) => m.has(k));
    if (sources.length !== 1) {
      this.fail(obj.start, path, `exactly one of keyPath, keyPaths and keyData must be given (found ${sources.length === 0 ? 'none' : sources.join(', ')})`, 'Keep one key source.');
    }
    const source = sources[0] as 'keyPath' | 'keyPaths' | 'keyData';
    const member = m.get(source) as JsonMember;
    const keys: GpgKeySource =
      source === 'keyPath'
        ? { kind: 'keyPath', path: this.filePath(member, path) }
        : source === 'keyPaths'
          ? { kind: 'keyPaths', paths: this.gpgKeyPaths(member, path) }
          : { kind: 'keyData', data: this.base64(member, path) };
    const identity = m.get('signedIdentity');
    return {
      type: 'signedBy',
      at: this.at(obj.start),
      keyType: keyType as SignedByKeyType,
      keys,
      signedIdentity: identity ? this.identity(identity.value, [...path, 'signedIdentity']) : { type: 'matchRepoDigestOrExact', at: this.at(obj.start) },
      signedIdentityGiven: Boolean(identity),
    };
  }

  /** signedBy keyPaths may be empty for containers/image; such a rule accepts nothing. */
  gpgKeyPaths(member: JsonMember, path: Path): string[] {
    const node = member.value;
    if (node.kind === 'array' && node.items.length === 0) {
      this.warn(node.start, '"keyPaths" is an empty list: no key can sign, so every image this rule applies to is rejected.');
      return [];
    }
    return this.filePaths(member, path);
  }

  sigstoreSigned(obj: JsonObjectNode, path: Path): Requirement {
    this.need(1);
    const known = ['type', 'keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'pki', 'rekorPublicKeyPath', 'rekorPublicKeyPaths', 'rekorPublicKeyData', 'rekorPublicKeyDatas', 'signedIdentity'];
    const m = this.members(obj, path, known, 'a "sigstoreSigned" requirement');
    const trustKeys = (['keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'pki'] as const).filter((k) => m.has(k));
    if (trustKeys.length !== 1) {
      this.fail(
        obj.start,
        path,
        `exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki must be given (found ${trustKeys.length === 0 ? 'none' : trustKeys.join(', ')})`,
        trustKeys.length === 0 ? 'Add "keyPath": "/etc/pki/containers/PUBLISHER.pub" with the publisher\'s cosign public key.' : 'Keep one trust source in this requirement (all requirements in a list must pass, so two rules can express "both").',
      );
    }
    const trustKey = trustKeys[0] as (typeof trustKeys)[number];
    const trustMember = m.get(trustKey) as JsonMember;
    const trust = this.sigstoreTrust(trustKey, trustMember, path);

    const rekorKeys = (['rekorPublicKeyPath', 'rekorPublicKeyPaths', 'rekorPublicKeyData', 'rekorPublicKeyDatas'] as const).filter((k) => m.has(k));
    if (rekorKeys.length > 1) {
      this.fail(obj.start, path, `at most one of rekorPublicKeyPath, rekorPublicKeyPaths, rekorPublicKeyData and rekorPublicKeyDatas may be given (found ${rekorKeys.join(', ')})`, 'Keep one.');
    }
    if (trust.kind === 'fulcio' && rekorKeys.length === 0) {
      this.fail(trustMember.keyStart, path, 'a "fulcio" trust source needs a Rekor public key', 'Add "rekorPublicKeyPath" with the Rekor log\'s public key (the public-good one is rekor.pub from Sigstore\'s trusted root).');
    }
    if (trust.kind === 'pki' && rekorKeys.length > 0) {
      this.fail(obj.start, path, '"pki" cannot be combined with Rekor public keys', 'Remove the rekorPublicKey* key.');
    }
    let rekor: RekorKeys | undefined;
    const rekorKey = rekorKeys[0];
    if (rekorKey) {
      const member = m.get(rekorKey) as JsonMember;
      if (rekorKey === 'rekorPublicKeyPath') rekor = { kind: rekorKey, path: this.filePath(member, path) };
      else if (rekorKey === 'rekorPublicKeyPaths') rekor = { kind: rekorKey, paths: this.filePaths(member, path) };
      else if (rekorKey === 'rekorPublicKeyData') rekor = { kind: rekorKey, data: this.base64(member, path) };
      else rekor = { kind: rekorKey, datas: this.base64List(member, path) };
      this.need(rekorKey.endsWith('s') ? 3 : 2);
    }
    const identity = m.get('signedIdentity');
    const signedIdentity: SignedIdentity = identity ? this.identity(identity.value, [...path, 'signedIdentity']) : { type: 'matchRepoDigestOrExact', at: this.at(obj.start) };
    if (signedIdentity.type === 'matchRepoDigestOrExact' || signedIdentity.type === 'matchExact') {
      this.warn(
        identity?.value.start ?? obj.start,
        `signedIdentity ${signedIdentity.type}${identity ? '' : ' (the default when none is given)'} compares the signature's identity with the full reference including its tag, but cosign signs the repository without a tag, so pulls by tag are rejected; use {"type": "matchRepository"}.`,
      );
    }
    return { type: 'sigstoreSigned', at: this.at(obj.start), trust, ...(rekor ? { rekor } : {}), signedIdentity, signedIdentityGiven: Boolean(identity) };
  }

  sigstoreTrust(key: 'keyPath' | 'keyPaths' | 'keyData' | 'keyDatas' | 'fulcio' | 'pki', member: JsonMember, path: Path): SigstoreTrust {
    switch (key) {
      case 'keyPath':
        return { kind: key, path: this.filePath(member, path) };
      case 'keyPaths':
        this.need(3);
        return { kind: key, paths: this.filePaths(member, path) };
      case 'keyData':
        return { kind: key, data: this.base64(member, path) };
      case 'keyDatas':
        this.need(3);
        return { kind: key, datas: this.base64List(member, path) };
      case 'fulcio':
        this.need(2);
        return this.fulcio(member, [...path, 'fulcio']);
      case 'pki':
        this.need(4);
        return this.pki(member, [...path, 'pki']);
    }
  }

  fulcio(member: JsonMember, path: Path): SigstoreTrust {
    const obj = this.object(member.value, path, '"fulcio"');
    const m = this.members(obj, path, ['caPath', 'caData', 'oidcIssuer', 'subjectEmail'], '"fulcio"');
    const caPath = m.get('caPath');
    const caData = m.get('caData');
    if (caPath && caData) this.fail(obj.start, path, 'caPath and caData cannot both be given', 'Keep one.');
    if (!caPath && !caData) this.fail(obj.start, path, 'one of caPath and caData must be given', 'Add "caPath" with the Fulcio root (and intermediate) certificates in PEM.');
    const issuer = m.get('oidcIssuer');
    if (!issuer || this.string(issuer, path) === '') this.fail(obj.start, path, '"oidcIssuer" is missing', `Add "oidcIssuer", e.g. "${GITHUB_ACTIONS_ISSUER}".`);
    const email = m.get('subjectEmail');
    if (!email || this.string(email, path) === '') {
      const advice = keylessAdvice(this.string(issuer, path), undefined);
      this.fail(obj.start, path, '"subjectEmail" is missing, and containers/image matches Fulcio certificates only by e-mail', advice.explanation, 'policy-invalid', advice);
    }
    return {
      kind: 'fulcio',
      ca: caPath ? { path: this.filePath(caPath, path) } : { data: this.base64(caData as JsonMember, path) },
      oidcIssuer: this.string(issuer, path),
      subjectEmail: this.string(email, path),
    };
  }

  pki(member: JsonMember, path: Path): SigstoreTrust {
    const obj = this.object(member.value, path, '"pki"');
    const m = this.members(obj, path, ['caRootsPath', 'caRootsData', 'caIntermediatesPath', 'caIntermediatesData', 'subjectEmail', 'subjectHostname'], '"pki"');
    const pick = (pathKey: string, dataKey: string, required: boolean): { path: string } | { data: Buffer } | undefined => {
      const p = m.get(pathKey);
      const d = m.get(dataKey);
      if (p && d) this.fail(obj.start, path, `${pathKey} and ${dataKey} cannot both be given`, 'Keep one.');
      if (p) return { path: this.filePath(p, path) };
      if (d) return { data: this.base64(d, path) };
      if (required) this.fail(obj.start, path, `one of ${pathKey} and ${dataKey} must be given`, `Add "${pathKey}".`);
      return undefined;
    };
    const caRoots = pick('caRootsPath', 'caRootsData', true) as { path: string } | { data: Buffer };
    const caIntermediates = pick('caIntermediatesPath', 'caIntermediatesData', false);
    const email = m.get('subjectEmail') ? this.string(m.get('subjectEmail') as JsonMember, path) : '';
    const hostname = m.get('subjectHostname') ? this.string(m.get('subjectHostname') as JsonMember, path) : '';
    if (!email && !hostname) this.fail(obj.start, path, 'at least one of subjectEmail and subjectHostname must be given', 'Add the identity the certificates must carry.');
    return {
      kind: 'pki',
      caRoots,
      ...(caIntermediates ? { caIntermediates } : {}),
      ...(email ? { subjectEmail: email } : {}),
      ...(hostname ? { subjectHostname: hostname } : {}),
    };
  }

  identity(node: JsonNode, path: Path): SignedIdentity {
    const obj = this.object(node, path, 'A signed identity');
    const typeMember = obj.members.find((m) => m.key === 'type');
    if (!typeMember) this.fail(obj.start, path, 'a signed identity has no "type"', 'Add "type": "matchRepository".');
    const type = this.string(typeMember, path);
    const at = this.at(obj.start);
    // containers/image wants exactly these fields for each identity type: all present, nothing else.
    const exact = (fields: readonly string[]): Map<string, JsonMember> => {
      const m = this.members(obj, path, ['type', ...fields], `a "${type}" signed identity`);
      for (const f of fields) if (!m.has(f)) this.fail(obj.start, path, `"${f}" is missing from the "${type}" signed identity`, `Add "${f}".`);
      return m;
    };
    switch (type) {
      case 'matchExact':
      case 'matchRepoDigestOrExact':
      case 'matchRepository':
        exact([]);
        return { type, at };
      case 'exactReference': {
        const member = exact(['dockerReference']).get('dockerReference') as JsonMember;
        const value = this.string(member, path);
        const ref = this.reference(value, member, path);
        if (ref.tag === undefined && ref.digest === undefined) {
          this.fail(member.value.start, [...path, 'dockerReference'], `dockerReference "${value}" has neither a tag nor a digest`, 'Add :TAG or @sha256:DIGEST, or use exactRepository.');
        }
        return { type, at, dockerReference: value };
      }
      case 'exactRepository': {
        const member = exact(['dockerRepository']).get('dockerRepository') as JsonMember;
        const value = this.string(member, path);
        this.reference(value, member, path);
        return { type, at, dockerRepository: value };
      }
      case 'remapIdentity': {
        const m = exact(['prefix', 'signedPrefix']);
        const check = (key: string): string => {
          const member = m.get(key) as JsonMember;
          const value = this.string(member, path);
          if (!REMAP_DOMAIN.test(value) && !REMAP_NAME.test(value)) {
            this.fail(member.value.start, [...path, key], `${key} "${value}" is not valid`, 'Give a registry host or a repository name starting with its host, like quay.io/owner.');
          }
          return value;
        };
        return { type, at, prefix: check('prefix'), signedPrefix: check('signedPrefix') };
      }
      default:
        this.fail(typeMember.value.start, [...path, 'type'], `unknown signed identity type "${type}"`, 'Use matchRepository (what cosign signatures need), matchRepoDigestOrExact, matchExact, exactReference, exactRepository or remapIdentity.');
    }
  }

  reference(value: string, member: JsonMember, path: Path): ReturnType<typeof parseDockerReference> {
    try {
      return parseDockerReference(value);
    } catch {
      this.fail(member.value.start, [...path, member.key], `"${value}" is not a valid image reference`, 'Write it like ghcr.io/OWNER/IMAGE[:TAG].');
    }
  }
}

/** The answer to the seed's `"keyless": {"issuer", "subject"}` block: the valid form, or why there is none. */
export function keylessAdvice(issuer: string | undefined, subject: string | undefined): KeylessAdvice {
  const modes =
    'Use key-enforced mode (the publisher also signs with a cosign key; `vespera-updates policy plan --mode key --key cosign.pub` writes the rule) or app-enforced mode (Vespera Updates verifies the keyless signature itself and deploys only the verified digest).';
  const isEmail = subject !== undefined && /^[^@\s/]+@[^@\s/]+\.[^@\s/]+$/.test(subject);
  if (isEmail) {
    const equivalent = {
      type: 'sigstoreSigned',
      fulcio: { caPath: '/etc/pki/containers/fulcio.pem', oidcIssuer: issuer ?? 'https://ISSUER', subjectEmail: subject },
      rekorPublicKeyPath: '/etc/pki/containers/rekor.pub',
      signedIdentity: { type: 'matchRepository' },
    };
    return {
      ...(issuer !== undefined ? { issuer } : {}),
      subject,
      expressible: true,
      equivalent,
      explanation: `Replace the requirement with ${JSON.stringify(equivalent)}: "fulcio" needs the Fulcio root certificates in caPath and a Rekor public key, and works with containers/image 5.24 / skopeo 1.11 or newer.`,
    };
  }
  const github = issuer === GITHUB_ACTIONS_ISSUER || (subject ?? '').startsWith('https://github.com/');
  const who = subject ? `"${subject}"` : 'a workflow identity';
  return {
    ...(issuer !== undefined ? { issuer } : {}),
    ...(subject !== undefined ? { subject } : {}),
    expressible: false,
    explanation:
      `The valid keyless form is "fulcio": {"caPath", "oidcIssuer", "subjectEmail"} with "rekorPublicKeyPath", and "subjectEmail" is mandatory: containers/image matches Fulcio certificates only by their e-mail address. ` +
      `${github ? 'A GitHub Actions certificate carries the workflow URI and no e-mail address' : 'A certificate without an e-mail identity'}, so no policy can require ${who}; nothing on the host can enforce a keyless GitHub identity. ${modes}`,
  };
}
