// What updates and rollbacks change, as main describes it for the renderer tests: package lists (a
// normal update, a rollback, a rebase-sized one) and the source the certificates vouch for, or don't.

import type { ChangesView, PackageChange, PackageChangesView, RollbackPreview, SourceChangeView, StatusSnapshot } from '../../../preload/contract.ts';
import { DIGESTS, ROLLBACK_BLOCKED_BY_STAGED, SNAPSHOTS, VERSIONS } from './fixtures.ts';

const REPOSITORY = 'https://github.com/acme/vespera';
export const COMMITS = {
  old: '5be8a40c77e1f0d2a3b4c5d6e7f8091a2b3c4d5e',
  current: 'd9ef04ffc80a1b207644d000c594afe4a8e0f201',
  newer: '7fb1b12eeee968e40db8bf51a098c814a23a7252',
} as const;
export const RUN_URL = `${REPOSITORY}/actions/runs/12142351662/attempts/1`;

const fc = (version: string, release = '1.fc42'): { evr: string; arch: string } => ({ evr: `${version}-${release}`, arch: 'x86_64' });
const nv = (version: string): { evr: string; arch: string } => ({ evr: `3:${version}-1.fc42`, arch: 'x86_64' });

const UPDATE_PACKAGES: readonly PackageChange[] = [
  { name: 'kernel', change: 'upgraded', from: fc('6.17.8', '300.fc42'), to: fc('6.17.9', '300.fc42'), headline: 'kernel' },
  { name: 'kernel-core', change: 'upgraded', from: fc('6.17.8', '300.fc42'), to: fc('6.17.9', '300.fc42'), headline: 'kernel' },
  { name: 'nvidia-driver', change: 'upgraded', from: nv('580.95.05'), to: nv('580.105.08'), headline: 'NVIDIA' },
  { name: 'kmod-nvidia', change: 'upgraded', from: nv('580.95.05'), to: nv('580.105.08'), headline: 'NVIDIA' },
  { name: 'mesa-dri-drivers', change: 'upgraded', from: fc('25.2.6'), to: fc('25.2.7'), headline: 'mesa' },
  { name: 'firefox', change: 'upgraded', from: fc('145.0'), to: fc('145.0.1') },
  { name: 'pipewire', change: 'downgraded', from: fc('1.4.9'), to: fc('1.4.8') },
  { name: 'fastfetch', change: 'added', to: fc('2.55.0') },
  { name: 'htop', change: 'removed', from: fc('3.4.1') },
];

function listed(changes: readonly PackageChange[], summary: string): PackageChangesView {
  const counts = { added: 0, removed: 0, upgraded: 0, downgraded: 0 };
  for (const c of changes) counts[c.change] += 1;
  return { status: 'listed', changes, counts, summary };
}

const FROM_CERTIFICATES =
  'These come from the signing certificates, which Sigstore issued to the build workflow itself: unlike the labels, tags and dates the registry shows, nobody with only push access to the registry can change them.';

export const KNOWN_SOURCE: SourceChangeView = {
  status: 'known',
  summary: 'built from commit 7fb1b12 (running: d9ef04f)',
  message: FROM_CERTIFICATES,
  repository: REPOSITORY,
  commit: COMMITS.newer,
  runningCommit: COMMITS.current,
  compareUrl: `${REPOSITORY}/compare/${COMMITS.current}...${COMMITS.newer}`,
  runUrl: RUN_URL,
};

export const KEY_ONLY_SOURCE: SourceChangeView = {
  status: 'key-only',
  summary: 'no source information: signed with a key only',
  message: 'It is signed only with the key vespera.pub. A key signature carries no source repository, commit or build run, so nothing vouches for which source it was built from.',
};

export const UPDATE_CHANGES: ChangesView = {
  from: { deploymentId: 'vespera-current-booted', version: VERSIONS.current, digest: DIGESTS.current },
  to: { deploymentId: 'vespera-newer-staged', version: VERSIONS.newer, digest: DIGESTS.newer },
  packages: listed(UPDATE_PACKAGES, 'kernel 6.17.8 → 6.17.9, NVIDIA 580.95.05 → 580.105.08, 5 more'),
  source: KNOWN_SOURCE,
};

/** A staged update, verified, with its package and source changes. */
export const READY_WITH_CHANGES: StatusSnapshot = (() => {
  const ready = SNAPSHOTS['update-ready'];
  if (!ready.update) throw new Error('the update-ready fixture has no update');
  return { ...ready, update: { ...ready.update, changes: UPDATE_CHANGES } };
})();

/** An update found but not downloaded, signed with the publisher key only. */
export const AVAILABLE_KEY_ONLY: StatusSnapshot = (() => {
  const available = SNAPSHOTS['update-available'];
  if (!available.update) throw new Error('the update-available fixture has no update');
  const changes: ChangesView = {
    from: UPDATE_CHANGES.from,
    to: { version: VERSIONS.newer, digest: DIGESTS.newer },
    packages: {
      status: 'not-staged',
      changes: [],
      counts: { added: 0, removed: 0, upgraded: 0, downgraded: 0 },
      summary: '',
      message: 'Package changes appear once the update is staged: rpm-ostree compares the packages of two deployments on this computer, and this update is not downloaded yet.',
      layers: { total: 4, new: 3, newBytes: 245_600_000, removed: 3 },
    },
    source: KEY_ONLY_SOURCE,
  };
  return { ...available, update: { ...available.update, changes } };
})();

/** A Fedora rebase's worth of changes: more rows than the view shows at first. */
export const LARGE_UPDATE: StatusSnapshot = (() => {
  const many: PackageChange[] = Array.from({ length: 2000 }, (_, i) => ({
    name: `perl-Module-Number${String(i).padStart(4, '0')}-subpackage-with-a-long-name`,
    change: 'upgraded',
    from: fc(`1.${i}`, '41.fc42'),
    to: fc(`1.${i}`, '42.fc43'),
  }));
  const changes = [...UPDATE_PACKAGES, ...many];
  return { ...READY_WITH_CHANGES, update: { ...(READY_WITH_CHANGES.update as NonNullable<StatusSnapshot['update']>), changes: { ...UPDATE_CHANGES, packages: listed(changes, `kernel 6.17.8 → 6.17.9, NVIDIA 580.95.05 → 580.105.08, ${changes.length - 4} more`) } } };
})();

export const ROLLBACK_CHANGES: ChangesView = {
  from: UPDATE_CHANGES.from,
  to: { deploymentId: 'vespera-old-rollback', version: VERSIONS.old, digest: DIGESTS.old },
  packages: listed(
    [
      { name: 'kernel', change: 'downgraded', from: fc('6.17.8', '300.fc42'), to: fc('6.17.7', '300.fc42'), headline: 'kernel' },
      { name: 'nvidia-driver', change: 'downgraded', from: nv('580.95.05'), to: nv('580.82.09'), headline: 'NVIDIA' },
      { name: 'mesa-dri-drivers', change: 'downgraded', from: fc('25.2.6'), to: fc('25.2.4', '2.fc42'), headline: 'mesa' },
      { name: 'htop', change: 'added', to: fc('3.4.1') },
    ],
    'kernel 6.17.8 → 6.17.7, NVIDIA 580.95.05 → 580.82.09, 2 more',
  ),
  source: {
    ...KNOWN_SOURCE,
    summary: 'built from commit 5be8a40 (running: d9ef04f)',
    commit: COMMITS.old,
    compareUrl: `${REPOSITORY}/compare/${COMMITS.current}...${COMMITS.old}`,
  },
};

export const ROLLBACK_WITH_CHANGES: RollbackPreview = { ...ROLLBACK_BLOCKED_BY_STAGED, changes: ROLLBACK_CHANGES };
