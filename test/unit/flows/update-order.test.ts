import { describe, expect, it } from 'vitest';
import { compareVersions, frozenTagNotice, judgeOffer, parseVersion } from '../../../main/flows/update-order.ts';
import type { ResolvedImage } from '../../../main/flows/image-checks.ts';
import { parseRefspec, type Deployment, type HostState } from '../../../main/host/index.ts';
import { parseDockerReference, type Sha256Digest } from '../../../main/shared/image-reference.ts';

const digest = (c: string): Sha256Digest => `sha256:${c.repeat(64)}`;
const ORIGIN = 'ostree-unverified-registry:ghcr.io/acme/vespera-nvidia:latest';
const at = (iso: string): number => Date.parse(iso) / 1000;

function deployment(id: string, fields: Partial<Deployment>): Deployment {
  return { id, osname: 'fedora', checksum: id.repeat(8), serial: 0, booted: false, staged: false, pinned: false, finalizationLocked: false, layeredPackages: [], unlocked: 'none', origin: ORIGIN, refspec: parseRefspec(ORIGIN), ...fields };
}

const booted = deployment('b', { booted: true, version: '42.20261115.0', timestamp: at('2026-11-15T04:00:00Z'), imageDigest: digest('b') });
const rollback = deployment('r', { version: '42.20261101.0', timestamp: at('2026-11-01T04:00:00Z'), imageDigest: digest('r') });
const host: HostState = { daemon: 'running', osName: 'fedora', deployments: [booted, rollback], booted, rollback, automaticUpdatePolicy: 'check' };
const offer = (fields: Partial<ResolvedImage>): ResolvedImage => ({ image: parseDockerReference('ghcr.io/acme/vespera-nvidia:latest'), digest: digest('i'), platformDigest: digest('n'), ...fields });

describe('what counts as an update', () => {
  it('is a later build by date and by version', () => {
    expect(judgeOffer(host, offer({ version: '42.20261125.0', created: '2026-11-25T04:00:00Z' }))).toEqual({ kind: 'newer' });
    expect(judgeOffer(host, offer({ platformDigest: digest('b') }))).toEqual({ kind: 'current' });
  });

  it('is never the rollback deployment, and says so with both dates and digests', () => {
    const verdict = judgeOffer(host, offer({ platformDigest: digest('r'), version: '42.20261101.0', created: '2026-11-01T04:00:00.000Z' }));
    expect(verdict).toMatchObject({ kind: 'older', why: 'it is this computer’s rollback deployment' });
    if (verdict.kind !== 'older') throw new Error('unreachable');
    expect(verdict.notice).toMatchObject({ code: 'tag-downgrade', severity: 'critical' });
    expect(verdict.notice.message).toContain(`Offered: 42.20261101.0 built 2026-11-01T04:00:00Z (${digest('r')})`);
    expect(verdict.notice.message).toContain(`Running: 42.20261115.0 built 2026-11-15T04:00:00Z (${digest('b')})`);
    expect(verdict.notice.message).toMatch(/rollback attack/);
  });

  it('is never an older build, a build of the same moment, or a later date with an earlier version', () => {
    expect(judgeOffer(host, offer({ version: '42.20261110.0', created: '2026-11-10T04:00:00Z' }))).toMatchObject({ kind: 'older', why: 'it was built before the running build' });
    expect(judgeOffer(host, offer({ version: '42.20261115.1', created: '2026-11-15T04:00:00Z' }))).toMatchObject({ kind: 'older' });
    expect(judgeOffer(host, offer({ version: '42.20261001.0', created: '2026-11-20T04:00:00Z' }))).toMatchObject({ kind: 'older', why: 'its version is not later than the running build’s' });
    expect(judgeOffer(host, offer({}))).toMatchObject({ kind: 'older', why: 'its build date cannot be compared with the running build’s' });
    // Versions that do not parse are left to the date.
    expect(judgeOffer(host, offer({ version: 'nightly', created: '2026-11-20T04:00:00Z' }))).toEqual({ kind: 'newer' });
  });

  it('compares versions part by part, as numbers', () => {
    expect(compareVersions(parseVersion('42.10') ?? [], parseVersion('42.9') ?? [])).toBeGreaterThan(0);
    expect(compareVersions(parseVersion('42.1') ?? [], parseVersion('42.1.0') ?? [])).toBe(0);
    expect(parseVersion('42.1-beta')).toBeUndefined();
  });
});

describe('a tag that stopped moving', () => {
  const newest = offer({ version: '42.20261115.0', created: '2026-11-15T04:00:00Z' });
  const limit = 30 * 86_400_000;

  it('is reported once its newest build is older than the limit, with the build date', () => {
    expect(frozenTagNotice(newest, new Date('2026-12-14T04:00:00Z'), limit)).toBeUndefined();
    const notice = frozenTagNotice(newest, new Date('2026-12-16T04:00:00Z'), limit);
    expect(notice).toMatchObject({ code: 'tag-frozen', severity: 'warning' });
    expect(notice?.message).toMatch(/ghcr\.io\/acme\/vespera-nvidia:latest has not moved for 31 days: its newest build, 42\.20261115\.0, was built 2026-11-15T04:00:00Z \(the limit is 30 days\)/);
  });

  it('says nothing when the build date is unknown', () => {
    expect(frozenTagNotice(offer({}), new Date('2027-06-01T00:00:00Z'), limit)).toBeUndefined();
  });
});
