// The trust layer's public face for flows/ and cli/: verify an image (or a bare bundle), the
// registry client, trust roots, identity policies, and the result and error types.

export { TRUST_FAILURE_CODES, TrustError, UNCHECKED_CODES, isTrustFailureCode, verdictOfCode, type TrustFailureCode } from './errors.ts';
export { RegistryClient, connectionFailure, isLoopbackHost, type FetchedManifest, type RegistryClientOptions, type RepositoryRef, type RequestCounters } from './registry-client.ts';
export { CredentialStore, authFiles, type RegistryCredential } from './credentials.ts';
export {
  anchoredRegExp,
  checkIdentity,
  deriveIdentity,
  describeIdentity,
  escapeRegExp,
  identityFor,
  policyFromFamily,
  type IdentityMatcher,
  type IdentityPolicy,
} from './identity-policy.ts';
export { hostArchitecture, isCosignTag, selectPlatform, type ImageIndex, type Manifest } from './manifests.ts';
export { keyHint, loadPublicKey, parsePublicKey, type PublicKeyRef } from './keys.ts';
export {
  defaultCacheDir,
  loadPublicGoodTrustRoot,
  loadTrustedRootFile,
  parseTrustedRoot,
  trustRootFromConfig,
  type TrustRoot,
} from './trust-root.ts';
export { DEFAULT_SIGNED_IDENTITY, signedIdentityMatches, type SignedIdentityRule } from './payload.ts';
export { parseOciLayoutReference, type ImageSource } from './image-source.ts';
export { RefreshableTrustRoot } from './trust-root.ts';
export {
  describeBinding,
  isVerified,
  type CosignVerifyEntry,
  type RepositoryBinding,
  type SignerDetails,
  type VerificationFailure,
  type VerificationResult,
  type VerifiedImage,
} from './result.ts';
export { VerificationCache } from './verification-cache.ts';
export { createTrustContext, verifyImage, type TrustContext, type VerifyImageRequest } from './verify-image.ts';
export { verifyArtifactBundle, type BundleVerificationRequest, type BundleVerificationResult } from './verify-bundle.ts';
