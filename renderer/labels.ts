// The words and symbols the UI uses for each state in the view model, in one place so every view
// says the same thing the same way. Every state has its own words and its own icon, never colour alone.

import type { ActionId, DeploymentView, HostHealth, MigrationPreview, Notice, SignatureView } from '../preload/contract.ts';
import type { IconName } from './components/icons.tsx';

/** `tone` picks a colour; the label and icon carry the meaning on their own. */
export interface StateLook {
  readonly label: string;
  readonly icon: IconName;
  readonly tone: 'good' | 'accent' | 'warning' | 'critical' | 'neutral';
}

export const HEALTH: Record<HostHealth, StateLook> = {
  'signed-current': { label: 'Signed and up to date', icon: 'shield-check', tone: 'good' },
  'update-ready': { label: 'Signed update ready', icon: 'arrow-up', tone: 'accent' },
  'update-available': { label: 'Update available', icon: 'arrow-up', tone: 'accent' },
  'restart-pending': { label: 'Changes at the next restart', icon: 'clock', tone: 'accent' },
  'needs-attention': { label: 'Needs attention', icon: 'warning', tone: 'critical' },
  unverified: { label: 'Unverified image', icon: 'shield-off', tone: 'warning' },
  'cannot-check': { label: 'Could not check', icon: 'plug', tone: 'warning' },
  checking: { label: 'Checking', icon: 'sync', tone: 'neutral' },
  busy: { label: 'Working', icon: 'sync', tone: 'neutral' },
  'no-daemon': { label: 'Update service unavailable', icon: 'plug', tone: 'warning' },
};

export const SIGNATURE: Record<SignatureView['status'], StateLook> = {
  verified: { label: 'Signature verified', icon: 'shield-check', tone: 'good' },
  failed: { label: 'Signature check failed', icon: 'error', tone: 'critical' },
  unchecked: { label: 'Could not check the signature', icon: 'plug', tone: 'warning' },
  checking: { label: 'Checking signature', icon: 'clock', tone: 'neutral' },
  'not-checked': { label: 'Signature not checked yet', icon: 'dash', tone: 'neutral' },
  'not-applicable': { label: 'No signature to check', icon: 'dash', tone: 'neutral' },
};

export const ENFORCEMENT_ICON: Record<'key-enforced' | 'app-enforced' | 'none', IconName> = {
  'key-enforced': 'shield-key',
  'app-enforced': 'shield-app',
  none: 'shield-off',
};

export const NOTICE: Record<Notice['severity'], StateLook> = {
  info: { label: 'Note', icon: 'info', tone: 'neutral' },
  warning: { label: 'Warning', icon: 'warning', tone: 'warning' },
  critical: { label: 'Important', icon: 'error', tone: 'critical' },
};

export const ROLE: Record<DeploymentView['role'], string> = {
  booted: 'Running now',
  staged: 'Next restart',
  pending: 'Next restart',
  rollback: 'Rollback',
  other: 'Other deployment',
};

export const ACTION: Record<ActionId, string> = {
  'check-now': 'Check for updates',
  'restart-now': 'Restart now',
  'discard-staged': 'Discard the staged update',
  'stage-update': 'Download and stage',
  migrate: 'Switch to a signed image…',
  rollback: 'Roll back…',
  doctor: 'Diagnose problems',
  'open-details': 'Update details',
};

type Mode = MigrationPreview['mode'];

export const MODE_NAME: Record<Mode, string> = {
  'key-enforced': 'Key-enforced',
  'app-enforced': 'App-enforced',
};

/** What each mode really enforces, stated plainly (see DESIGN.md, the trust model). */
export const MODE_GUARANTEE: Record<Mode, string> = {
  'key-enforced':
    "The OS enforces it. rpm-ostree checks the publisher's key signature on every image it downloads and refuses anything without it, whoever starts the update. Vespera Updates also checks the keyless signature before it tells you an update is ready.",
  'app-enforced':
    'Vespera Updates enforces it. It checks the keyless signature of the exact image digest before staging it, and the OS holds that update until you choose Restart now. The OS itself cannot check a GitHub workflow identity: an update staged from a terminal or by the automatic timer is checked afterwards and flagged, with a one-click discard, if it fails.',
};
