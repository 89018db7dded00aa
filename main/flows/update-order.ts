// Whether what a tag offers is an update at all: only a build newer than the booted one, never the
// rollback or an earlier deployment (a rollback attack); whether the tag has stopped moving; and the
// notices that say so. Pure.

import type { Notice } from '../../preload/contract.ts';
import type { Deployment, HostState } from '../host/index.ts';
import { isVerified } from '../trust/index.ts';
import type { ResolvedImage } from './image-checks.ts';
import type { CheckState } from './views.ts';

const DAY = 86_400_000;

/** What the tag offers, judged against the host: an update, what runs already, or an older build. */
export type OfferVerdict =
  | { readonly kind: 'newer' }
  /** The tag names the booted or staged build: nothing to do. */
  | { readonly kind: 'current' }
  /** Not newer: an earlier deployment, an earlier date, or an earlier version. Never offered. */
  | { readonly kind: 'older'; readonly why: string; readonly notice: Notice };

/** `42.20261115.0` → [42, 20261115, 0]; undefined unless every part is a number. */
export function parseVersion(version: string | undefined): number[] | undefined {
  if (version === undefined || !/^\d+(\.\d+)*$/.test(version) || version.length > 64) return undefined;
  return version.split('.').map(Number);
}

/** Negative, zero or positive as `a` is older than, the same as or newer than `b`. */
export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function isoDate(ms: number | undefined): string {
  return ms === undefined || Number.isNaN(ms) ? 'an unknown date' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

function describeBuild(version: string | undefined, createdMs: number | undefined, digest: string | undefined): string {
  return `${version ?? '(no version)'} built ${isoDate(createdMs)} (${digest ?? 'unknown digest'})`;
}

/**
 * Judges the build a tag names now against the host. An update must be later (by build date, and by
 * version where both parse) than the booted build, and not be any deployment the host already has.
 */
export function judgeOffer(host: HostState, offer: ResolvedImage): OfferVerdict {
  const booted = host.booted;
  if (offer.platformDigest === booted?.imageDigest || offer.platformDigest === host.staged?.imageDigest) return { kind: 'current' };
  if (!booted) return { kind: 'newer' };
  const offered = offer.created === undefined ? undefined : Date.parse(offer.created);
  const running = booted.timestamp === undefined ? undefined : booted.timestamp * 1000;
  const earlier: Deployment | undefined = host.deployments.find((d) => !d.booted && !d.staged && d.imageDigest === offer.platformDigest);
  const offeredVersion = parseVersion(offer.version);
  const runningVersion = parseVersion(booted.version);
  let why: string | undefined;
  if (earlier) {
    why = earlier.id === host.rollback?.id ? 'it is this computer’s rollback deployment' : 'it is an earlier deployment of this computer';
  } else if (offered === undefined || Number.isNaN(offered) || running === undefined) {
    why = 'its build date cannot be compared with the running build’s';
  } else if (offered < running) {
    why = 'it was built before the running build';
  } else if (offered === running) {
    why = 'it was built at the same time as the running build, so it is not newer';
  } else if (offeredVersion && runningVersion && compareVersions(offeredVersion, runningVersion) <= 0) {
    why = 'its version is not later than the running build’s';
  }
  if (why === undefined) return { kind: 'newer' };
  const image = offer.image;
  const tag = `${image.registry}/${image.repository}:${image.tag ?? 'latest'}`;
  const message =
    `${tag} now names an older build than the one running, which is how a rollback attack looks: ${why}. ` +
    `Offered: ${describeBuild(offer.version, offered, offer.platformDigest)}. Running: ${describeBuild(booted.version, running, booted.imageDigest)}. ` +
    'It is not offered as an update. If you do want to go back, use Roll back; otherwise tell the publisher their tag moved backwards.';
  return { kind: 'older', why, notice: { code: 'tag-downgrade', severity: 'critical', message, action: 'doctor' } };
}

/**
 * A tag whose newest build is older than `maxAgeMs` has stopped moving: a publisher that builds
 * often does not do that, and an attacker holding a host on an old build does. Undefined when fresh.
 */
export function frozenTagNotice(offer: ResolvedImage, now: Date, maxAgeMs: number): Notice | undefined {
  if (offer.created === undefined) return undefined;
  const created = Date.parse(offer.created);
  if (Number.isNaN(created)) return undefined;
  const age = now.getTime() - created;
  if (age <= maxAgeMs) return undefined;
  const image = offer.image;
  const tag = `${image.registry}/${image.repository}:${image.tag ?? 'latest'}`;
  return {
    code: 'tag-frozen',
    severity: 'warning',
    message:
      `${tag} has not moved for ${Math.floor(age / DAY)} days: its newest build, ${offer.version ?? offer.platformDigest}, was built ${isoDate(created)} ` +
      `(the limit is ${Math.round(maxAgeMs / DAY)} days). Someone may be holding this computer on an old build, or the publisher stopped building; ` +
      'check the publisher’s release page, and change updates.max-tag-age if they build less often.',
    action: 'doctor',
  };
}

/** A verified update that nothing signed ties to its repository: said with the verdict, every time. */
export function unboundNote(check: CheckState | undefined): string {
  if (check?.status !== 'done' || !isVerified(check.result) || check.result.binding.kind !== 'none') return '';
  return ` But ${check.result.binding.reason}; it is not staged automatically.`;
}

/** What the followed tag says (moved back to an older build, stopped moving) and an update bound to nothing. */
export function offerNotices(offer: { resolved: ResolvedImage; verdict: OfferVerdict } | undefined, update: CheckState | undefined, now: Date, maxTagAgeMs: number): Notice[] {
  const notices: Notice[] = [];
  if (offer?.verdict.kind === 'older') notices.push(offer.verdict.notice);
  const frozen = offer ? frozenTagNotice(offer.resolved, now, maxTagAgeMs) : undefined;
  if (frozen) notices.push(frozen);
  if (update?.status === 'done' && isVerified(update.result) && update.result.binding.kind === 'none') {
    notices.push({
      code: 'update-unbound',
      severity: 'warning',
      message: `The update is signed, but ${update.result.binding.reason}. It will not be staged automatically; stage it yourself only if you know where it came from.`,
    });
  }
  return notices;
}
