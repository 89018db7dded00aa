// The typed host model (deployments, cached update, active transaction, HostState) and its parsing
// from rpm-ostreed's D-Bus values: checked types, size limits, BigInt turned into numbers at the edge.

import { isSha256Digest, type Sha256Digest } from '../shared/image-reference.ts';
import { parseRefspec, type Refspec } from './refspec.ts';

export type AutomaticUpdatePolicy = 'none' | 'check' | 'stage' | 'apply';

export interface Deployment {
  /** `<osname>-<checksum>.<serial>`; unique on this host only. */
  readonly id: string;
  readonly osname: string;
  /** The local ostree commit (for an image: the merge commit, not the image digest). */
  readonly checksum: string;
  readonly serial: number;
  readonly booted: boolean;
  /** Waiting for the next boot (finalized at shutdown). */
  readonly staged: boolean;
  readonly pinned: boolean;
  /** Staged with lock-finalization: only FinalizeDeployment lets the next boot use it. */
  readonly finalizationLocked: boolean;
  readonly version?: string;
  /** Creation time of the image or commit, seconds since the epoch. */
  readonly timestamp?: number;
  /** The origin exactly as stored (`container-image-reference`, or `origin` for ostree refs). */
  readonly origin?: string;
  /** The origin parsed; absent when rpm-ostree reported something this app cannot parse. */
  readonly refspec?: Refspec;
  /** The manifest digest deployed (the host platform's manifest for a multi-platform image). */
  readonly imageDigest?: Sha256Digest;
  /** Packages layered on top of the image. */
  readonly layeredPackages: readonly string[];
  /** When layered: version and checksum of the base image/commit underneath. */
  readonly baseVersion?: string;
  readonly baseChecksum?: string;
  /** `none` unless the deployment was unlocked (`ostree admin unlock`). */
  readonly unlocked: string;
}

export interface ManifestDiff {
  readonly total: number;
  readonly totalSize: number;
  readonly removed: number;
  readonly removedSize: number;
  readonly added: number;
  readonly addedSize: number;
}

/** What the last update check (or plain upgrade) found, for the booted stateroot. */
export interface CachedUpdate {
  readonly osname: string;
  readonly checksum: string;
  readonly version?: string;
  readonly timestamp?: number;
  readonly origin?: string;
  readonly refspec?: Refspec;
  readonly refHasNewCommit: boolean;
  /** Present for a container image that is newer but not pulled: layer counts and sizes. */
  readonly manifestDiff?: ManifestDiff;
  /** The staged deployment this update describes, when it is already staged. */
  readonly stagedDeploymentId?: string;
}

export interface ActiveTransaction {
  /** The D-Bus method that started it: `UpdateDeployment`, `Rebase`, `AutomaticUpdateTrigger`, … */
  readonly method: string;
  /** Unique bus name of the caller. */
  readonly initiator: string;
  readonly osPath: string;
  /** Peer-to-peer address to follow it; empty when the daemon gives none. */
  readonly address: string;
  /** Started by this client's own connection. */
  readonly byThisClient: boolean;
}

export interface HostState {
  /** `running`: state is current; `gone`: rpm-ostreed left the bus (values are the last known). */
  readonly daemon: 'running' | 'gone';
  /** The daemon's unique bus name while running. */
  readonly daemonName?: string;
  /** Stateroot of the booted deployment (`fedora`, `default`, …). */
  readonly osName?: string;
  readonly deployments: readonly Deployment[];
  readonly booted?: Deployment;
  /** The deployment the next boot uses when it is not the booted one (staged, or after a rollback). */
  readonly pending?: Deployment;
  readonly staged?: Deployment;
  readonly rollback?: Deployment;
  readonly cachedUpdate?: CachedUpdate;
  readonly activeTransaction?: ActiveTransaction;
  readonly automaticUpdatePolicy: AutomaticUpdatePolicy | 'unknown';
}

/** A D-Bus variant as dbus-next hands it over. */
export interface WireVariant {
  readonly signature: string;
  readonly value: unknown;
}
export type WireDict = Readonly<Record<string, WireVariant>>;

export const LIMITS = {
  deployments: 64,
  string: 64 * 1024,
  origin: 2048,
  packages: 4096,
} as const;

export function isWireVariant(value: unknown): value is WireVariant {
  return typeof value === 'object' && value !== null && typeof (value as WireVariant).signature === 'string' && 'value' in value;
}

/** An `a{sv}` from the wire, or undefined when it is not one. */
export function asDict(value: unknown): WireDict | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  for (const entry of Object.values(value)) if (!isWireVariant(entry)) return undefined;
  return value as WireDict;
}

function str(dict: WireDict, key: string, max: number = LIMITS.string): string | undefined {
  const v = dict[key];
  if (!v || (v.signature !== 's' && v.signature !== 'o') || typeof v.value !== 'string' || v.value.length > max) return undefined;
  return v.value;
}

function bool(dict: WireDict, key: string): boolean | undefined {
  const v = dict[key];
  return v && v.signature === 'b' && typeof v.value === 'boolean' ? v.value : undefined;
}

/** `t`/`u`/`i`/`x` as a JS number (timestamps and sizes fit comfortably). */
function num(dict: WireDict, key: string): number | undefined {
  const v = dict[key];
  if (!v || !['t', 'u', 'i', 'x'].includes(v.signature)) return undefined;
  const n = typeof v.value === 'bigint' ? Number(v.value) : v.value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

function strings(dict: WireDict, key: string): string[] {
  const v = dict[key];
  if (!v || v.signature !== 'as' || !Array.isArray(v.value)) return [];
  return v.value.filter((s): s is string => typeof s === 'string' && s.length <= 1024).slice(0, LIMITS.packages);
}

function tryRefspec(origin: string | undefined): Refspec | undefined {
  if (origin === undefined) return undefined;
  try {
    return parseRefspec(origin);
  } catch {
    return undefined;
  }
}

const CHECKSUM = /^[0-9a-f]{64}$/;

/** One deployment dict; undefined when the required keys are missing or malformed. */
export function parseDeployment(value: unknown): Deployment | undefined {
  const dict = asDict(value);
  if (!dict) return undefined;
  const id = str(dict, 'id', 512);
  const osname = str(dict, 'osname', 255);
  const checksum = str(dict, 'checksum', 64);
  const serial = num(dict, 'serial');
  if (id === undefined || osname === undefined || checksum === undefined || !CHECKSUM.test(checksum) || serial === undefined) {
    return undefined;
  }
  const origin = str(dict, 'container-image-reference', LIMITS.origin) ?? str(dict, 'origin', LIMITS.origin);
  const digest = str(dict, 'container-image-reference-digest', 128);
  const refspec = tryRefspec(origin);
  const version = str(dict, 'version', 512);
  const timestamp = num(dict, 'timestamp');
  const baseVersion = str(dict, 'base-version', 512);
  const baseChecksum = str(dict, 'base-checksum', 64);
  return {
    id,
    osname,
    checksum,
    serial,
    booted: bool(dict, 'booted') ?? false,
    staged: bool(dict, 'staged') ?? false,
    pinned: bool(dict, 'pinned') ?? false,
    finalizationLocked: bool(dict, 'finalization-locked') ?? false,
    ...(version !== undefined ? { version } : {}),
    ...(timestamp !== undefined ? { timestamp } : {}),
    ...(origin !== undefined ? { origin } : {}),
    ...(refspec !== undefined ? { refspec } : {}),
    ...(isSha256Digest(digest) ? { imageDigest: digest } : {}),
    layeredPackages: [...new Set([...strings(dict, 'packages'), ...strings(dict, 'requested-packages')])],
    ...(baseVersion !== undefined ? { baseVersion } : {}),
    ...(baseChecksum !== undefined ? { baseChecksum } : {}),
    unlocked: str(dict, 'unlocked', 64) ?? 'none',
  };
}

export function parseDeployments(value: unknown): Deployment[] {
  if (!Array.isArray(value)) return [];
  return value
    .slice(0, LIMITS.deployments)
    .map(parseDeployment)
    .filter((d): d is Deployment => d !== undefined);
}

export function parseCachedUpdate(value: unknown): CachedUpdate | undefined {
  const dict = asDict(value);
  if (!dict) return undefined;
  const osname = str(dict, 'osname', 255);
  const checksum = str(dict, 'checksum', 64);
  if (osname === undefined || checksum === undefined) return undefined;
  const version = str(dict, 'version', 512);
  const timestamp = num(dict, 'timestamp');
  const origin = str(dict, 'origin', LIMITS.origin);
  const refspec = tryRefspec(origin);
  const staged = str(dict, 'deployment', 512);
  const diff = dict['manifest-diff'] ? asDict(dict['manifest-diff'].value) : undefined;
  return {
    osname,
    checksum,
    ...(version !== undefined ? { version } : {}),
    ...(timestamp !== undefined ? { timestamp } : {}),
    ...(origin !== undefined ? { origin } : {}),
    ...(refspec !== undefined ? { refspec } : {}),
    refHasNewCommit: bool(dict, 'ref-has-new-commit') ?? false,
    ...(diff
      ? {
          manifestDiff: {
            total: num(diff, 'total') ?? 0,
            totalSize: num(diff, 'total-size') ?? 0,
            removed: num(diff, 'n-removed') ?? 0,
            removedSize: num(diff, 'removed-size') ?? 0,
            added: num(diff, 'n-added') ?? 0,
            addedSize: num(diff, 'added-size') ?? 0,
          },
        }
      : {}),
    ...(staged !== undefined ? { stagedDeploymentId: staged } : {}),
  };
}

export function parsePolicy(value: unknown): AutomaticUpdatePolicy | 'unknown' {
  return value === 'none' || value === 'check' || value === 'stage' || value === 'apply' ? value : 'unknown';
}

/** `(sss)` + path → the active transaction, or undefined when idle. */
export function parseActiveTransaction(value: unknown, address: unknown, ownName: string | undefined): ActiveTransaction | undefined {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((s) => typeof s === 'string' && s.length <= 1024)) return undefined;
  const [method, initiator, osPath] = value as [string, string, string];
  if (method === '') return undefined;
  return {
    method,
    initiator,
    osPath,
    address: typeof address === 'string' && address.length <= 1024 ? address : '',
    byThisClient: ownName !== undefined && initiator === ownName,
  };
}

/** A deployment for logs, the CLI's JSON and IPC: plain data only. */
export function deploymentJson(d: Deployment): Record<string, unknown> {
  return {
    id: d.id,
    osname: d.osname,
    booted: d.booted,
    staged: d.staged,
    pinned: d.pinned,
    finalizationLocked: d.finalizationLocked,
    version: d.version ?? null,
    timestamp: d.timestamp ?? null,
    imageReference: d.origin ?? null,
    imageDigest: d.imageDigest ?? null,
    verification: d.refspec?.kind === 'container' ? d.refspec.verification : null,
    checksum: d.checksum,
    serial: d.serial,
    layeredPackages: d.layeredPackages,
  };
}
