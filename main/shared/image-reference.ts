// Docker image references (registry/repository[:tag][@digest]) as the distribution spec and
// containers/image parse them, including docker.io normalisation. Shared by host, trust and policy.

import { CodedError } from './errors.ts';

export type Sha256Digest = `sha256:${string}`;

export interface DockerReference {
  /** Registry host with optional port, lower-case: `ghcr.io`, `docker.io`, `127.0.0.1:5000`. */
  readonly registry: string;
  /** Path inside the registry: `acme/vespera-nvidia`, `library/fedora`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Sha256Digest;
}

export class ImageReferenceError extends CodedError<'invalid-reference'> {}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const TAG = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(
  `^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);
const DOMAIN_ONLY = new RegExp(`^${DOMAIN}$`);
const SHA256 = /^sha256:[0-9a-f]{64}$/;
const MAX_NAME_LENGTH = 255;

export const DOCKER_HUB = 'docker.io';

export function isSha256Digest(value: unknown): value is Sha256Digest {
  return typeof value === 'string' && SHA256.test(value);
}

/**
 * Parses a reference the way `docker pull` / containers/image do: a first component without `.` or
 * `:` (and not `localhost`) is a Docker Hub path, and single-name Hub images live under `library/`.
 */
export function parseDockerReference(input: string): DockerReference {
  if (typeof input !== 'string' || input.length === 0 || input.length > 1024) {
    throw invalid(String(input), 'it is empty or too long');
  }
  const match = REFERENCE.exec(input);
  if (!match) {
    if (/[A-Z]/.test(input.split('/').slice(1).join('/'))) throw invalid(input, 'repository names must be lower-case');
    throw invalid(input, 'it is not of the form registry/owner/name[:tag][@sha256:digest]');
  }
  const [, name = '', tag, digest] = match;
  if (name.length > MAX_NAME_LENGTH) throw invalid(input, `the name is longer than ${MAX_NAME_LENGTH} characters`);
  if (digest !== undefined && !SHA256.test(digest)) {
    throw invalid(input, 'only sha256 digests of 64 lower-case hex characters are supported');
  }
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  let registry: string;
  let repository: string;
  if (first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost') && DOMAIN_ONLY.test(first)) {
    registry = first.toLowerCase();
    repository = name.slice(slash + 1);
  } else {
    registry = DOCKER_HUB;
    repository = name;
  }
  if (/[A-Z]/.test(repository)) throw invalid(input, 'repository names must be lower-case');
  if (registry === DOCKER_HUB || registry === 'index.docker.io') {
    registry = DOCKER_HUB;
    if (!repository.includes('/')) repository = `library/${repository}`;
  }
  return {
    registry,
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest: digest as Sha256Digest } : {}),
  };
}

/** `registry/repository`, the identity cosign signs and policy scopes match. */
export function repositoryName(ref: DockerReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The fully qualified form: `registry/repository[:tag][@digest]`. */
export function formatDockerReference(ref: DockerReference): string {
  let out = repositoryName(ref);
  if (ref.tag !== undefined) out += `:${ref.tag}`;
  if (ref.digest !== undefined) out += `@${ref.digest}`;
  return out;
}

/** The same repository pinned to a digest (tag dropped), as rpm-ostree and cosign address content. */
export function withDigest(ref: DockerReference, digest: Sha256Digest): DockerReference {
  return { registry: ref.registry, repository: ref.repository, digest };
}

function invalid(input: string, why: string): ImageReferenceError {
  return new ImageReferenceError(
    'invalid-reference',
    `"${input}" is not a valid image reference: ${why}. Write it like ghcr.io/OWNER/IMAGE:TAG.`,
  );
}

/**
 * Suffixes of the variants an image family publishes side by side (the Vespera images of
 * IMAGE-SIGNING.md, and Universal Blue's naming): `vespera`, `vespera-nvidia`, … `vespera-dx-nvidia-open`.
 * All variants come from one source repository and carry the same signer.
 */
export const VARIANT_SUFFIXES = ['', '-nvidia', '-nvidia-open', '-dx', '-dx-nvidia', '-dx-nvidia-open'] as const;
const VARIANT_SUFFIX = /(?:-dx)?(?:-nvidia(?:-open)?)?$/;

/** The family's base name: `vespera` for `vespera-dx-nvidia`. */
export function variantBase(name: string): string {
  return name.replace(VARIANT_SUFFIX, '');
}

/** Every variant repository of the image's family, on the same registry and owner. */
export function variantFamily(ref: DockerReference): string[] {
  const parts = ref.repository.split('/');
  const name = parts.pop() ?? '';
  const base = variantBase(name);
  const prefix = [ref.registry, ...parts].join('/');
  if (base === '') return [repositoryName(ref)];
  return VARIANT_SUFFIXES.map((suffix) => `${prefix}/${base}${suffix}`);
}
