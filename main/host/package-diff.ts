// Package differences between two deployments as rpm-ostreed reports them (GetDeploymentsRpmDiff's
// `a(sua{sv})`): parsed at the edge into typed entries, with limits on count and sizes.

import { HostError } from './errors.ts';
import { asDict, type WireDict } from './model.ts';

export type PackageChangeKind = 'added' | 'removed' | 'upgraded' | 'downgraded';

/** rpm-ostree's element type codes, in order: 0 added, 1 removed, 2 upgraded, 3 downgraded. */
const KINDS: readonly PackageChangeKind[] = ['added', 'removed', 'upgraded', 'downgraded'];

/** One side of a change: `(sss)` = name, `epoch:version-release` (epoch only when set), arch. */
export interface RpmPackageId {
  readonly name: string;
  readonly evr: string;
  readonly arch: string;
}

export interface PackageDiffEntry {
  readonly name: string;
  readonly kind: PackageChangeKind;
  /** Absent for an added package. */
  readonly previous?: RpmPackageId;
  /** Absent for a removed package. */
  readonly next?: RpmPackageId;
}

export const PACKAGE_DIFF_LIMITS = {
  /** A Fedora major-version rebase changes ~2,500 packages; ten times that is not a real answer. */
  entries: 25_000,
  name: 256,
  evr: 256,
  arch: 32,
} as const;

// RPM names and EVRs: letters, digits and a little punctuation (`+`, `~`, `^` for pre/post releases).
const NAME = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/;
const EVR = /^(?:\d+:)?[A-Za-z0-9._+~^]+-[A-Za-z0-9._+~^]+$/;
const ARCH = /^[A-Za-z0-9_]+$/;

function malformed(detail: string): HostError {
  return new HostError('unknown', 'rpm-ostreed answered the package comparison in a form this app cannot read; nothing is shown rather than something wrong.', detail);
}

function packageId(details: WireDict, key: 'PreviousPackage' | 'NewPackage', name: string): RpmPackageId | undefined {
  const v = details[key];
  if (v === undefined) return undefined;
  if (v.signature !== '(sss)' || !Array.isArray(v.value) || v.value.length !== 3) throw malformed(`${name}: ${key} is not (sss)`);
  const [pkgName, evr, arch] = v.value as unknown[];
  if (typeof pkgName !== 'string' || pkgName.length > PACKAGE_DIFF_LIMITS.name || !NAME.test(pkgName)) throw malformed(`${name}: ${key} has a bad name`);
  if (typeof evr !== 'string' || evr.length > PACKAGE_DIFF_LIMITS.evr || !EVR.test(evr)) throw malformed(`${name}: ${key} has a bad version`);
  if (typeof arch !== 'string' || arch.length > PACKAGE_DIFF_LIMITS.arch || !ARCH.test(arch)) throw malformed(`${name}: ${key} has a bad arch`);
  return { name: pkgName, evr, arch };
}

/** The reply body of GetDeploymentsRpmDiff: one `a(sua{sv})`. Throws HostError when it is not one. */
export function parsePackageDiff(value: unknown): PackageDiffEntry[] {
  if (!Array.isArray(value)) throw malformed('the reply is not an array');
  if (value.length > PACKAGE_DIFF_LIMITS.entries) throw malformed(`${value.length} entries`);
  return value.map((element: unknown, index): PackageDiffEntry => {
    if (!Array.isArray(element) || element.length !== 3) throw malformed(`entry ${index} is not (sua{sv})`);
    const [name, type, rawDetails] = element as [unknown, unknown, unknown];
    if (typeof name !== 'string' || name.length > PACKAGE_DIFF_LIMITS.name || !NAME.test(name)) throw malformed(`entry ${index} has a bad name`);
    const kind = typeof type === 'number' ? KINDS[type] : undefined;
    if (!kind) throw malformed(`${name}: unknown change type ${String(type)}`);
    const details = asDict(rawDetails);
    if (!details) throw malformed(`${name}: details are not a{sv}`);
    const previous = packageId(details, 'PreviousPackage', name);
    const next = packageId(details, 'NewPackage', name);
    // What each kind must carry: an added package has only a new side, a removed one only an old side.
    if ((kind === 'added') !== (previous === undefined) || (kind === 'removed') !== (next === undefined)) {
      throw malformed(`${name}: ${kind} with ${previous ? 'a' : 'no'} previous and ${next ? 'a' : 'no'} new package`);
    }
    return { name, kind, ...(previous ? { previous } : {}), ...(next ? { next } : {}) };
  });
}

/** A deployment id as rpm-ostree makes them (`<osname>-<checksum>.<serial>`), checked before it is sent. */
export function isDeploymentId(id: string): boolean {
  return id.length > 0 && id.length <= 512 && /^[A-Za-z0-9._-]+-[0-9a-f]{64}\.\d+$/.test(id);
}
