// Package changes as people read them: rpm-ostree's diff entries in the one contract shape, headline
// packages (kernel, NVIDIA, …) first, counts, and the one-line summary notifications use. Pure.

import type { PackageChange, PackageChangesView } from '../../preload/contract.ts';
import type { PackageChangeKind, PackageDiffEntry, RpmPackageId } from '../host/index.ts';
import type { HeadlineGroup } from '../shared/config.ts';

/** After the headline: what people scan for, in this order. */
const KIND_ORDER: readonly PackageChangeKind[] = ['upgraded', 'downgraded', 'added', 'removed'];
/** Headline groups named in a one-line summary before "N more". */
const SUMMARY_GROUPS = 2;

function matches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** The headline group a package belongs to (index into `groups`), and where in it (pattern order). */
function headlineRank(name: string, groups: readonly HeadlineGroup[]): { group: number; pattern: number } | undefined {
  for (const [group, g] of groups.entries()) {
    const pattern = g.packages.findIndex((p) => matches(p, name));
    if (pattern !== -1) return { group, pattern };
  }
  return undefined;
}

function versionOf(id: RpmPackageId): { evr: string; arch: string } {
  return { evr: id.evr, arch: id.arch };
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** rpm-ostree's entries as contract changes: headline first (group, then pattern order), then by kind and name. */
export function packageChangesOf(entries: readonly PackageDiffEntry[], groups: readonly HeadlineGroup[]): PackageChange[] {
  const ranked = entries.map((entry) => ({ entry, rank: headlineRank(entry.name, groups) }));
  ranked.sort((a, b) => {
    if (a.rank && b.rank) return a.rank.group - b.rank.group || a.rank.pattern - b.rank.pattern || compareNames(a.entry.name, b.entry.name);
    if (a.rank || b.rank) return a.rank ? -1 : 1;
    return KIND_ORDER.indexOf(a.entry.kind) - KIND_ORDER.indexOf(b.entry.kind) || compareNames(a.entry.name, b.entry.name);
  });
  return ranked.map(({ entry, rank }) => ({
    name: entry.name,
    change: entry.kind,
    ...(entry.previous ? { from: versionOf(entry.previous) } : {}),
    ...(entry.next ? { to: versionOf(entry.next) } : {}),
    ...(rank ? { headline: groups[rank.group]?.label ?? entry.name } : {}),
  }));
}

/** `3:580.105.08-1.fc42` → `580.105.08`: the upstream version people know. */
function upstream(evr: string): string {
  const withoutEpoch = evr.slice(evr.indexOf(':') + 1);
  const dash = withoutEpoch.lastIndexOf('-');
  return dash === -1 ? withoutEpoch : withoutEpoch.slice(0, dash);
}

/** "kernel 6.17.8 → 6.17.9"; the whole version-release when only the release moved. */
export function changePhrase(label: string, change: PackageChange): string {
  if (!change.from && change.to) return `${label} ${upstream(change.to.evr)} (new)`;
  if (change.from && !change.to) return `${label} removed`;
  const from = change.from?.evr ?? '';
  const to = change.to?.evr ?? '';
  const short = upstream(from) !== upstream(to);
  return `${label} ${short ? upstream(from) : from.slice(from.indexOf(':') + 1)} → ${short ? upstream(to) : to.slice(to.indexOf(':') + 1)}`;
}

/**
 * One line for notifications and the CLI: the first changed headline groups, each by its first
 * package, then how many other packages change. "kernel 6.17.8 → 6.17.9, NVIDIA 580.95.05 → 580.105.08, 20 more".
 */
export function packageSummary(changes: readonly PackageChange[]): string {
  if (changes.length === 0) return 'no package changes';
  const named: string[] = [];
  const coveredGroups = new Set<string>();
  for (const change of changes) {
    if (!change.headline || coveredGroups.has(change.headline)) continue;
    if (coveredGroups.size >= SUMMARY_GROUPS) break;
    coveredGroups.add(change.headline);
    named.push(changePhrase(change.headline, change));
  }
  const rest = changes.filter((c) => !c.headline || !coveredGroups.has(c.headline)).length;
  if (named.length === 0) return `${changes.length} ${changes.length === 1 ? 'package changes' : 'packages change'}`;
  return rest > 0 ? `${named.join(', ')}, ${rest} more` : named.join(', ');
}

export function countChanges(changes: readonly PackageChange[]): PackageChangesView['counts'] {
  const counts = { added: 0, removed: 0, upgraded: 0, downgraded: 0 };
  for (const change of changes) counts[change.change] += 1;
  return counts;
}

/** The view of a diff rpm-ostree answered. */
export function listedPackages(entries: readonly PackageDiffEntry[], groups: readonly HeadlineGroup[]): PackageChangesView {
  const changes = packageChangesOf(entries, groups);
  return { status: 'listed', changes, counts: countChanges(changes), summary: packageSummary(changes) };
}

const NO_COUNTS = { added: 0, removed: 0, upgraded: 0, downgraded: 0 } as const;

/** A view with no list: loading, not staged, unavailable; `message` says what it means. */
export function unlistedPackages(status: Exclude<PackageChangesView['status'], 'listed'>, message: string, layers?: PackageChangesView['layers']): PackageChangesView {
  return { status, changes: [], counts: NO_COUNTS, summary: '', message, ...(layers ? { layers } : {}) };
}

/** "3 upgraded, 1 added": the counts in words, nothing for kinds with none. */
export function countsPhrase(counts: PackageChangesView['counts']): string {
  const parts = (['upgraded', 'downgraded', 'added', 'removed'] as const).filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${k}`);
  return parts.length > 0 ? parts.join(', ') : 'no changes';
}
