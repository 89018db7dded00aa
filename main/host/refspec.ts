// Refspecs: what rpm-ostree stores as a deployment's origin — container image references with their
// signature mode, classic ostree `remote:ref`s and bare checksums — parsed into fields and back, exactly.

import { CodedError } from '../shared/errors.ts';
import { formatDockerReference, parseDockerReference, type DockerReference } from '../shared/image-reference.ts';

export class RefspecError extends CodedError<'invalid-refspec'> {}

/** How rpm-ostree checks an image: policy.json enforced, policy.json only consulted, or an ostree remote's GPG keys. */
export type Verification = 'signed' | 'unverified' | 'ostree-remote';

export type ContainerScheme =
  | 'ostree-image-signed'
  | 'ostree-unverified-image'
  | 'ostree-unverified-registry'
  | 'ostree-remote-image'
  | 'ostree-remote-registry';

export type ContainerTransport =
  | 'registry'
  | 'oci'
  | 'oci-archive'
  | 'docker-archive'
  | 'containers-storage'
  | 'dir'
  | 'docker-daemon';

export interface ContainerRefspec {
  readonly kind: 'container';
  readonly verification: Verification;
  /** The prefix as written; `ostree-unverified-registry:` is shorthand for `ostree-unverified-image:registry:`. */
  readonly scheme: ContainerScheme;
  /** The ostree remote whose keys verify the image (`ostree-remote-*` only). */
  readonly remote?: string;
  readonly transport: ContainerTransport;
  /** How a registry transport was written: `docker://`, `registry:`, or implied by a `-registry` scheme. */
  readonly transportSpelling: 'docker://' | 'registry:' | 'implied' | 'plain';
  /** The transport's name exactly as written (for a registry: `host/path[:tag][@digest]`). */
  readonly name: string;
  /** The registry image, parsed (registry transport only): host, repository, tag, digest. */
  readonly image?: DockerReference;
}

export interface OstreeRefspec {
  readonly kind: 'ostree';
  readonly remote?: string;
  readonly ref: string;
  /** Written with the old `ostree://` prefix, which rpm-ostree still accepts. */
  readonly compatPrefix: boolean;
}

export interface ChecksumRefspec {
  readonly kind: 'checksum';
  readonly checksum: string;
}

export type Refspec = ContainerRefspec | OstreeRefspec | ChecksumRefspec;

const MAX_REFSPEC = 2048;
const TRANSPORTS: readonly ContainerTransport[] = [
  'registry',
  'oci',
  'oci-archive',
  'docker-archive',
  'containers-storage',
  'dir',
  'docker-daemon',
];
const OSTREE_REMOTE = /^[A-Za-z0-9_][-._A-Za-z0-9]*$/;
const OSTREE_REF = /^[A-Za-z0-9_][-._A-Za-z0-9]*(?:\/[A-Za-z0-9_][-._A-Za-z0-9]*)*$/;
const CHECKSUM = /^[0-9a-f]{64}$/;

/** Parses any origin rpm-ostree accepts; `formatRefspec` gives back the same string. */
export function parseRefspec(text: string): Refspec {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_REFSPEC) {
    throw invalid(String(text).slice(0, 80), 'it is empty or longer than 2048 characters');
  }
  if (/[\s\0]/.test(text)) throw invalid(text, 'it contains spaces or control characters');
  if (text.startsWith('ostree-')) {
    const container = parseContainer(text);
    if (container) return container;
  }
  let rest = text;
  let compatPrefix = false;
  if (rest.startsWith('ostree://')) {
    rest = rest.slice('ostree://'.length);
    compatPrefix = true;
  }
  if (!compatPrefix && CHECKSUM.test(rest)) return { kind: 'checksum', checksum: rest };
  const colon = rest.indexOf(':');
  const remote = colon === -1 ? undefined : rest.slice(0, colon);
  const ref = colon === -1 ? rest : rest.slice(colon + 1);
  if (remote !== undefined && !OSTREE_REMOTE.test(remote)) throw invalid(text, `"${remote}" is not an ostree remote name`);
  if (!OSTREE_REF.test(ref)) throw invalid(text, `"${ref}" is not an ostree branch name`);
  return { kind: 'ostree', ...(remote !== undefined ? { remote } : {}), ref, compatPrefix };
}

function parseContainer(text: string): ContainerRefspec | undefined {
  const colon = text.indexOf(':');
  const scheme = text.slice(0, colon);
  let rest = text.slice(colon + 1);
  let verification: Verification;
  let remote: string | undefined;
  switch (scheme) {
    case 'ostree-image-signed':
      verification = 'signed';
      break;
    case 'ostree-unverified-image':
    case 'ostree-unverified-registry':
      verification = 'unverified';
      break;
    case 'ostree-remote-image':
    case 'ostree-remote-registry': {
      const next = rest.indexOf(':');
      if (next <= 0) throw invalid(text, 'the ostree remote name is missing');
      remote = rest.slice(0, next);
      if (!OSTREE_REMOTE.test(remote)) throw invalid(text, `"${remote}" is not an ostree remote name`);
      rest = rest.slice(next + 1);
      verification = 'ostree-remote';
      break;
    }
    default:
      return undefined;
  }
  const base = { kind: 'container' as const, verification, scheme: scheme, ...(remote !== undefined ? { remote } : {}) };
  if (scheme === 'ostree-unverified-registry' || scheme === 'ostree-remote-registry') {
    return { ...base, transport: 'registry', transportSpelling: 'implied', name: rest, image: registryImage(text, rest) };
  }
  const transportColon = rest.indexOf(':');
  if (transportColon === -1) throw invalid(text, 'the transport (docker://, registry:, oci:, …) is missing');
  const transportName = rest.slice(0, transportColon);
  let name = rest.slice(transportColon + 1);
  if (transportName === 'docker') {
    if (!name.startsWith('//')) throw invalid(text, 'the docker transport is written docker://');
    name = name.slice(2);
    return { ...base, transport: 'registry', transportSpelling: 'docker://', name, image: registryImage(text, name) };
  }
  if (transportName === 'registry') {
    return { ...base, transport: 'registry', transportSpelling: 'registry:', name, image: registryImage(text, name) };
  }
  if (!(TRANSPORTS as readonly string[]).includes(transportName)) {
    throw invalid(text, `"${transportName}" is not a transport rpm-ostree knows`);
  }
  if (name.length === 0) throw invalid(text, 'the image name is empty');
  return { ...base, transport: transportName as ContainerTransport, transportSpelling: 'plain', name };
}

function registryImage(text: string, name: string): DockerReference {
  try {
    return parseDockerReference(name);
  } catch (error) {
    throw invalid(text, error instanceof Error ? error.message : String(error));
  }
}

export function formatRefspec(refspec: Refspec): string {
  switch (refspec.kind) {
    case 'checksum':
      return refspec.checksum;
    case 'ostree':
      return `${refspec.compatPrefix ? 'ostree://' : ''}${refspec.remote !== undefined ? `${refspec.remote}:` : ''}${refspec.ref}`;
    case 'container': {
      const remote = refspec.remote !== undefined ? `${refspec.remote}:` : '';
      switch (refspec.transportSpelling) {
        case 'implied':
          return `${refspec.scheme}:${remote}${refspec.name}`;
        case 'docker://':
          return `${refspec.scheme}:${remote}docker://${refspec.name}`;
        case 'registry:':
          return `${refspec.scheme}:${remote}registry:${refspec.name}`;
        case 'plain':
          return `${refspec.scheme}:${remote}${refspec.transport}:${refspec.name}`;
      }
    }
  }
}

/**
 * The refspec for a registry image in the spelling people and docs use: `ostree-image-signed:docker://…`
 * (policy.json enforced) or `ostree-unverified-registry:…`.
 */
export function imageRefspec(verification: 'signed' | 'unverified', image: DockerReference): ContainerRefspec {
  const name = formatDockerReference(image);
  return verification === 'signed'
    ? { kind: 'container', verification, scheme: 'ostree-image-signed', transport: 'registry', transportSpelling: 'docker://', name, image }
    : { kind: 'container', verification, scheme: 'ostree-unverified-registry', transport: 'registry', transportSpelling: 'implied', name, image };
}

/** True when both name the same registry image (same repository, tag and digest), whatever the signature mode. */
export function sameImage(a: Refspec, b: Refspec): boolean {
  if (a.kind !== 'container' || b.kind !== 'container' || !a.image || !b.image) return false;
  return formatDockerReference(a.image) === formatDockerReference(b.image);
}

function invalid(text: string, why: string): RefspecError {
  return new RefspecError(
    'invalid-refspec',
    `"${text}" is not an image reference rpm-ostree accepts: ${why}. Write it like ostree-image-signed:docker://ghcr.io/OWNER/IMAGE:TAG.`,
  );
}
