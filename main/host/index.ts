// The host client's public face: what flows/ and cli/ import. Everything that talks to rpm-ostreed
// and logind lives behind connectHost(); the rest are the value types and parsers it hands out.

export { connectHost, HostClient, RPMOSTREE_NAME, type BusStats, type CleanupElement, type ConnectOptions } from './client.ts';
export { HostError, type HostErrorCode } from './errors.ts';
export {
  deploymentJson,
  type ActiveTransaction,
  type AutomaticUpdatePolicy,
  type CachedUpdate,
  type Deployment,
  type HostState,
  type ManifestDiff,
} from './model.ts';
export {
  formatRefspec,
  imageRefspec,
  parseRefspec,
  RefspecError,
  sameImage,
  type ChecksumRefspec,
  type ContainerRefspec,
  type ContainerScheme,
  type ContainerTransport,
  type OstreeRefspec,
  type Refspec,
  type Verification,
} from './refspec.ts';
export type { HostOperation, Transaction, TransactionEvent, TransactionOutcome } from './transaction.ts';
export { parsePackageDiff, type PackageChangeKind, type PackageDiffEntry, type RpmPackageId } from './package-diff.ts';
