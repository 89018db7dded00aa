// Parses the requirement lists of a policy.json (insecureAcceptAnything, reject, signedBy,
// sigstoreSigned, signedBaseLayer) and their signed identities, as strictly as containers/image does.

import { parseDockerReference } from '../shared/image-reference.ts';
import type { JsonMember, JsonNode, JsonObjectNode } from './located-json.ts';
import {
  SIGNED_BY_KEY_TYPES,
  type GpgKeySource,
  type RekorKeys,
  type Requirement,
  type SignedByKeyType,
  type SignedIdentity,
  type SigstoreTrust,
} from './policy-model.ts';
import { GITHUB_ACTIONS_ISSUER, keylessAdvice } from './policy-file-error.ts';
import { describeKind, type PolicyFieldReader, type PolicyPath } from './policy-fields.ts';

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
/** A registry host with optional port, as remapIdentity prefixes and wildcard docker scopes name it. */
export const REMAP_DOMAIN = new RegExp(`^${DOMAIN}$`);
const REMAP_NAME = new RegExp(`^${DOMAIN}/${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);

/** A requirement list (all must pass); containers/image refuses an empty one. */
export function readRequirements(r: PolicyFieldReader, node: JsonNode, path: PolicyPath): Requirement[] {
  if (node.kind === 'null' || (node.kind === 'array' && node.items.length === 0)) {
    r.fail(node.start, path, 'the list of requirements is empty', 'Give at least one requirement, e.g. [{"type": "reject"}].');
  }
  if (node.kind !== 'array') {
    r.fail(node.start, path, `requirements must be a list ([{…}]), not ${describeKind(node)}`, 'Wrap the requirement in [ ].');
  }
  return node.items.map((item, i) => readRequirement(r, item, [...path, i]));
}

function readRequirement(r: PolicyFieldReader, node: JsonNode, path: PolicyPath): Requirement {
  const obj = r.object(node, path, 'A requirement');
  const typeMember = obj.members.find((m) => m.key === 'type');
  const at = r.at(obj.start);
  if (!typeMember) {
    r.fail(obj.start, path, 'a requirement has no "type"', 'Add "type": one of insecureAcceptAnything, reject, signedBy, sigstoreSigned.');
  }
  const type = r.string(typeMember, path);
  switch (type) {
    case 'insecureAcceptAnything':
    case 'reject':
      r.members(obj, path, ['type'], `a "${type}" requirement`);
      return { type, at };
    case 'signedBy':
      return readSignedBy(r, obj, path);
    case 'signedBaseLayer': {
      const m = r.members(obj, path, ['type', 'baseLayerIdentity'], 'a "signedBaseLayer" requirement');
      const identity = m.get('baseLayerIdentity');
      if (!identity) r.fail(obj.start, path, '"baseLayerIdentity" is missing', 'Add it, or use another requirement type.');
      r.warn(obj.start, 'containers/image has never implemented "signedBaseLayer": it rejects every image it applies to.');
      return { type, at, baseLayerIdentity: readIdentity(r, identity.value, [...path, 'baseLayerIdentity']) };
    }
    case 'sigstoreSigned':
      return readSigstoreSigned(r, obj, path);
    default:
      r.fail(typeMember.value.start, [...path, 'type'], `unknown requirement type "${type}"`, 'Use one of insecureAcceptAnything, reject, signedBy, sigstoreSigned (the names are case-sensitive).');
  }
}

function readSignedBy(r: PolicyFieldReader, obj: JsonObjectNode, path: PolicyPath): Requirement {
  const m = r.members(obj, path, ['type', 'keyType', 'keyPath', 'keyPaths', 'keyData', 'signedIdentity'], 'a "signedBy" requirement');
  const keyTypeMember = m.get('keyType');
  if (!keyTypeMember) r.fail(obj.start, path, '"keyType" is missing', 'Add "keyType": "GPGKeys".');
  const keyType = r.string(keyTypeMember, path);
  if (!(SIGNED_BY_KEY_TYPES as readonly string[]).includes(keyType)) {
    r.fail(keyTypeMember.value.start, [...path, 'keyType'], `unknown keyType "${keyType}"`, 'Use "GPGKeys".');
  }
  if (keyType !== 'GPGKeys') r.warn(keyTypeMember.value.start, `containers/image accepts keyType "${keyType}" but only implements "GPGKeys": every image this rule applies to is rejected.`);
  const sources = (['keyPath', 'keyPaths', 'keyData'] as const).filter((k) => m.has(k));
  if (sources.length !== 1) {
    r.fail(obj.start, path, `exactly one of keyPath, keyPaths and keyData must be given (found ${sources.length === 0 ? 'none' : sources.join(', ')})`, 'Keep one key source.');
  }
  const source = sources[0] as 'keyPath' | 'keyPaths' | 'keyData';
  const member = m.get(source) as JsonMember;
  const keys: GpgKeySource =
    source === 'keyPath'
      ? { kind: 'keyPath', path: r.filePath(member, path) }
      : source === 'keyPaths'
        ? { kind: 'keyPaths', paths: readGpgKeyPaths(r, member, path) }
        : { kind: 'keyData', data: r.base64(member, path) };
  const identity = m.get('signedIdentity');
  return {
    type: 'signedBy',
    at: r.at(obj.start),
    keyType: keyType as SignedByKeyType,
    keys,
    signedIdentity: identity ? readIdentity(r, identity.value, [...path, 'signedIdentity']) : { type: 'matchRepoDigestOrExact', at: r.at(obj.start) },
    signedIdentityGiven: Boolean(identity),
  };
}

/** signedBy keyPaths may be empty for containers/image; such a rule accepts nothing. */
function readGpgKeyPaths(r: PolicyFieldReader, member: JsonMember, path: PolicyPath): string[] {
  const node = member.value;
  if (node.kind === 'array' && node.items.length === 0) {
    r.warn(node.start, '"keyPaths" is an empty list: no key can sign, so every image this rule applies to is rejected.');
    return [];
  }
  return r.filePaths(member, path);
}

function readSigstoreSigned(r: PolicyFieldReader, obj: JsonObjectNode, path: PolicyPath): Requirement {
  r.need(1);
  const known = ['type', 'keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'pki', 'rekorPublicKeyPath', 'rekorPublicKeyPaths', 'rekorPublicKeyData', 'rekorPublicKeyDatas', 'signedIdentity'];
  const m = r.members(obj, path, known, 'a "sigstoreSigned" requirement');
  const trustKeys = (['keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'pki'] as const).filter((k) => m.has(k));
  if (trustKeys.length !== 1) {
    r.fail(
      obj.start,
      path,
      `exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki must be given (found ${trustKeys.length === 0 ? 'none' : trustKeys.join(', ')})`,
      trustKeys.length === 0 ? 'Add "keyPath": "/etc/pki/containers/PUBLISHER.pub" with the publisher\'s cosign public key.' : 'Keep one trust source in this requirement (all requirements in a list must pass, so two rules can express "both").',
    );
  }
  const trustKey = trustKeys[0] as (typeof trustKeys)[number];
  const trustMember = m.get(trustKey) as JsonMember;
  const trust = readSigstoreTrust(r, trustKey, trustMember, path);

  const rekorKeys = (['rekorPublicKeyPath', 'rekorPublicKeyPaths', 'rekorPublicKeyData', 'rekorPublicKeyDatas'] as const).filter((k) => m.has(k));
  if (rekorKeys.length > 1) {
    r.fail(obj.start, path, `at most one of rekorPublicKeyPath, rekorPublicKeyPaths, rekorPublicKeyData and rekorPublicKeyDatas may be given (found ${rekorKeys.join(', ')})`, 'Keep one.');
  }
  if (trust.kind === 'fulcio' && rekorKeys.length === 0) {
    r.fail(trustMember.keyStart, path, 'a "fulcio" trust source needs a Rekor public key', 'Add "rekorPublicKeyPath" with the Rekor log\'s public key (the public-good one is rekor.pub from Sigstore\'s trusted root).');
  }
  if (trust.kind === 'pki' && rekorKeys.length > 0) {
    r.fail(obj.start, path, '"pki" cannot be combined with Rekor public keys', 'Remove the rekorPublicKey* key.');
  }
  let rekor: RekorKeys | undefined;
  const rekorKey = rekorKeys[0];
  if (rekorKey) {
    const member = m.get(rekorKey) as JsonMember;
    if (rekorKey === 'rekorPublicKeyPath') rekor = { kind: rekorKey, path: r.filePath(member, path) };
    else if (rekorKey === 'rekorPublicKeyPaths') rekor = { kind: rekorKey, paths: r.filePaths(member, path) };
    else if (rekorKey === 'rekorPublicKeyData') rekor = { kind: rekorKey, data: r.base64(member, path) };
    else rekor = { kind: rekorKey, datas: r.base64List(member, path) };
    r.need(rekorKey.endsWith('s') ? 3 : 2);
  }
  const identity = m.get('signedIdentity');
  const signedIdentity: SignedIdentity = identity ? readIdentity(r, identity.value, [...path, 'signedIdentity']) : { type: 'matchRepoDigestOrExact', at: r.at(obj.start) };
  if (signedIdentity.type === 'matchRepoDigestOrExact' || signedIdentity.type === 'matchExact') {
    r.warn(
      identity?.value.start ?? obj.start,
      `signedIdentity ${signedIdentity.type}${identity ? '' : ' (the default when none is given)'} compares the signature's identity with the full reference including its tag, but cosign signs the repository without a tag, so pulls by tag are rejected; use {"type": "matchRepository"}.`,
    );
  }
  return { type: 'sigstoreSigned', at: r.at(obj.start), trust, ...(rekor ? { rekor } : {}), signedIdentity, signedIdentityGiven: Boolean(identity) };
}

function readSigstoreTrust(r: PolicyFieldReader, key: 'keyPath' | 'keyPaths' | 'keyData' | 'keyDatas' | 'fulcio' | 'pki', member: JsonMember, path: PolicyPath): SigstoreTrust {
  switch (key) {
    case 'keyPath':
      return { kind: key, path: r.filePath(member, path) };
    case 'keyPaths':
      r.need(3);
      return { kind: key, paths: r.filePaths(member, path) };
    case 'keyData':
      return { kind: key, data: r.base64(member, path) };
    case 'keyDatas':
      r.need(3);
      return { kind: key, datas: r.base64List(member, path) };
    case 'fulcio':
      r.need(2);
      return readFulcio(r, member, [...path, 'fulcio']);
    case 'pki':
      r.need(4);
      return readPki(r, member, [...path, 'pki']);
  }
}

function readFulcio(r: PolicyFieldReader, member: JsonMember, path: PolicyPath): SigstoreTrust {
  const obj = r.object(member.value, path, '"fulcio"');
  const m = r.members(obj, path, ['caPath', 'caData', 'oidcIssuer', 'subjectEmail'], '"fulcio"');
  const caPath = m.get('caPath');
  const caData = m.get('caData');
  if (caPath && caData) r.fail(obj.start, path, 'caPath and caData cannot both be given', 'Keep one.');
  if (!caPath && !caData) r.fail(obj.start, path, 'one of caPath and caData must be given', 'Add "caPath" with the Fulcio root (and intermediate) certificates in PEM.');
  const issuer = m.get('oidcIssuer');
  if (!issuer || r.string(issuer, path) === '') r.fail(obj.start, path, '"oidcIssuer" is missing', `Add "oidcIssuer", e.g. "${GITHUB_ACTIONS_ISSUER}".`);
  const email = m.get('subjectEmail');
  if (!email || r.string(email, path) === '') {
    const advice = keylessAdvice(r.string(issuer, path), undefined);
    r.fail(obj.start, path, '"subjectEmail" is missing, and containers/image matches Fulcio certificates only by e-mail', advice.explanation, 'policy-invalid', advice);
  }
  return {
    kind: 'fulcio',
    ca: caPath ? { path: r.filePath(caPath, path) } : { data: r.base64(caData as JsonMember, path) },
    oidcIssuer: r.string(issuer, path),
    subjectEmail: r.string(email, path),
  };
}

function readPki(r: PolicyFieldReader, member: JsonMember, path: PolicyPath): SigstoreTrust {
  const obj = r.object(member.value, path, '"pki"');
  const m = r.members(obj, path, ['caRootsPath', 'caRootsData', 'caIntermediatesPath', 'caIntermediatesData', 'subjectEmail', 'subjectHostname'], '"pki"');
  const pick = (pathKey: string, dataKey: string, required: boolean): { path: string } | { data: Buffer } | undefined => {
    const p = m.get(pathKey);
    const d = m.get(dataKey);
    if (p && d) r.fail(obj.start, path, `${pathKey} and ${dataKey} cannot both be given`, 'Keep one.');
    if (p) return { path: r.filePath(p, path) };
    if (d) return { data: r.base64(d, path) };
    if (required) r.fail(obj.start, path, `one of ${pathKey} and ${dataKey} must be given`, `Add "${pathKey}".`);
    return undefined;
  };
  const caRoots = pick('caRootsPath', 'caRootsData', true) as { path: string } | { data: Buffer };
  const caIntermediates = pick('caIntermediatesPath', 'caIntermediatesData', false);
  const email = m.get('subjectEmail') ? r.string(m.get('subjectEmail') as JsonMember, path) : '';
  const hostname = m.get('subjectHostname') ? r.string(m.get('subjectHostname') as JsonMember, path) : '';
  if (!email && !hostname) r.fail(obj.start, path, 'at least one of subjectEmail and subjectHostname must be given', 'Add the identity the certificates must carry.');
  return {
    kind: 'pki',
    caRoots,
    ...(caIntermediates ? { caIntermediates } : {}),
    ...(email ? { subjectEmail: email } : {}),
    ...(hostname ? { subjectHostname: hostname } : {}),
  };
}

function readIdentity(r: PolicyFieldReader, node: JsonNode, path: PolicyPath): SignedIdentity {
  const obj = r.object(node, path, 'A signed identity');
  const typeMember = obj.members.find((m) => m.key === 'type');
  if (!typeMember) r.fail(obj.start, path, 'a signed identity has no "type"', 'Add "type": "matchRepository".');
  const type = r.string(typeMember, path);
  const at = r.at(obj.start);
  // containers/image wants exactly these fields for each identity type: all present, nothing else.
  const exact = (fields: readonly string[]): Map<string, JsonMember> => {
    const m = r.members(obj, path, ['type', ...fields], `a "${type}" signed identity`);
    for (const f of fields) if (!m.has(f)) r.fail(obj.start, path, `"${f}" is missing from the "${type}" signed identity`, `Add "${f}".`);
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
      const value = r.string(member, path);
      const ref = readReference(r, value, member, path);
      if (ref.tag === undefined && ref.digest === undefined) {
        r.fail(member.value.start, [...path, 'dockerReference'], `dockerReference "${value}" has neither a tag nor a digest`, 'Add :TAG or @sha256:DIGEST, or use exactRepository.');
      }
      return { type, at, dockerReference: value };
    }
    case 'exactRepository': {
      const member = exact(['dockerRepository']).get('dockerRepository') as JsonMember;
      const value = r.string(member, path);
      readReference(r, value, member, path);
      return { type, at, dockerRepository: value };
    }
    case 'remapIdentity': {
      const m = exact(['prefix', 'signedPrefix']);
      const check = (key: string): string => {
        const member = m.get(key) as JsonMember;
        const value = r.string(member, path);
        if (!REMAP_DOMAIN.test(value) && !REMAP_NAME.test(value)) {
          r.fail(member.value.start, [...path, key], `${key} "${value}" is not valid`, 'Give a registry host or a repository name starting with its host, like quay.io/owner.');
        }
        return value;
      };
      return { type, at, prefix: check('prefix'), signedPrefix: check('signedPrefix') };
    }
    default:
      r.fail(typeMember.value.start, [...path, 'type'], `unknown signed identity type "${type}"`, 'Use matchRepository (what cosign signatures need), matchRepoDigestOrExact, matchExact, exactReference, exactRepository or remapIdentity.');
  }
}

function readReference(r: PolicyFieldReader, value: string, member: JsonMember, path: PolicyPath): ReturnType<typeof parseDockerReference> {
  try {
    return parseDockerReference(value);
  } catch {
    r.fail(member.value.start, [...path, member.key], `"${value}" is not a valid image reference`, 'Write it like ghcr.io/OWNER/IMAGE[:TAG].');
  }
}
