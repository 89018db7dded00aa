// What changes between the running system and what it could boot next: package diffs from rpm-ostree
// (cached per deployment pair: a deployment never changes) and the source the signatures vouch for,
// for the update watch, the rollback preview and the CLI.

import type { ChangesView, PackageChangesView, SignatureView, StatusSnapshot } from '../../preload/contract.ts';
import { HostError, type Deployment, type HostClient, type HostState, type PackageDiffEntry } from '../host/index.ts';
import type { HeadlineGroup } from '../shared/config.ts';
import { describeError } from '../shared/errors.ts';
import { listedPackages, unlistedPackages } from './package-changes.ts';
import { sourceChange } from './source-changes.ts';

/** Deployment pairs remembered; a host has a handful of deployments. */
const MAX_PAIRS = 16;

export const NOT_STAGED_MESSAGE =
  'Package changes appear once the update is staged: rpm-ostree compares the packages of two deployments on this computer, and this update is not downloaded yet.';
const LOADING_MESSAGE = 'Asking rpm-ostree which packages change…';

function pairKey(from: Deployment, to: Deployment): string {
  return `${from.id}\n${to.id}`;
}

/** Keeps at most `max` entries, dropping the oldest first. */
function trim<K, V>(map: Map<K, V>, max: number): void {
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done) return;
    map.delete(oldest.value);
  }
}

/**
 * rpm-ostree's package diffs per deployment pair. Deployment ids name a commit and serial, whose
 * content never changes, so an answer stays true for as long as both exist; failures are forgotten.
 */
export class PackageDiffs {
  readonly #answers = new Map<string, Promise<PackageDiffEntry[]>>();
  /** How many times rpm-ostreed was asked (the rest came from here). */
  asked = 0;

  get(host: HostClient, from: Deployment, to: Deployment): Promise<PackageDiffEntry[]> {
    const key = pairKey(from, to);
    const known = this.#answers.get(key);
    if (known) {
      this.#answers.delete(key);
      this.#answers.set(key, known);
      return known;
    }
    this.asked += 1;
    const asking = host.deploymentsRpmDiff(from, to);
    this.#answers.set(key, asking);
    asking.catch(() => {
      if (this.#answers.get(key) === asking) this.#answers.delete(key);
    });
    trim(this.#answers, MAX_PAIRS);
    return asking;
  }
}

const shared = new WeakMap<HostClient, PackageDiffs>();

/** The diff cache of one host connection, shared by the watch, the rollback preview and the CLI. */
export function packageDiffsOf(host: HostClient): PackageDiffs {
  let diffs = shared.get(host);
  if (!diffs) {
    diffs = new PackageDiffs();
    shared.set(host, diffs);
  }
  return diffs;
}

/** Why the package changes cannot be shown, in words that say what to do. */
export function packagesUnavailable(error: unknown): PackageChangesView {
  if (error instanceof HostError && error.code === 'denied') {
    return unlistedPackages(
      'unavailable',
      'rpm-ostree did not let Vespera Updates read the package changes: the password was not given, or this computer’s polkit rules refuse it (action org.projectatomic.rpmostree1.repo-refresh). Nothing else is affected; open the details again to retry.',
    );
  }
  return unlistedPackages('unavailable', `The package changes could not be read: ${describeError(error)}`);
}

function end(deployment: Deployment | undefined, extra: { version?: string; digest?: string } = {}): ChangesView['from'] {
  const version = extra.version ?? deployment?.version;
  const digest = extra.digest ?? deployment?.imageDigest;
  return { ...(deployment ? { deploymentId: deployment.id } : {}), ...(version ? { version } : {}), ...(digest ? { digest } : {}) };
}

/** Packages (asked of rpm-ostree, cached) and source from the running deployment to another one. */
export async function changesBetween(
  host: HostClient,
  headline: readonly HeadlineGroup[],
  from: { readonly deployment: Deployment; readonly signature?: SignatureView },
  to: { readonly deployment: Deployment; readonly signature?: SignatureView },
): Promise<ChangesView> {
  let packages: PackageChangesView;
  try {
    packages = listedPackages(await packageDiffsOf(host).get(host, from.deployment, to.deployment), headline);
  } catch (error) {
    packages = packagesUnavailable(error);
  }
  return { from: end(from.deployment), to: end(to.deployment), packages, source: sourceChange(from.signature, to.signature) };
}

type PairState =
  | { readonly status: 'loading' }
  | { readonly status: 'done'; readonly view: PackageChangesView }
  | { readonly status: 'failed'; readonly view: PackageChangesView; readonly retry: boolean };

/**
 * The update watch's side: fetches booted → staged in the background as soon as something is staged
 * (the "ready" notification names the headline changes), and answers synchronously for snapshots.
 */
export class UpdateChanges {
  readonly #host: HostClient;
  readonly #headline: readonly HeadlineGroup[];
  readonly #changed: () => void;
  readonly #track: (work: Promise<unknown>) => void;
  readonly #pairs = new Map<string, PairState>();

  constructor(host: HostClient, headline: readonly HeadlineGroup[], hooks: { changed: () => void; track: (work: Promise<unknown>) => void }) {
    this.#host = host;
    this.#headline = headline;
    this.#changed = hooks.changed;
    this.#track = hooks.track;
  }

  /** Starts asking for booted → staged when that pair is new (or its last try lost the daemon). */
  follow(state: HostState): void {
    const { booted, staged } = state;
    if (!booted || !staged || state.daemon !== 'running') return;
    const key = pairKey(booted, staged);
    const known = this.#pairs.get(key);
    // A refusal is not asked again in the background: polkit may have shown a password prompt.
    if (known && !(known.status === 'failed' && known.retry)) return;
    this.#pairs.set(key, { status: 'loading' });
    trim(this.#pairs, MAX_PAIRS);
    const work = packageDiffsOf(this.#host)
      .get(this.#host, booted, staged)
      .then(
        (entries) => this.#pairs.set(key, { status: 'done', view: listedPackages(entries, this.#headline) }),
        (error: unknown) =>
          this.#pairs.set(key, { status: 'failed', view: packagesUnavailable(error), retry: error instanceof HostError && error.code === 'daemon-gone' }),
      )
      .finally(() => this.#changed());
    this.#track(work);
  }

  packages(from: Deployment, to: Deployment): PackageChangesView {
    const known = this.#pairs.get(pairKey(from, to));
    return !known || known.status === 'loading' ? unlistedPackages('loading', LOADING_MESSAGE) : known.view;
  }

  /** The snapshot with its update's changes (and the download size rpm-ostree's cached update gives). */
  annotate(snapshot: StatusSnapshot, state: HostState): StatusSnapshot {
    const update = snapshot.update;
    if (!update) return snapshot;
    const { booted, staged } = state;
    const running = snapshot.deployments.find((d) => d.role === 'booted')?.signature;
    const isStaged = staged !== undefined && (staged.imageDigest ?? staged.checksum) === update.digest;
    let packages: PackageChangesView;
    let download = update.download;
    if (isStaged && booted) {
      packages = this.packages(booted, staged);
    } else {
      const cached = state.cachedUpdate;
      const diff = cached?.manifestDiff && (update.version === undefined || cached.version === update.version) ? cached.manifestDiff : undefined;
      packages = unlistedPackages('not-staged', NOT_STAGED_MESSAGE, diff ? { total: diff.total, new: diff.added, newBytes: diff.addedSize, removed: diff.removed } : undefined);
      if (!download && diff) download = { layers: diff.added, bytes: diff.addedSize };
    }
    const changes: ChangesView = {
      from: end(booted),
      to: end(isStaged ? staged : undefined, { ...(update.version ? { version: update.version } : {}), digest: update.digest }),
      packages,
      source: sourceChange(running, update.signature),
    };
    return { ...snapshot, update: { ...update, ...(download ? { download } : {}), changes } };
  }
}
