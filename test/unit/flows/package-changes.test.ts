import { describe, expect, it } from 'vitest';
import { countsPhrase, listedPackages, packageChangesOf, packageSummary } from '../../../main/flows/package-changes.ts';
import type { PackageDiffEntry } from '../../../main/host/index.ts';
import { DEFAULT_HEADLINE } from '../../../main/shared/config.ts';

const x86 = (name: string, evr: string) => ({ name, evr, arch: 'x86_64' });
const up = (name: string, from: string, to: string): PackageDiffEntry => ({ name, kind: 'upgraded', previous: x86(name, from), next: x86(name, to) });

// rpm-ostree's order: by type (added, removed, upgraded, downgraded), then name.
const ENTRIES: PackageDiffEntry[] = [
  { name: 'fastfetch', kind: 'added', next: x86('fastfetch', '2.55.0-1.fc42') },
  { name: 'htop', kind: 'removed', previous: x86('htop', '3.4.1-1.fc42') },
  up('curl', '8.11.1-5.fc42', '8.11.1-6.fc42'),
  up('kernel', '6.17.8-300.fc42', '6.17.9-300.fc42'),
  up('kernel-core', '6.17.8-300.fc42', '6.17.9-300.fc42'),
  up('kmod-nvidia', '3:580.95.05-1.fc42', '3:580.105.08-1.fc42'),
  up('mesa-dri-drivers', '25.2.6-1.fc42', '25.2.7-1.fc42'),
  up('nvidia-driver', '3:580.95.05-1.fc42', '3:580.105.08-1.fc42'),
  { name: 'pipewire', kind: 'downgraded', previous: x86('pipewire', '1.4.9-1.fc42'), next: x86('pipewire', '1.4.8-1.fc42') },
];

describe('package changes', () => {
  it('lists the headline groups first in their configured order, then upgrades, downgrades, additions, removals', () => {
    const changes = packageChangesOf(ENTRIES, DEFAULT_HEADLINE);
    expect(changes.map((c) => `${c.headline ?? '-'} ${c.name}`)).toEqual([
      'kernel kernel',
      'kernel kernel-core',
      'NVIDIA nvidia-driver',
      'NVIDIA kmod-nvidia',
      'mesa mesa-dri-drivers',
      '- curl',
      '- pipewire',
      '- fastfetch',
      '- htop',
    ]);
    expect(changes[2]).toEqual({ name: 'nvidia-driver', change: 'upgraded', from: { evr: '3:580.95.05-1.fc42', arch: 'x86_64' }, to: { evr: '3:580.105.08-1.fc42', arch: 'x86_64' }, headline: 'NVIDIA' });
    expect(changes.at(-1)).toEqual({ name: 'htop', change: 'removed', from: { evr: '3.4.1-1.fc42', arch: 'x86_64' } });
  });

  it('sums the headline up in one line: two groups by their first package, without epoch and release, then the rest', () => {
    expect(packageSummary(packageChangesOf(ENTRIES, DEFAULT_HEADLINE))).toBe('kernel 6.17.8 → 6.17.9, NVIDIA 580.95.05 → 580.105.08, 5 more');
    // Only the release moved: the whole version-release says what changed.
    expect(packageSummary(packageChangesOf([up('kernel', '6.17.9-300.fc42', '6.17.9-301.fc42')], DEFAULT_HEADLINE))).toBe('kernel 6.17.9-300.fc42 → 6.17.9-301.fc42');
    const switched = packageChangesOf(
      [{ name: 'nvidia-driver', kind: 'added', next: x86('nvidia-driver', '3:580.105.08-1.fc42') }, { name: 'kernel', kind: 'removed', previous: x86('kernel', '6.17.9-300.fc42') }],
      DEFAULT_HEADLINE,
    );
    expect(packageSummary(switched)).toBe('kernel removed, NVIDIA 580.105.08 (new)');
    expect(packageSummary(packageChangesOf([up('curl', '1-1', '1-2'), up('zsh', '1-1', '2-1')], DEFAULT_HEADLINE))).toBe('2 packages change');
    expect(packageSummary([])).toBe('no package changes');
  });

  it('follows the configured headline, patterns included', () => {
    const changes = packageChangesOf(ENTRIES, [{ label: 'sound', packages: ['pipewire*'] }, { label: 'web', packages: ['curl', 'firefox'] }]);
    expect(changes.slice(0, 2).map((c) => [c.name, c.headline])).toEqual([['pipewire', 'sound'], ['curl', 'web']]);
    expect(changes[2]?.headline).toBeUndefined();
  });

  it('counts each kind', () => {
    const view = listedPackages(ENTRIES, DEFAULT_HEADLINE);
    expect(view.counts).toEqual({ added: 1, removed: 1, upgraded: 6, downgraded: 1 });
    expect(countsPhrase(view.counts)).toBe('6 upgraded, 1 downgraded, 1 added, 1 removed');
    expect(view.status).toBe('listed');
  });
});
