// The typed form of containers-policy.json as containers/image understands it: requirements, trust
// sources, signed-identity rules, and which containers/image (and skopeo) release added each feature.

import type { Position } from './located-json.ts';

/** Where a parsed element sits in its file. */
export interface Located {
  readonly at: Position;
}

export type SignedIdentity = Located &
  (
    | { readonly type: 'matchExact' }
    | { readonly type: 'matchRepoDigestOrExact' }
    | { readonly type: 'matchRepository' }
    | { readonly type: 'exactReference'; readonly dockerReference: string }
    | { readonly type: 'exactRepository'; readonly dockerRepository: string }
    | { readonly type: 'remapIdentity'; readonly prefix: string; readonly signedPrefix: string }
  );

/** What a sigstoreSigned requirement trusts: exactly one of these. */
export type SigstoreTrust =
  | { readonly kind: 'keyPath'; readonly path: string }
  | { readonly kind: 'keyPaths'; readonly paths: readonly string[] }
  | { readonly kind: 'keyData'; readonly data: Buffer }
  | { readonly kind: 'keyDatas'; readonly datas: readonly Buffer[] }
  | {
      readonly kind: 'fulcio';
      readonly ca: { readonly path: string } | { readonly data: Buffer };
      readonly oidcIssuer: string;
      readonly subjectEmail: string;
    }
  | {
      readonly kind: 'pki';
      readonly caRoots: { readonly path: string } | { readonly data: Buffer };
      readonly caIntermediates?: { readonly path: string } | { readonly data: Buffer };
      readonly subjectEmail?: string;
      readonly subjectHostname?: string;
    };

export type RekorKeys =
  | { readonly kind: 'rekorPublicKeyPath'; readonly path: string }
  | { readonly kind: 'rekorPublicKeyPaths'; readonly paths: readonly string[] }
  | { readonly kind: 'rekorPublicKeyData'; readonly data: Buffer }
  | { readonly kind: 'rekorPublicKeyDatas'; readonly datas: readonly Buffer[] };

export type GpgKeySource =
  | { readonly kind: 'keyPath'; readonly path: string }
  | { readonly kind: 'keyPaths'; readonly paths: readonly string[] }
  | { readonly kind: 'keyData'; readonly data: Buffer };

export const SIGNED_BY_KEY_TYPES = ['GPGKeys', 'signedByGPGKeys', 'X509Certificates', 'signedByX509CAs'] as const;
export type SignedByKeyType = (typeof SIGNED_BY_KEY_TYPES)[number];

export type Requirement = Located &
  (
    | { readonly type: 'insecureAcceptAnything' }
    | { readonly type: 'reject' }
    | {
        readonly type: 'signedBy';
        readonly keyType: SignedByKeyType;
        readonly keys: GpgKeySource;
        readonly signedIdentity: SignedIdentity;
        /** false when the file leaves it out and the default (matchRepoDigestOrExact) applies. */
        readonly signedIdentityGiven: boolean;
      }
    | { readonly type: 'signedBaseLayer'; readonly baseLayerIdentity: SignedIdentity }
    | {
        readonly type: 'sigstoreSigned';
        readonly trust: SigstoreTrust;
        readonly rekor?: RekorKeys;
        readonly signedIdentity: SignedIdentity;
        readonly signedIdentityGiven: boolean;
      }
  );

export type RequirementType = Requirement['type'];

export interface ScopeRules extends Located {
  /** `""` is the transport's default scope. */
  readonly scope: string;
  readonly requirements: readonly Requirement[];
}

export interface TransportRules extends Located {
  readonly transport: string;
  /** In file order. */
  readonly scopes: readonly ScopeRules[];
}

export interface Policy {
  readonly default: readonly Requirement[];
  readonly defaultAt: Position;
  /** In file order. */
  readonly transports: readonly TransportRules[];
  /** The newest containers/image feature the file uses; older releases refuse the file. */
  readonly requires: FeatureLevel;
  /** Things that load but do not do what they look like (a scope that never matches, …). */
  readonly warnings: readonly PolicyWarning[];
}

export interface PolicyWarning {
  readonly at: Position;
  readonly message: string;
}

/**
 * Releases that added policy features (containers/image tags, first skopeo release vendoring them;
 * shared/notes/containers-policy.md §2.2). rpm-ostree and bootc use the host's skopeo, so its
 * version decides what a policy may use.
 */
export const FEATURE_LEVELS = [
  { level: 0, containersImage: 'any', skopeo: 'any', what: 'insecureAcceptAnything, reject, signedBy' },
  { level: 1, containersImage: '5.22', skopeo: '1.10', what: 'sigstoreSigned with keyPath/keyData; registries.d use-sigstore-attachments' },
  { level: 2, containersImage: '5.24', skopeo: '1.11', what: 'fulcio and rekorPublicKeyPath/rekorPublicKeyData' },
  { level: 3, containersImage: '5.33', skopeo: '1.17', what: 'keyPaths, keyDatas, rekorPublicKeyPaths, rekorPublicKeyDatas' },
  { level: 4, containersImage: '5.35', skopeo: '1.19', what: 'pki (bring-your-own X.509 PKI)' },
] as const;
export type FeatureLevel = (typeof FEATURE_LEVELS)[number]['level'];

export function describeFeatureLevel(level: FeatureLevel): string {
  const entry = FEATURE_LEVELS[level];
  if (level === 0) return 'any containers/image release';
  return `containers/image ${entry.containersImage} or newer (skopeo ${entry.skopeo} or newer, which rpm-ostree and bootc use)`;
}

/** Transports containers/image registers; scopes of others are accepted but never consulted. */
export const KNOWN_TRANSPORTS = [
  'docker',
  'atomic',
  'containers-storage',
  'dir',
  'docker-archive',
  'docker-daemon',
  'oci',
  'oci-archive',
  'ostree',
  'sif',
  'tarball',
] as const;

/** A requirement list's effect on an image, whatever its signatures. */
export type RequirementsEffect = 'accept-unsigned' | 'reject' | 'require-signature';

export function requirementsEffect(requirements: readonly Requirement[]): RequirementsEffect {
  // All requirements must pass: one reject (or one that can never pass) rejects everything.
  if (requirements.some((r) => r.type === 'reject' || r.type === 'signedBaseLayer')) return 'reject';
  if (requirements.every((r) => r.type === 'insecureAcceptAnything')) return 'accept-unsigned';
  return 'require-signature';
}

/** Exactly `[{"type": "insecureAcceptAnything"}]`: what rpm-ostree's ostree-image-signed refuses. */
export function isInsecureDefault(requirements: readonly Requirement[]): boolean {
  return requirements.length === 1 && requirements[0]?.type === 'insecureAcceptAnything';
}
