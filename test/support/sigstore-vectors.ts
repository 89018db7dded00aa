// The real Sigstore vectors in test/fixtures/sigstore and what their README says each must do:
// the one place tests find them, so a checkout on its own has everything they read.

import { fileURLToPath } from 'node:url';

/** With a trailing slash; a file path, so a checkout under a folder with spaces works too. */
export const VECTORS_DIR = fileURLToPath(new URL('../fixtures/sigstore/', import.meta.url));
export const GHA_ISSUER = 'https://token.actions.githubusercontent.com';
export const BEACON_ID =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
export const PG_ROOT = `${VECTORS_DIR}trust/trusted_root.public-good.json`;
export const STAGING_ROOT = `${VECTORS_DIR}conformance/rekor2-happy-path.trusted_root.staging.json`;
export const ARTIFACT = `${VECTORS_DIR}conformance/a.txt`;

export interface BundleVector {
  /** File name under conformance/ without `.sigstore.json`. */
  readonly bundle: string;
  readonly root: string;
  /** Public key file under conformance/ for keyed bundles; keyless ones expect BEACON_ID. */
  readonly key?: string;
  readonly valid: boolean;
  /** The failure code this app gives the invalid ones. */
  readonly code?: string;
}

export const BUNDLE_VECTORS: readonly BundleVector[] = [
  { bundle: 'happy-path-v0.1', root: PG_ROOT, valid: true },
  { bundle: 'happy-path-v0.3', root: PG_ROOT, valid: true },
  { bundle: 'happy-path-intoto-in-dsse-v3', root: PG_ROOT, valid: true },
  { bundle: 'set-invalid-signature_fail', root: PG_ROOT, valid: false, code: 'tlog-invalid' },
  { bundle: 'bundle-from-wrong-instance_fail', root: PG_ROOT, valid: false, code: 'untrusted-chain' },
  { bundle: 'managed-key-happy-path', root: PG_ROOT, key: 'managed-key-happy-path.key.pub', valid: true },
  { bundle: 'rekor2-happy-path', root: STAGING_ROOT, valid: true },
  { bundle: 'rekor2-happy-path', root: PG_ROOT, valid: false, code: 'tlog-invalid' },
];
