// View-model fixtures for renderer tests: one StatusSnapshot per host health, migration and rollback
// previews, outcomes, progress and a doctor report, shaped like the acme/vespera test world.

import type {
  DeploymentView,
  DoctorReport,
  EnforcementView,
  HostHealth,
  MigrationPreview,
  OperationOutcome,
  ProgressEvent,
  RollbackPreview,
  Settings,
  SignatureView,
  StatusSnapshot,
} from '../../../preload/contract.ts';

const REPOSITORY = 'https://github.com/acme/vespera';
const WORKFLOW = '.github/workflows/build.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
const IMAGE = 'ghcr.io/acme/vespera-nvidia:latest';
export const SIGNED_REFERENCE = `ostree-image-signed:docker://${IMAGE}`;
export const UNVERIFIED_REFERENCE = `ostree-unverified-registry:${IMAGE}`;

export const DIGESTS = {
  old: 'sha256:3c9a0e5f1b7d24c8e6a1f0b93d57c2e48a1b6f0d9c3e7a25b8f14d6e0c9a7b31',
  current: 'sha256:8f4e2b1a9c7d6e5f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f',
  newer: 'sha256:d2b7c41e9a03f6b58e17c2d94a60f3b1e8c57d29a4f0b6e3c81d75a92f4e06b8',
  forged: 'sha256:0e1d2c3b4a5968778695a4b3c2d1e0f0e1d2c3b4a5968778695a4b3c2d1e0f9a',
} as const;

export const VERSIONS = { old: '42.20261101.0', current: '42.20261115.0', newer: '42.20261125.0' } as const;
const BUILT = { old: '2026-11-01T04:00:00Z', current: '2026-11-15T04:00:00Z', newer: '2026-11-25T04:00:00Z' } as const;
const CHECKED_AT = '2026-11-26T09:30:00Z';

export function keylessSignature(digest: string, overrides: Partial<SignatureView> = {}): SignatureView {
  return {
    status: 'verified',
    digest,
    expected: { description: 'A GitHub Actions workflow of github.com/acme/vespera', derived: true },
    signer: {
      kind: 'keyless',
      identity: `${REPOSITORY}/${WORKFLOW}`,
      issuer: ISSUER,
      sourceRepository: REPOSITORY,
      workflow: WORKFLOW,
      commit: '4f2c9a1e7b3d5f60a8c2e4b6d8f0a1c3e5b7d9f1',
    },
    layout: 'legacy',
    transparencyLog: { logIndex: 152034877, integratedTime: '2026-11-15T04:12:09Z' },
    visibleToOs: true,
    checkedAt: CHECKED_AT,
    ...overrides,
  };
}

export function keySignature(digest: string): SignatureView {
  return {
    status: 'verified',
    digest,
    expected: { description: 'The publisher key vespera.pub', derived: false },
    signer: { kind: 'key', identity: 'vespera.pub (SHA256:Xq3v0mK8pT2bY7cN1rW5hJ9dF4gL6sA0eZ8uI2oP4kM)' },
    layout: 'legacy',
    transparencyLog: { logIndex: 152034901, integratedTime: '2026-11-15T04:12:41Z' },
    visibleToOs: true,
    checkedAt: CHECKED_AT,
  };
}

/** Worded as main words it: the image and its full digest in the sentence, so it is long and unbroken. */
export const FORGED_FAILURE = {
  code: 'identity-mismatch',
  message:
    'ghcr.io/acme/vespera-nvidia:latest (sha256:0e1d2c3b4a5968778695a4b3c2d1e0f0e1d2c3b4a5968778695a4b3c2d1e0f9a) is signed, but not by whom you trust. Its signature: it was built from https://github.com/mallory/vespera, not https://github.com/acme/vespera. Do not update to it.',
} as const;

const failedSignature: SignatureView = {
  status: 'failed',
  digest: DIGESTS.forged,
  expected: { description: 'A GitHub Actions workflow of github.com/acme/vespera', derived: true },
  failure: FORGED_FAILURE,
  checkedAt: CHECKED_AT,
};

function deployment(role: DeploymentView['role'], release: 'old' | 'current' | 'newer', extra: Partial<DeploymentView> = {}): DeploymentView {
  return {
    id: `vespera-${release}-${role}`,
    role,
    version: VERSIONS[release],
    timestamp: BUILT[release],
    imageReference: SIGNED_REFERENCE,
    transport: 'signed',
    digest: DIGESTS[release],
    pinned: false,
    finalizationLocked: false,
    signature: keylessSignature(DIGESTS[release]),
    ...extra,
  };
}

export const ENFORCEMENT: Record<EnforcementView['mode'], EnforcementView> = {
  'key-enforced': {
    mode: 'key-enforced',
    summary: 'Enforced by the OS (key vespera.pub)',
    detail:
      'rpm-ostree refuses any ghcr.io/acme/vespera-nvidia image without a valid signature from this key. Vespera Updates also checks the keyless signature of each update before it says the update is ready.',
    keyPath: '/etc/pki/containers/vespera.pub',
  },
  'app-enforced': {
    mode: 'app-enforced',
    summary: 'Verified by Vespera Updates before each update; the OS cannot enforce keyless GitHub identities',
    detail:
      'Vespera Updates checks the keyless signature of each exact image digest and only then stages it, held until you choose Restart now. Something staged from a terminal is checked afterwards and flagged if it fails.',
  },
  none: {
    mode: 'none',
    summary: 'Nobody enforces signatures: the OS installs this image unchecked',
    detail:
      'This computer follows an ostree-unverified-registry: reference, so rpm-ostree installs whatever the registry serves. Switch to a signed image to have every update checked.',
  },
};

const booted = deployment('booted', 'current');
const rollback = deployment('rollback', 'old');

const base = {
  deployments: [booted, rollback],
  enforcement: ENFORCEMENT['key-enforced'],
  automaticUpdatePolicy: 'none',
  notices: [],
  checkedAt: CHECKED_AT,
} satisfies Partial<StatusSnapshot>;

/** One snapshot per health, each as main would describe that host. */
export const SNAPSHOTS: Record<HostHealth, StatusSnapshot> = {
  'signed-current': {
    ...base,
    health: 'signed-current',
    headline: `Signed and up to date: ${VERSIONS.current}`,
    actions: ['check-now', 'rollback', 'doctor'],
  },
  'update-ready': {
    ...base,
    health: 'update-ready',
    headline: `Signed update ready: restart to apply ${VERSIONS.newer}`,
    enforcement: ENFORCEMENT['app-enforced'],
    deployments: [booted, deployment('staged', 'newer', { finalizationLocked: true }), rollback],
    update: {
      state: 'ready',
      version: VERSIONS.newer,
      timestamp: BUILT.newer,
      imageReference: SIGNED_REFERENCE,
      digest: DIGESTS.newer,
      signature: keylessSignature(DIGESTS.newer, { transparencyLog: { logIndex: 155820113, integratedTime: '2026-11-25T04:09:51Z' } }),
      download: { layers: 14, bytes: 812_400_000 },
    },
    actions: ['restart-now', 'open-details', 'discard-staged'],
  },
  'update-available': {
    ...base,
    health: 'update-available',
    headline: `Update available: ${VERSIONS.newer}, signed by github.com/acme/vespera`,
    update: {
      state: 'available',
      version: VERSIONS.newer,
      timestamp: BUILT.newer,
      imageReference: SIGNED_REFERENCE,
      digest: DIGESTS.newer,
      signature: keySignature(DIGESTS.newer),
      download: { layers: 3, bytes: 245_600_000 },
    },
    actions: ['stage-update', 'open-details', 'check-now'],
  },
  // As main's classification gives it: the reason as the detail and again on the card, a notice besides.
  'needs-attention': {
    ...base,
    health: 'needs-attention',
    headline: 'The staged update 42.20261126.0 failed its signature check: discard it',
    detail: FORGED_FAILURE.message,
    enforcement: ENFORCEMENT['app-enforced'],
    deployments: [
      booted,
      { ...deployment('staged', 'newer'), id: 'forged-staged', version: '42.20261126.0', digest: DIGESTS.forged, signature: failedSignature },
      rollback,
    ],
    update: { state: 'failed', version: '42.20261126.0', imageReference: SIGNED_REFERENCE, digest: DIGESTS.forged, signature: failedSignature },
    automaticUpdatePolicy: 'stage',
    notices: [
      { code: 'staged-not-verified', severity: 'critical', message: 'Do not restart into the staged update: it is not what its publisher signed. Discard it.', action: 'discard-staged' },
      {
        code: 'staged-outside-app',
        severity: 'critical',
        message: 'This update was staged outside Vespera Updates (the automatic timer or a terminal), so it is not held: any restart boots it.',
        action: 'discard-staged',
      },
    ],
    actions: ['discard-staged', 'open-details', 'doctor'],
  },
  // As main gives it: the enforcement's detail as the headline's detail, its summary as a notice.
  unverified: {
    ...base,
    health: 'unverified',
    headline: 'This host boots unverified images',
    detail: ENFORCEMENT.none.detail,
    enforcement: ENFORCEMENT.none,
    deployments: [
      deployment('booted', 'current', {
        imageReference: UNVERIFIED_REFERENCE,
        transport: 'unverified',
        signature: keylessSignature(DIGESTS.current, { visibleToOs: false, layout: 'bundle' }),
      }),
    ],
    notices: [{ code: 'unverified-host', severity: 'warning', message: ENFORCEMENT.none.summary, action: 'migrate' }],
    actions: ['migrate', 'check-now', 'doctor'],
  },
  'restart-pending': {
    ...base,
    health: 'restart-pending',
    headline: `Next restart: ${VERSIONS.old} (rollback)`,
    detail: `This computer runs ${VERSIONS.current} until it restarts.`,
    deployments: [booted, deployment('pending', 'old', { nextBoot: true })],
    actions: ['check-now', 'doctor'],
  },
  'cannot-check': {
    ...base,
    health: 'cannot-check',
    headline: "Could not check the running system's signature",
    detail: 'ghcr.io refused the connection. It last verified on 2026-11-24T09:12:00.000Z, signed by build.yml of github.com/acme/vespera.',
    deployments: [
      deployment('booted', 'current', {
        signature: {
          status: 'unchecked',
          digest: DIGESTS.current,
          failure: { code: 'network', message: 'ghcr.io/acme/vespera-nvidia could not be checked: the registry could not be reached. ghcr.io refused the connection while fetching the manifest. Nothing was verified; check the network connection and try again.' },
          lastVerified: { checkedAt: '2026-11-24T09:12:00.000Z', signedBy: 'build.yml of github.com/acme/vespera' },
          checkedAt: CHECKED_AT,
        },
      }),
      rollback,
    ],
    notices: [{ code: 'check-failed', severity: 'warning', message: 'Could not check for updates: ghcr.io refused the connection.', action: 'check-now' }],
    actions: ['check-now', 'doctor'],
  },
  checking: {
    ...base,
    health: 'checking',
    headline: 'Checking for a signed update…',
    actions: [],
  },
  busy: {
    ...base,
    health: 'busy',
    headline: 'rpm-ostree is working: downloading an update',
    transaction: { title: 'Downloading an update', percent: 42, message: '6 of 14 layers', ownedByApp: false },
    actions: ['doctor'],
  },
  'no-daemon': {
    health: 'no-daemon',
    headline: 'Cannot reach the update service (rpm-ostreed)',
    detail: 'Vespera Updates will keep trying. If this lasts, run Diagnose problems.',
    deployments: [],
    enforcement: { mode: 'none', summary: 'Unknown: the update service is not answering', detail: 'Without rpm-ostreed nothing can be read or checked.' },
    automaticUpdatePolicy: 'unknown',
    notices: [],
    actions: ['doctor'],
  },
};

const POLICY_DIFF = `--- a/etc/containers/policy.json
+++ b/etc/containers/policy.json
@@ -1,9 +1,19 @@
 {
-  "default": [{ "type": "insecureAcceptAnything" }],
+  "default": [{ "type": "reject" }],
   "transports": {
     "docker-daemon": { "": [{ "type": "insecureAcceptAnything" }] },
+    "docker": {
+      "ghcr.io/acme/vespera-nvidia": [
+        {
+          "type": "sigstoreSigned",
+          "keyPath": "/etc/pki/containers/vespera.pub",
+          "signedIdentity": { "type": "matchRepository" }
+        }
+      ]
+    }
   }
 }
`;

const REGISTRIES_DIFF = `--- /dev/null
+++ b/etc/containers/registries.d/vespera.yaml
@@ -0,0 +1,3 @@
+docker:
+  ghcr.io/acme:
+    use-sigstore-attachments: true
`;

/**
 * What key mode lets the user choose on the acme host, as main words it (the planner decides what is
 * possible): keeping an accept-anything default is not, since rpm-ostree then refuses signed images.
 */
export const MIGRATION_CHOICES: NonNullable<MigrationPreview['choices']> = {
  scope: [
    { value: 'image', label: 'Only this image', hint: 'One rule for ghcr.io/acme/vespera-nvidia, the image this computer runs.', available: true },
    {
      value: 'per-variant',
      label: 'Every Vespera variant',
      hint: 'One rule for each of the six images of the family: vespera, vespera-nvidia, vespera-nvidia-open, vespera-dx, vespera-dx-nvidia, vespera-dx-nvidia-open.',
      available: true,
    },
    { value: 'namespace', label: 'Everything under ghcr.io/acme', hint: 'One rule for every image the publisher has or adds under ghcr.io/acme.', available: true },
  ],
  defaultPolicy: [
    { value: 'reject', label: 'Refuse images no rule covers', hint: 'Only images a rule names can be installed: the strictest choice.', available: true },
    {
      value: 'keep',
      label: 'Keep the current default',
      hint: 'Other images are treated as they are today.',
      available: false,
      unavailableReason: 'Not possible on this computer: the current default accepts every image unsigned, and rpm-ostree refuses a signed image reference while it does.',
    },
  ],
};

export const MIGRATION_KEY: MigrationPreview = {
  planId: 'plan-key-0001',
  from: UNVERIFIED_REFERENCE,
  to: SIGNED_REFERENCE,
  mode: 'key-enforced',
  modeReason: 'The publisher signs vespera-nvidia with a key as well as keylessly, so the OS itself can refuse anything unsigned.',
  target: { version: VERSIONS.current, digest: DIGESTS.current, signature: keySignature(DIGESTS.current) },
  policyChanges: [
    { path: '/etc/containers/policy.json', action: 'modify', diff: POLICY_DIFF },
    { path: '/etc/containers/registries.d/vespera.yaml', action: 'create', diff: REGISTRIES_DIFF },
  ],
  steps: [
    'Check the signature of sha256:8f4e2b1a9c7d… again',
    'Install the key vespera.pub in /etc/pki/containers',
    'Write the signature policy and registries.d entry',
    'Rebase to ostree-image-signed:docker://ghcr.io/acme/vespera-nvidia:latest',
  ],
  warnings: ['Images from other registries are refused from now on unless a rule allows them.'],
  options: { mode: 'auto', scope: 'image', defaultPolicy: 'reject' },
  choices: MIGRATION_CHOICES,
  canRun: true,
};

/** App mode writes no policy, so main offers no scope or default choice. */
export const MIGRATION_APP: MigrationPreview = {
  ...withoutChoices(MIGRATION_KEY),
  planId: 'plan-app-0002',
  mode: 'app-enforced',
  modeReason: 'You chose app-enforced: Vespera Updates checks the keyless signature of github.com/acme/vespera before each update.',
  target: { version: VERSIONS.current, digest: DIGESTS.current, signature: keylessSignature(DIGESTS.current) },
  policyChanges: [{ path: '/etc/containers/registries.d/vespera.yaml', action: 'create', diff: REGISTRIES_DIFF }],
  steps: ['Check the keyless signature of sha256:8f4e2b1a9c7d… again', 'Deploy that exact digest, held until you choose Restart now'],
  warnings: [],
  options: { mode: 'app', scope: 'per-variant', defaultPolicy: 'reject' },
};

function withoutChoices(preview: MigrationPreview): MigrationPreview {
  const { choices: _choices, ...rest } = preview;
  return rest;
}

/** The target failed verification: main names it and its failed signature, and nothing it would write. */
export const MIGRATION_BLOCKED: MigrationPreview = {
  planId: 'plan-blocked-03',
  from: UNVERIFIED_REFERENCE,
  mode: 'key-enforced',
  target: { digest: DIGESTS.forged, signature: failedSignature },
  policyChanges: [],
  steps: [],
  warnings: [],
  options: { mode: 'auto' },
  canRun: false,
  blockedBy: `The image ghcr.io/acme/vespera-nvidia:latest failed its signature check, so switching to it would not make this computer safer: ${FORGED_FAILURE.message}`,
};

/**
 * A staged update stands in the way, shaped as main sent it before blocked previews lost their empty
 * fields: To equal to From, an empty mode reason and digest, a plan and choices that will not run.
 */
export const MIGRATION_BLOCKED_BY_STAGED: MigrationPreview = {
  ...MIGRATION_KEY,
  planId: 'plan-blocked-04',
  to: UNVERIFIED_REFERENCE,
  mode: 'app-enforced',
  modeReason: '',
  target: { digest: '', signature: { status: 'not-checked' } },
  canRun: false,
  blockedBy: `An update is already staged (${VERSIONS.newer}); restart into it or discard it first, so this migration can be undone exactly.`,
};

export const MIGRATION_PROGRESS: readonly ProgressEvent[] = [
  { operation: 'migrate', step: 'Verifying the target image', percent: 10 },
  { operation: 'migrate', step: 'Writing the signature policy', percent: 30 },
  { operation: 'migrate', step: 'Rebasing to the signed image', message: 'downloading 6 of 14 layers', percent: 55 },
];

export const MIGRATION_SUCCESS: OperationOutcome = {
  ok: true,
  message: `This computer now follows ${SIGNED_REFERENCE}.`,
  hostState: `${VERSIONS.current} is staged and starts at the next restart. The OS checks the key signature of every update from now on.`,
  rebootRequired: true,
};

export const MIGRATION_FAILURE: OperationOutcome = {
  ok: false,
  code: 'rebase-refused',
  message: 'rpm-ostree refused the signed image: "A signature was required, but no signature exists". The registry has no signature for this digest where the OS looks.',
  hostState: 'The host is exactly as it was: the policy files were restored and nothing was staged.',
};

const staged = deployment('staged', 'newer', { finalizationLocked: true });

export const ROLLBACK_BLOCKED_BY_STAGED: RollbackPreview = {
  booted,
  target: { ...rollback, signature: keylessSignature(DIGESTS.old, { checkedAt: '2026-11-26T09:41:00Z' }) },
  blockedByStaged: staged,
  canRun: false,
  blockedBy: `${VERSIONS.newer} is staged; rolling back discards it first.`,
};

export const ROLLBACK_PROGRESS: readonly ProgressEvent[] = [
  { operation: 'rollback', step: 'Discarding the staged update', percent: 20 },
  { operation: 'rollback', step: 'Making the rollback deployment the default', percent: 70 },
];

export const ROLLBACK_SUCCESS: OperationOutcome = {
  ok: true,
  message: `${VERSIONS.old} starts at the next restart.`,
  hostState: `${VERSIONS.current} stays installed as the rollback.`,
  rebootRequired: true,
};

export const DOCTOR_REPORT: DoctorReport = {
  ranAt: '2026-11-26T09:45:00Z',
  checks: [
    {
      id: 'daemon',
      title: 'The update service answers',
      status: 'pass',
      summary: 'rpm-ostreed 2025.11 is running and answered on the system bus.',
      evidence: ['org.projectatomic.rpmostree1 owned by :1.42'],
    },
    {
      id: 'image-reference',
      title: 'The image reference is signed',
      status: 'fail',
      summary: 'This computer follows an unverified reference, so the OS installs updates without checking them.',
      evidence: [`booted origin: ${UNVERIFIED_REFERENCE}`, `ghcr.io/acme/vespera-nvidia:latest resolves to ${DIGESTS.current} (https://ghcr.io/v2/acme/vespera-nvidia/manifests/latest)`],
      fix: { text: 'Switch to the signed reference with the migration wizard, or from a terminal:', command: `rpm-ostree rebase ${SIGNED_REFERENCE}` },
    },
    {
      id: 'policy-default',
      title: 'The signature policy refuses unknown images',
      status: 'fail',
      summary: 'policy.json accepts any image by default; rpm-ostree refuses signed references with that default.',
      evidence: ['/etc/containers/policy.json: "default": [{"type": "insecureAcceptAnything"}]'],
      fix: { text: 'Let the migration wizard write the policy; it shows the exact change first.' },
    },
    {
      id: 'key-installed',
      title: 'The publisher key is installed',
      status: 'skip',
      summary: 'Not needed until this computer is key-enforced.',
      evidence: [],
    },
    {
      id: 'signature-visible',
      title: 'The OS can see the signature',
      status: 'pass',
      summary: 'The signature is stored as a cosign .sig tag, which rpm-ostree reads.',
      evidence: [`ghcr.io/acme/vespera-nvidia:${DIGESTS.current.replace(':', '-')}.sig`],
    },
  ],
};

/** The doctor's check of a staged update signed by someone else, worded as main words it. */
export const DOCTOR_STAGED_CHECK: DoctorReport['checks'][number] = {
  id: 'staged-signed',
  title: 'The staged update is signed',
  status: 'fail',
  summary: `The staged update does not verify: ${FORGED_FAILURE.message}`,
  evidence: [`layer 1 of ${DIGESTS.forged.replace(':', '-')}.sig: it was built from https://github.com/mallory/vespera, not https://github.com/acme/vespera`],
  fix: { text: 'Discard it so the next boot is the current system.', command: 'rpm-ostree cleanup -p' },
};

export const SETTINGS: Settings = { autostart: true, automaticStaging: false };
