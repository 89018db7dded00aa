// The images of the test world's registry: the six Vespera variants of IMAGE-SIGNING.md under one
// owner, their releases and tags, and how each release is meant to be signed (by the world's signer).

import type { ImageFormat, Platform } from './oci.ts';

export const OWNER = 'acme';
export const SOURCE_REPOSITORY = `https://github.com/${OWNER}/vespera`;
export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
export const BUILD_WORKFLOW = '.github/workflows/build.yml';

export const VARIANTS = [
  'vespera',
  'vespera-nvidia',
  'vespera-nvidia-open',
  'vespera-dx',
  'vespera-dx-nvidia',
  'vespera-dx-nvidia-open',
] as const;
export type Variant = (typeof VARIANTS)[number];

/** How the world's signer signs one release (see test/world/sigstore when it exists). */
export type SignatureIntent =
  | {
      readonly kind: 'keyless';
      /** Where it is stored: cosign's legacy `.sig` tag, or cosign 3's bundle referrer. */
      readonly layout: 'legacy' | 'bundle';
      /** The GitHub repository whose workflow signs (Source Repository URI extension). */
      readonly repository: string;
      readonly workflow: string;
      readonly ref: string;
      readonly issuer: string;
    }
  | { readonly kind: 'key'; readonly layout: 'legacy' | 'bundle'; /** Key pair name in the world. */ readonly key: string };

export interface Release {
  readonly version: string;
  readonly created: string;
  readonly tags: readonly string[];
  readonly signatures: readonly SignatureIntent[];
  /** What the release is for, for people reading scenarios and test output. */
  readonly note?: string;
}

export interface CatalogRepository {
  /** Path in the registry: `acme/vespera-nvidia`. */
  readonly repository: string;
  readonly format: ImageFormat;
  readonly platforms: readonly Platform[];
  readonly releases: readonly Release[];
}

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64' };

export function keylessBy(repository: string, layout: 'legacy' | 'bundle' = 'legacy'): SignatureIntent {
  return { kind: 'keyless', layout, repository, workflow: BUILD_WORKFLOW, ref: 'refs/heads/main', issuer: GITHUB_ISSUER };
}

const OFFICIAL = keylessBy(SOURCE_REPOSITORY);
export const PUBLISHER_KEY: SignatureIntent = { kind: 'key', layout: 'legacy', key: 'vespera' };

/** The key pair the publisher signs with, besides keyless, for the key-enforced variants. */
export const KEY_SIGNED_VARIANTS: readonly Variant[] = ['vespera-nvidia', 'vespera-dx-nvidia'];

const FORMATS: Record<Variant, { format: ImageFormat; platforms: readonly Platform[] }> = {
  vespera: { format: 'oci-manifest', platforms: [AMD64] },
  'vespera-nvidia': { format: 'oci-index', platforms: [AMD64, ARM64] },
  'vespera-nvidia-open': { format: 'oci-index', platforms: [AMD64] },
  'vespera-dx': { format: 'docker-manifest', platforms: [AMD64] },
  'vespera-dx-nvidia': { format: 'oci-index', platforms: [AMD64, ARM64] },
  'vespera-dx-nvidia-open': { format: 'docker-list', platforms: [AMD64] },
};

export const OLD = { version: '42.20261101.0', created: '2026-11-01T04:00:00Z' } as const;
export const CURRENT = { version: '42.20261115.0', created: '2026-11-15T04:00:00Z' } as const;
export const NEWER = { version: '42.20261125.0', created: '2026-11-25T04:00:00Z' } as const;
/**
 * The world's date (the world config's `world.clock`): the day after the newest build, so the
 * catalog's builds are as old in every run as when it was written, whenever the tests run.
 */
export const WORLD_NOW = '2026-11-26T12:00:00Z';
/** The vespera-nvidia build tagged `forked`: signed by another repository's workflow. */
export const FORKED_VERSION = '42.20261124.0';
/** The vespera-nvidia build tagged `key-only`: signed with the publisher key and nothing else. */
export const KEY_ONLY_VERSION = '42.20261123.0';
/** The key pair of someone who is not the publisher (signs the vespera-dx-nvidia build tagged `foreign-key`). */
export const FOREIGN_KEY = 'mallory';

function variantReleases(variant: Variant): Release[] {
  const signatures = KEY_SIGNED_VARIANTS.includes(variant) ? [OFFICIAL, PUBLISHER_KEY] : [OFFICIAL];
  const releases: Release[] = [
    { ...OLD, tags: [OLD.version], signatures, note: 'an older build, booted or kept as rollback' },
    { ...CURRENT, tags: [CURRENT.version, 'latest', '42'], signatures, note: 'what latest points at' },
  ];
  if (variant === 'vespera-nvidia') {
    releases.push(
      { ...NEWER, tags: [NEWER.version], signatures, note: 'a newer build; update scenarios move latest here' },
      {
        version: FORKED_VERSION,
        created: '2026-11-24T04:00:00Z',
        tags: ['forked'],
        signatures: [keylessBy(`https://github.com/mallory/vespera`)],
        note: "signed by another repository's workflow",
      },
      {
        version: KEY_ONLY_VERSION,
        created: '2026-11-23T04:00:00Z',
        tags: ['key-only'],
        signatures: [PUBLISHER_KEY],
        note: 'signed only with the publisher key: no certificate, so nothing says which source it was built from',
      },
    );
  }
  if (variant === 'vespera-dx-nvidia') {
    releases.push({
      version: '42.20261122.0',
      created: '2026-11-22T04:00:00Z',
      tags: ['foreign-key'],
      signatures: [{ kind: 'key', layout: 'legacy', key: FOREIGN_KEY }],
      note: "signed in the legacy layout by a key that is not the publisher's",
    }, {
      version: '42.20261123.0',
      created: '2026-11-23T04:00:00Z',
      tags: ['cosign3-key'],
      signatures: [{ kind: 'key', layout: 'bundle', key: 'vespera' }],
      note: "signed by the publisher's key in cosign 3's bundle layout only, which rpm-ostree cannot see",
    });
  }
  if (variant === 'vespera') {
    releases.push({
      version: '42.20261120.0',
      created: '2026-11-20T04:00:00Z',
      tags: ['cosign3'],
      signatures: [keylessBy(SOURCE_REPOSITORY, 'bundle')],
      note: "signed only in cosign 3's bundle layout, which rpm-ostree cannot see",
    });
  }
  if (variant === 'vespera-dx') {
    releases.push({
      version: '42.20261121.0',
      created: '2026-11-21T04:00:00Z',
      tags: ['unsigned'],
      signatures: [],
      note: 'never signed',
    });
  }
  return releases;
}

export const CATALOG: readonly CatalogRepository[] = VARIANTS.map((variant) => ({
  repository: `${OWNER}/${variant}`,
  ...FORMATS[variant],
  releases: variantReleases(variant),
}));

/** Labels a bootable image carries; `version` becomes the deployment's version in rpm-ostree. */
export function releaseLabels(repository: string, release: Release): Record<string, string> {
  return {
    'org.opencontainers.image.title': repository.split('/').pop() ?? repository,
    'org.opencontainers.image.version': release.version,
    'org.opencontainers.image.created': release.created,
    'org.opencontainers.image.source': SOURCE_REPOSITORY,
    'ostree.bootable': 'true',
    'containers.bootc': '1',
  };
}
