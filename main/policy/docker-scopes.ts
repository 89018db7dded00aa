// The scopes containers/image looks up for a docker image, most specific first: the exact reference,
// the repository, each parent namespace, the host, then wildcard host suffixes. policy.json and
// registries.d both use this order.

import type { DockerReference } from '../shared/image-reference.ts';
import { repositoryName } from '../shared/image-reference.ts';

export type ScopeKind = 'reference' | 'repository' | 'namespace' | 'host' | 'wildcard';

export interface ScopeCandidate {
  readonly scope: string;
  readonly kind: ScopeKind;
}

/**
 * The identity containers/image uses for a docker reference: `repo:tag` or `repo@digest`. A reference
 * without either means `:latest`; one with both is addressed by its digest (the content pulled).
 */
export function dockerPolicyIdentity(ref: DockerReference): string {
  if (ref.digest !== undefined) return `${repositoryName(ref)}@${ref.digest}`;
  return `${repositoryName(ref)}:${ref.tag ?? 'latest'}`;
}

export function dockerScopeCandidates(ref: DockerReference): ScopeCandidate[] {
  const name = repositoryName(ref);
  return [{ scope: dockerPolicyIdentity(ref), kind: 'reference' }, { scope: name, kind: 'repository' }, ...parentScopes(name)];
}

/** The namespaces, host and wildcard host suffixes above a repository or namespace name, nearest first. */
function parentScopes(name: string): ScopeCandidate[] {
  const out: ScopeCandidate[] = [];
  for (let slash = name.lastIndexOf('/'); slash !== -1; slash = name.lastIndexOf('/')) {
    name = name.slice(0, slash);
    out.push({ scope: name, kind: name.includes('/') ? 'namespace' : 'host' });
  }
  // Wildcards are matched against the host without its port.
  return [...out, ...wildcardsAbove(hostWithoutPort(name))];
}

function hostWithoutPort(host: string): string {
  const colon = host.indexOf(':');
  return colon !== -1 && !host.startsWith('[') ? host.slice(0, colon) : host;
}

function wildcardsAbove(host: string): ScopeCandidate[] {
  const out: ScopeCandidate[] = [];
  for (let dot = host.indexOf('.'); dot !== -1; dot = host.indexOf('.')) {
    host = host.slice(dot + 1);
    out.push({ scope: `*.${host}`, kind: 'wildcard' });
  }
  return out;
}

/**
 * The scopes containers/image would consult after `scope` for an image that `scope` matches, nearest
 * first: for `host/ns/repo:tag` the repository, its namespaces, the host and the wildcards above it;
 * for `*.a.b` the shorter wildcards. What governed the images of a scope before it existed is the
 * first of these present in the policy (then the transport's "" and the global default).
 */
export function broaderScopes(scope: string): ScopeCandidate[] {
  if (scope.startsWith('*.')) return wildcardsAbove(scope.slice(2));
  const slash = scope.indexOf('/');
  if (slash === -1) return wildcardsAbove(hostWithoutPort(scope));
  const at = scope.indexOf('@');
  const colon = scope.indexOf(':', scope.lastIndexOf('/'));
  const repository = at !== -1 ? scope.slice(0, at) : colon !== -1 ? scope.slice(0, colon) : undefined;
  if (repository !== undefined) return [{ scope: repository, kind: 'repository' }, ...parentScopes(repository)];
  return parentScopes(scope);
}

export function describeScopeKind(kind: ScopeKind): string {
  switch (kind) {
    case 'reference':
      return 'this exact tag or digest';
    case 'repository':
      return 'the repository';
    case 'namespace':
      return 'a namespace containing the repository';
    case 'host':
      return 'the registry host';
    case 'wildcard':
      return 'a wildcard host suffix';
  }
}
