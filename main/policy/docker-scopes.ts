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
  const out: ScopeCandidate[] = [{ scope: dockerPolicyIdentity(ref), kind: 'reference' }];
  let name = repositoryName(ref);
  out.push({ scope: name, kind: 'repository' });
  for (let slash = name.lastIndexOf('/'); slash !== -1; slash = name.lastIndexOf('/')) {
    name = name.slice(0, slash);
    out.push({ scope: name, kind: name.includes('/') ? 'namespace' : 'host' });
  }
  // Wildcards are matched against the host without its port.
  let host = name;
  const colon = host.indexOf(':');
  if (colon !== -1 && !host.startsWith('[')) host = host.slice(0, colon);
  for (let dot = host.indexOf('.'); dot !== -1; dot = host.indexOf('.')) {
    host = host.slice(dot + 1);
    out.push({ scope: `*.${host}`, kind: 'wildcard' });
  }
  return out;
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
