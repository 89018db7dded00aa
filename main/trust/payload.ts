// What a signature says it covers: cosign's simple-signing payload (legacy layout) and the in-toto
// statement of cosign 3 bundles, parsed strictly, and containers/image's signedIdentity rules.

import { formatDockerReference, parseDockerReference, repositoryName, type DockerReference } from '../shared/image-reference.ts';
import { TrustError } from './errors.ts';
import { parseStrictJson } from './strict-json.ts';

export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

export interface SimpleSigningPayload {
  readonly dockerReference: string;
  readonly manifestDigest: string;
  /** `optional` as signed: null, or the signer's `-a key=value` annotations. */
  readonly optional: Readonly<Record<string, unknown>> | null;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function exactKeys(obj: Json, keys: readonly string[], optional: readonly string[], what: string): void {
  for (const key of Object.keys(obj)) {
    if (!keys.includes(key) && !optional.includes(key)) {
      throw new TrustError('unsupported-format', `${what} has an unexpected field "${key}"; containers/image would refuse this signature, so this app does too.`);
    }
  }
  for (const key of keys) {
    if (!(key in obj)) throw new TrustError('unsupported-format', `${what} lacks the field "${key}"; it is not a cosign signature payload.`);
  }
}

/** Parses the signed bytes with containers/image's strictness: exactly the known fields, no repeats. */
export function parseSimpleSigningPayload(bytes: Uint8Array): SimpleSigningPayload {
  const what = 'the signed payload';
  const json = parseStrictJson(Buffer.from(bytes).toString('utf8'), what);
  if (!isObject(json)) throw new TrustError('unsupported-format', `${what} is not a JSON object; it is not a cosign signature payload.`);
  exactKeys(json, ['critical'], ['optional'], what);
  const critical = json.critical;
  if (!isObject(critical)) throw new TrustError('unsupported-format', `${what} has no "critical" object.`);
  exactKeys(critical, ['type', 'image', 'identity'], [], `${what}'s "critical" section`);
  if (critical.type !== SIMPLE_SIGNING_TYPE) {
    throw new TrustError('unsupported-format', `${what} is of type ${JSON.stringify(critical.type)}, not "${SIMPLE_SIGNING_TYPE}"; it is not a container image signature.`);
  }
  const image = critical.image;
  const identity = critical.identity;
  if (!isObject(image) || !isObject(identity)) throw new TrustError('unsupported-format', `${what} lacks its image or identity section.`);
  exactKeys(image, ['docker-manifest-digest'], [], `${what}'s "image" section`);
  exactKeys(identity, ['docker-reference'], [], `${what}'s "identity" section`);
  const digest = image['docker-manifest-digest'];
  const reference = identity['docker-reference'];
  if (typeof digest !== 'string' || typeof reference !== 'string') {
    throw new TrustError('unsupported-format', `${what} names its digest or reference with something other than a string.`);
  }
  const optional = json.optional ?? null;
  if (optional !== null && !isObject(optional)) throw new TrustError('unsupported-format', `${what}'s "optional" section is neither null nor an object.`);
  return { dockerReference: reference, manifestDigest: digest, optional };
}

export interface InTotoStatement {
  readonly predicateType: string;
  readonly subjectDigests: readonly string[];
  /** Subject names by digest, where the statement gives one (cosign's own statements do not). */
  readonly subjectNames: ReadonlyMap<string, string>;
}

/** The DSSE payload of a cosign 3 signature: an in-toto v1 statement; subjects' sha256 digests. */
export function parseInTotoStatement(payloadType: string, payload: Uint8Array): InTotoStatement {
  const what = 'the signed statement';
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new TrustError('unsupported-format', `${what} has payload type "${payloadType}", not in-toto; it is not a cosign image signature.`);
  }
  const json = parseStrictJson(Buffer.from(payload).toString('utf8'), what);
  if (!isObject(json) || json._type !== IN_TOTO_STATEMENT_V1) throw new TrustError('unsupported-format', `${what} is not an in-toto v1 statement.`);
  if (typeof json.predicateType !== 'string') throw new TrustError('unsupported-format', `${what} has no predicate type.`);
  if (!Array.isArray(json.subject) || json.subject.length === 0 || json.subject.length > 1000) {
    throw new TrustError('unsupported-format', `${what} names no subject.`);
  }
  const subjectDigests: string[] = [];
  const subjectNames = new Map<string, string>();
  for (const s of json.subject as unknown[]) {
    const sha = isObject(s) && isObject(s.digest) ? s.digest.sha256 : undefined;
    if (typeof sha !== 'string') continue;
    subjectDigests.push(`sha256:${sha}`);
    const name = (s as Json).name;
    if (typeof name === 'string' && name !== '') subjectNames.set(`sha256:${sha}`, name);
  }
  return { predicateType: json.predicateType, subjectDigests, subjectNames };
}

// ---- signedIdentity (containers-policy.json(5)) ----

export type SignedIdentityRule =
  | { readonly type: 'matchExact' }
  | { readonly type: 'matchRepoDigestOrExact' }
  | { readonly type: 'matchRepository' }
  | { readonly type: 'exactReference'; readonly dockerReference: string }
  | { readonly type: 'exactRepository'; readonly dockerRepository: string }
  | { readonly type: 'remapIdentity'; readonly prefix: string; readonly signedPrefix: string };

export const DEFAULT_SIGNED_IDENTITY: SignedIdentityRule = { type: 'matchRepository' };

function tryParse(reference: string): DockerReference | undefined {
  try {
    return parseDockerReference(reference);
  } catch {
    return undefined;
  }
}

function isNameOnly(ref: DockerReference): boolean {
  return ref.tag === undefined && ref.digest === undefined;
}

function exact(intended: DockerReference, signed: DockerReference): boolean {
  if (isNameOnly(intended) || isNameOnly(signed)) return false;
  return formatDockerReference(signed) === formatDockerReference(intended);
}

function repoDigestOrExact(intended: DockerReference, signed: DockerReference): boolean {
  if (intended.digest !== undefined) return repositoryName(signed) === repositoryName(intended);
  if (intended.tag !== undefined) return exact(intended, signed);
  return false;
}

/** Whether `prefix` (host[/path]) covers `name` at a path-component boundary. */
function remap(intended: DockerReference, prefix: string, signedPrefix: string): DockerReference | undefined {
  const name = repositoryName(intended);
  if (name !== prefix && !name.startsWith(`${prefix}/`)) return undefined;
  const rewritten = signedPrefix + name.slice(prefix.length);
  const suffix = (intended.tag !== undefined ? `:${intended.tag}` : '') + (intended.digest !== undefined ? `@${intended.digest}` : '');
  return tryParse(rewritten + suffix);
}

/**
 * containers/image's check of a signature's claimed `docker-reference` against the image being
 * used (`intended`, as the user named it: tag and/or digest). False on anything unparseable.
 */
export function signedIdentityMatches(rule: SignedIdentityRule, intended: DockerReference, signedReference: string): boolean {
  const signed = tryParse(signedReference);
  if (!signed) return false;
  switch (rule.type) {
    case 'matchExact':
      return exact(intended, signed);
    case 'matchRepoDigestOrExact':
      return repoDigestOrExact(intended, signed);
    case 'matchRepository':
      return repositoryName(signed) === repositoryName(intended);
    case 'exactReference': {
      const want = tryParse(rule.dockerReference);
      return want !== undefined && exact(want, signed);
    }
    case 'exactRepository': {
      const want = tryParse(rule.dockerRepository);
      return want !== undefined && repositoryName(signed) === repositoryName(want);
    }
    case 'remapIdentity':
      return repoDigestOrExact(remap(intended, rule.prefix, rule.signedPrefix) ?? intended, signed);
  }
}

/** A short description of a rule for messages. */
export function describeSignedIdentity(rule: SignedIdentityRule): string {
  switch (rule.type) {
    case 'exactReference':
      return `exactly ${rule.dockerReference}`;
    case 'exactRepository':
      return `the repository ${rule.dockerRepository}`;
    case 'remapIdentity':
      return `${rule.prefix} signed as ${rule.signedPrefix}`;
    default:
      return rule.type;
  }
}

