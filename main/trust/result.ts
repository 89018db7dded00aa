// The answer to "is this image signed by whom I trust?": verified with everything the UI shows, or
// failed with a stable code and a message saying what to do; and the JSON shape `cosign verify` prints.

import type { Sha256Digest } from '../shared/image-reference.ts';
import type { CertificateIdentity } from './certificate.ts';
import type { RekorBundle } from './cosign-legacy.ts';
import type { TrustFailureCode } from './errors.ts';
import type { TlogEntryInfo } from './signature-check.ts';

export type SignatureLayout = 'legacy' | 'bundle';

export type SignerDetails =
  | {
      readonly kind: 'keyless';
      /** The certificate's SAN: for GitHub Actions the workflow file and ref. */
      readonly subject: string;
      readonly issuer: string;
      readonly sourceRepository?: string;
      readonly sourceRepositoryRef?: string;
      /** The workflow that signed: the build config URI, else the SAN. */
      readonly workflow: string;
      readonly commit?: string;
      /** The CI run that signed (Run Invocation URI), e.g. `https://github.com/O/R/actions/runs/N/attempts/1`. */
      readonly runInvocationUri?: string;
      readonly certificate: { readonly notBefore: string; readonly notAfter: string };
    }
  | {
      readonly kind: 'key';
      /** base64(sha256(SPKI)), as cosign hints keys. */
      readonly keyId: string;
      /** The key file (or label) that verified it. */
      readonly key: string;
    };

/**
 * What ties a verified digest to the repository it was asked for. One identity often signs every
 * variant of an image, so the signature alone does not say which repository a digest belongs to.
 */
export type RepositoryBinding =
  /** The legacy payload names the repository (`docker-reference`), checked like containers/image. */
  | { readonly kind: 'signed-reference'; readonly reference: string }
  /** The signed in-toto statement names the image. */
  | { readonly kind: 'statement-name'; readonly name: string }
  /** The image's own config labels, covered by the signed digest, name the repository. */
  | { readonly kind: 'labels'; readonly title: string; readonly source?: string; readonly version?: string }
  /** Nothing signed says which repository this digest belongs to. */
  | { readonly kind: 'none'; readonly reason: string };

/** One element of `cosign verify --output json`. */
export interface CosignVerifyEntry {
  readonly critical: {
    /** Absent when the signature names no repository (cosign 3 bundles): none is made up. */
    readonly identity?: { readonly 'docker-reference': string };
    readonly image: { readonly 'docker-manifest-digest': string };
    readonly type: string;
  };
  readonly optional: Record<string, unknown>;
}

export interface VerifiedImage {
  readonly status: 'verified';
  /** The image as asked about, normalised (`ghcr.io/acme/vespera-nvidia:latest`, `oci:/dir:tag`). */
  readonly reference: string;
  /** The digest the signature covers; for a multi-platform tag usually the index. */
  readonly digest: Sha256Digest;
  /** The platform manifest, linked by digest to `digest` through the signed index (or equal to it). */
  readonly platformDigest?: Sha256Digest;
  readonly layout: SignatureLayout;
  readonly signer: SignerDetails;
  /** Who was expected, as the UI should say it, and where that expectation came from. */
  readonly policy: { readonly description: string; readonly origin: 'derived' | 'configured' | 'explicit' | 'key' };
  readonly tlog?: TlogEntryInfo;
  /**
   * Whether rpm-ostree (containers/image) can see this signature at all: only legacy `.sig`
   * signatures in a registry. A cosign 3 bundle is invisible to the OS even when it verifies.
   */
  readonly visibleToRpmOstree: boolean;
  /** The repository the signed payload names (legacy layout only). */
  readonly claimedReference?: string;
  /** What ties the digest to the repository asked for; `none` is said in every verdict. */
  readonly binding: RepositoryBinding;
  /** Signatures examined before one verified (all found, of both layouts). */
  readonly signaturesFound: number;
  readonly verifiedAt: string;
  /** Answered from the verification cache without asking the registry for signatures again. */
  readonly cached: boolean;
  readonly cosign: CosignVerifyEntry;
}

export interface SignatureAttempt {
  readonly layout: SignatureLayout;
  /** Which signature: `layer 2 of sha256-….sig`. */
  readonly where: string;
  readonly code: TrustFailureCode;
  readonly reason: string;
}

export interface VerificationFailure {
  readonly status: 'failed';
  readonly code: TrustFailureCode;
  /** One paragraph: what is wrong and what the user can do. */
  readonly message: string;
  readonly reference: string;
  readonly digest?: Sha256Digest;
  readonly platformDigest?: Sha256Digest;
  /** Every signature looked at and why it did not verify. */
  readonly attempts: readonly SignatureAttempt[];
  /** For image-not-found: tags that do exist (at most 20), for the doctor. */
  readonly availableTags?: readonly string[];
}

export type VerificationResult = VerifiedImage | VerificationFailure;

export function isVerified(result: VerificationResult): result is VerifiedImage {
  return result.status === 'verified';
}

/** What `cosign verify` prints per signature, so IMAGE-SIGNING.md's jq lines work on our output. */
export function cosignEntry(options: {
  /** Only what the signer signed; undefined for statements that name no repository. */
  dockerReference?: string;
  digest: string;
  optional: Readonly<Record<string, unknown>> | null;
  rekor?: RekorBundle;
  certificate?: CertificateIdentity;
}): CosignVerifyEntry {
  const optional: Record<string, unknown> = { ...(options.optional ?? {}) };
  if (options.rekor) optional.Bundle = options.rekor;
  if (options.certificate) {
    if (options.certificate.issuer !== undefined) optional.Issuer = options.certificate.issuer;
    if (options.certificate.subject !== undefined) optional.Subject = options.certificate.subject;
    for (const [name, value] of Object.entries(options.certificate.extensions)) if (name !== 'issuer') optional[name] = value;
  }
  return {
    critical: {
      ...(options.dockerReference !== undefined ? { identity: { 'docker-reference': options.dockerReference } } : {}),
      image: { 'docker-manifest-digest': options.digest },
      type: 'cosign container image signature',
    },
    optional,
  };
}

/** One line on what ties a verified digest to its repository, for every verdict. */
export function describeBinding(binding: RepositoryBinding): string {
  switch (binding.kind) {
    case 'signed-reference':
      return `the signature names ${binding.reference}`;
    case 'statement-name':
      return `the signed statement names ${binding.name}`;
    case 'labels':
      return `the image's signed labels name ${binding.title}${binding.source ? ` from ${binding.source}` : ''}${binding.version ? `, version ${binding.version}` : ''}`;
    case 'none':
      return `NOT BOUND: ${binding.reason}`;
  }
}

/** The first sentence of every failure message, by code; the caller appends the specifics. */
export function failureMessage(code: TrustFailureCode, subject: string, detail: string): string {
  const d = detail ? ` ${detail.endsWith('.') ? detail : `${detail}.`}` : '';
  switch (code) {
    case 'no-signature':
      return `${subject} is not signed.${d} Do not update to it; if it should be signed, ask its publisher to sign it (cosign sign … with --new-bundle-format=false for rpm-ostree to see it).`;
    case 'digest-mismatch':
      return `${subject} is not the image that was signed.${d} Do not update to it; someone may have altered it.`;
    case 'identity-mismatch':
      return `${subject} is signed, but not by whom you trust.${d} Do not update to it; if you do trust this signer, name it in the configuration (families) or on the command line.`;
    case 'ref-not-allowed':
      return `${subject} is signed by the expected repository, but not by one of its releases.${d} Do not update to it; if that ref does publish releases, pin it in the configuration (workflow-ref) or with --workflow-ref.`;
    case 'repository-mismatch':
      return `${subject} is a signed build of another image, not of this repository.${d} Do not update to it; someone may have copied another variant's signed image here.`;
    case 'ambiguous-reference':
      return `${subject} can be read as more than one image.${d} Do not use it: containers/image (and so rpm-ostree) may boot a different image than the one checked here. Export the image again with skopeo copy.`;
    case 'issuer-mismatch':
      return `${subject} is signed by an identity from an unexpected login provider.${d} Do not update to it; check --certificate-oidc-issuer or the configured issuer.`;
    case 'untrusted-chain':
      return `${subject} is signed with a certificate no trusted authority issued.${d} Do not update to it; if you use a private Sigstore, configure its trusted_root.json (trust.trusted-root).`;
    case 'bad-signature':
      return `${subject} has a signature that does not verify.${d} Do not update to it.`;
    case 'tlog-invalid':
      return `${subject} has a signature whose transparency-log record does not check out.${d} Do not update to it.`;
    case 'cert-expired':
      return `${subject} has a signature made with a certificate that was not valid at the time.${d} Do not update to it; ask the publisher to sign again.`;
    case 'image-not-found':
      return `${subject} was not found.${d} Check the image name and tag.`;
    case 'registry-auth':
      return `The registry refused to show ${subject}.${d}`;
    case 'network':
      return `${subject} could not be checked: the registry could not be reached.${d} Nothing was verified; check the network connection and try again.`;
    case 'unsupported-format':
      return `${subject} comes with image or signature data this app cannot read.${d} It is treated as unsigned.`;
    case 'invalid-input':
      return `${subject} cannot be checked as asked.${d}`;
  }
}
