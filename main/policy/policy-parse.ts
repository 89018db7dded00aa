// Parses containers-policy.json text into the typed Policy with containers/image's strictness: unknown,
// duplicated or mistyped keys reject the whole file. Errors carry line, column, consequence and fix.

import { posix } from 'node:path';
import { parseDockerReference } from '../shared/image-reference.ts';
import { JsonSyntaxError, readLocatedJson, type JsonMember, type LocatedJson } from './located-json.ts';
import { KNOWN_TRANSPORTS, type Policy, type ScopeRules, type TransportRules } from './policy-model.ts';
import { PolicyFileError } from './policy-file-error.ts';
import { PolicyFieldReader, type PolicyPath } from './policy-fields.ts';
import { readRequirements, REMAP_DOMAIN } from './policy-requirements.ts';

// The error type and its advice live in policy-file-error.ts; importers keep reading them from here.
export {
  GITHUB_ACTIONS_ISSUER,
  keylessAdvice,
  POLICY_LOAD_CONSEQUENCE,
  PolicyFileError,
  type KeylessAdvice,
  type PolicyFileCode,
} from './policy-file-error.ts';

export const MAX_POLICY_CHARS = 1024 * 1024;

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
  return readPolicy(new PolicyFieldReader(doc, source));
}

const DIGEST_SCOPE = /^(?:sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;

function readPolicy(r: PolicyFieldReader): Policy {
  const root = r.object(r.doc.root, [], 'The policy file');
  const top = r.members(root, [], ['default', 'transports'], 'the top level');
  const defaultMember = top.get('default');
  if (!defaultMember) {
    r.fail(root.start, [], 'there is no "default" requirement list', 'Add "default": [{"type": "reject"}] (rpm-ostree\'s ostree-image-signed refuses a default of insecureAcceptAnything).');
  }
  const defaults = readRequirements(r, defaultMember.value, ['default']);
  const transports: TransportRules[] = [];
  const transportsMember = top.get('transports');
  if (transportsMember) {
    const node = r.object(transportsMember.value, ['transports'], '"transports"');
    for (const member of node.members) transports.push(readTransport(r, member));
  }
  return {
    default: defaults,
    defaultAt: r.at(defaultMember.keyStart),
    transports,
    requires: r.requires,
    warnings: r.warnings,
  };
}

function readTransport(r: PolicyFieldReader, member: JsonMember): TransportRules {
  const name = member.key;
  const path = ['transports', name];
  const node = r.object(member.value, path, `The rules of transport "${name}"`);
  if (!(KNOWN_TRANSPORTS as readonly string[]).includes(name)) {
    r.warn(member.keyStart, `containers/image has no transport called "${name}"; the rules under it are never consulted.`);
  }
  const scopes: ScopeRules[] = node.members.map((scopeMember) => {
    if (scopeMember.key !== '') checkScope(r, name, scopeMember, path);
    return { scope: scopeMember.key, at: r.at(scopeMember.keyStart), requirements: readRequirements(r, scopeMember.value, [...path, scopeMember.key]) };
  });
  return { transport: name, at: r.at(member.keyStart), scopes };
}

function checkScope(r: PolicyFieldReader, transport: string, member: JsonMember, path: PolicyPath): void {
  const scope = member.key;
  const refuse = (why: string, fix: string): never => r.fail(member.keyStart, [...path, scope], `"${scope}" is not a valid scope for the ${transport} transport (${why}); containers/image reports it as an unknown key`, fix);
  switch (transport) {
    case 'docker':
      checkDockerScope(r, member);
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
function checkDockerScope(r: PolicyFieldReader, member: JsonMember): void {
  const scope = member.key;
  const never = (why: string): void => r.warn(member.keyStart, `the docker scope "${scope}" never matches any image: ${why}.`);
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
