import { describe, expect, it } from 'vitest';
import { buildSnapshot, type SnapshotFacts } from '../../../main/flows/classification.ts';
import type { Enforcement } from '../../../main/flows/enforcement.ts';
import type { CheckState } from '../../../main/flows/views.ts';
import { parseRefspec, type Deployment, type HostState } from '../../../main/host/index.ts';
import type { Sha256Digest } from '../../../main/shared/image-reference.ts';
import type { VerificationResult } from '../../../main/trust/index.ts';

const digest = (c: string): Sha256Digest => `sha256:${c.repeat(64)}`;
const UNVERIFIED = 'ostree-unverified-registry:ghcr.io/acme/vespera-nvidia:latest';

function deployment(id: string, fields: Partial<Deployment> = {}): Deployment {
  const origin = fields.origin ?? UNVERIFIED;
  return {
    id,
    osname: 'fedora',
    checksum: id.repeat(8),
    serial: 0,
    booted: false,
    staged: false,
    pinned: false,
    finalizationLocked: false,
    layeredPackages: [],
    unlocked: 'none',
    origin,
    refspec: parseRefspec(origin),
    ...fields,
  };
}

const booted = deployment('b', { booted: true, version: '42.1', imageDigest: digest('b') });
const staged = deployment('s', { staged: true, version: '42.2', imageDigest: digest('s') });
const rollback = deployment('r', { version: '42.0', imageDigest: digest('r') });

function host(fields: Partial<HostState> = {}): HostState {
  const deployments = fields.deployments ?? [booted, rollback];
  return {
    daemon: 'running',
    osName: 'fedora',
    deployments,
    booted: deployments.find((d) => d.booted),
    rollback: deployments.find((d) => d.id === 'r'),
    staged: deployments.find((d) => d.staged),
    automaticUpdatePolicy: 'check',
    ...fields,
  };
}

const verified = (d: Sha256Digest): CheckState => ({
  status: 'done',
  at: new Date('2026-11-26T10:00:00Z'),
  result: {
    status: 'verified',
    reference: 'ghcr.io/acme/vespera-nvidia:latest',
    digest: d,
    platformDigest: d,
    layout: 'legacy',
    signer: { kind: 'keyless', subject: 'https://github.com/acme/vespera/.github/workflows/build.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com', sourceRepository: 'https://github.com/acme/vespera', workflow: 'w', certificate: { notBefore: '', notAfter: '' } },
    policy: { description: 'a workflow of https://github.com/acme/vespera', origin: 'derived' },
    visibleToRpmOstree: true,
    binding: { kind: 'signed-reference', reference: 'ghcr.io/acme/vespera-nvidia' },
    signaturesFound: 1,
    verifiedAt: '2026-11-26T10:00:00Z',
    cached: false,
    cosign: { critical: { identity: { 'docker-reference': '' }, image: { 'docker-manifest-digest': d }, type: '' }, optional: {} },
  } as VerificationResult,
});
const failed = (code: 'identity-mismatch' | 'no-signature' | 'network' | 'invalid-input'): CheckState => ({
  status: 'done',
  at: new Date('2026-11-26T10:00:00Z'),
  result: { status: 'failed', code, message: `it failed: ${code}`, reference: 'x', attempts: [] },
});

const NONE: Enforcement = { mode: 'none', summary: 'Not enforced: this host boots unverified images', detail: '' };
const KEY: Enforcement = { mode: 'key-enforced', summary: 'Enforced by the OS (key acme-vespera.pub)', detail: '' };
const APP: Enforcement = { mode: 'app-enforced', summary: 'Verified by Vespera Updates before each update', detail: '' };

function facts(fields: Partial<SnapshotFacts> & { checks?: Record<string, CheckState> }): SnapshotFacts {
  const checks = fields.checks ?? {};
  return {
    host: host(),
    enforcement: KEY,
    checkOf: (d) => checks[d.id],
    expectationOf: () => undefined,
    available: undefined,
    ...fields,
  };
}

describe('the classification of a host', () => {
  it('is signed and current when the booted digest verifies and the OS enforces', () => {
    const s = buildSnapshot(facts({ checks: { b: verified(digest('b')) } }));
    expect(s).toMatchObject({ health: 'signed-current', headline: 'Up to date and signed: 42.1' });
    expect(s.actions).toEqual(['check-now', 'rollback', 'doctor']);
  });

  it('offers restart first for a verified staged update, even on an unverified host', () => {
    const s = buildSnapshot(facts({ host: host({ deployments: [staged, booted, rollback] }), enforcement: NONE, checks: { s: verified(digest('s')) } }));
    expect(s.health).toBe('update-ready');
    expect(s.actions.slice(0, 2)).toEqual(['restart-now', 'open-details']);
    expect(s.actions).toContain('migrate');
    expect(s.notices.map((n) => n.code)).toContain('unverified-host');
  });

  it('puts discard first, loudly, for a staged update that fails its check', () => {
    const s = buildSnapshot(facts({ host: host({ deployments: [staged, booted, rollback] }), checks: { s: failed('identity-mismatch') } }));
    expect(s.health).toBe('needs-attention');
    expect(s.actions[0]).toBe('discard-staged');
    expect(s.notices).toContainEqual(expect.objectContaining({ code: 'staged-not-verified', severity: 'critical' }));
    expect(s.update).toMatchObject({ state: 'failed', signature: { failure: { code: 'identity-mismatch' } } });
  });

  it('puts making the host verify first on an unverified host with nothing staged', () => {
    const s = buildSnapshot(facts({ enforcement: NONE, checks: { b: verified(digest('b')) } }));
    expect(s.health).toBe('unverified');
    expect(s.actions[0]).toBe('migrate');
  });

  it('never offers to stage an available update that fails its check', () => {
    const s = buildSnapshot(facts({ checks: { b: verified(digest('b')) }, available: { image: { registry: 'ghcr.io', repository: 'acme/vespera-nvidia', tag: 'latest' }, digest: digest('i'), platformDigest: digest('p'), check: failed('no-signature') } }));
    expect(s.health).toBe('needs-attention');
    expect(s.actions).not.toContain('stage-update');
  });

  it('warns an app-enforced host whose timer stages unheld updates, and flags what it staged', () => {
    const s = buildSnapshot(facts({ host: host({ deployments: [staged, booted, rollback], automaticUpdatePolicy: 'stage' }), enforcement: APP, checks: { s: verified(digest('s')) } }));
    const codes = s.notices.map((n) => n.code);
    expect(codes).toEqual(expect.arrayContaining(['staged-outside-app', 'automatic-policy-stages']));
  });

  it('turns a tag that moved back to an older build into needs-attention, and keeps a frozen tag a warning', () => {
    const downgrade = { code: 'tag-downgrade', severity: 'critical' as const, message: 'latest now names an older build', action: 'doctor' as const };
    const s = buildSnapshot(facts({ checks: { b: verified(digest('b')) }, tagNotices: [downgrade] }));
    expect(s).toMatchObject({ health: 'needs-attention', headline: 'The image tag moved back to an older build: possible rollback attack', detail: downgrade.message });
    expect(s.notices).toContainEqual(downgrade);
    const frozen = buildSnapshot(facts({ checks: { b: verified(digest('b')) }, tagNotices: [{ code: 'tag-frozen', severity: 'warning', message: 'not moved for 31 days' }] }));
    expect(frozen.health).toBe('signed-current');
    expect(frozen.notices.map((n) => n.code)).toContain('tag-frozen');
  });

  it('says when rpm-ostreed is gone, and when a transaction runs', () => {
    expect(buildSnapshot(facts({ host: host({ daemon: 'gone', deployments: [] }) })).health).toBe('no-daemon');
    const busy = buildSnapshot(facts({ checks: { b: verified(digest('b')) }, host: host({ activeTransaction: { method: 'Upgrade', initiator: ':1.9', osPath: '/', address: '', byThisClient: false } }) }));
    expect(busy).toMatchObject({ health: 'busy', transaction: { title: 'Upgrade', ownedByApp: false } });
  });

  it('says it could not check, not that the signature failed, when the registry is out of reach', () => {
    const offline: CheckState = { ...(failed('network') as Extract<CheckState, { status: 'done' }>), lastVerified: { checkedAt: '2026-11-20T08:00:00.000Z', signedBy: 'build.yml of https://github.com/acme/vespera' } };
    const s = buildSnapshot(facts({ checks: { b: offline } }));
    expect(s.health).toBe('cannot-check');
    expect(s.headline).toBe("Could not check the running system's signature");
    expect(s.detail).toContain('It last verified on 2026-11-20T08:00:00.000Z, signed by build.yml of https://github.com/acme/vespera.');
    expect(s.deployments.find((d) => d.role === 'booted')?.signature).toMatchObject({ status: 'unchecked', failure: { code: 'network' }, lastVerified: { checkedAt: '2026-11-20T08:00:00.000Z' } });
    expect(s.notices.map((n) => n.code)).not.toContain('staged-not-verified');
  });

  it('never calls an update that could not be checked a failed one, and never offers to stage it', () => {
    const s = buildSnapshot(facts({ checks: { b: verified(digest('b')) }, available: { image: { registry: 'ghcr.io', repository: 'acme/vespera-nvidia', tag: 'latest' }, digest: digest('i'), platformDigest: digest('p'), check: failed('invalid-input') } }));
    expect(s).toMatchObject({ health: 'cannot-check', update: { state: 'unchecked', signature: { status: 'unchecked' } } });
    expect(s.actions).not.toContain('stage-update');
  });

  it('keeps a staged update that could not be checked apart from one that failed, and says whether it is held', () => {
    const held = deployment('s', { staged: true, finalizationLocked: true, version: '42.2', imageDigest: digest('s') });
    const s = buildSnapshot(facts({ host: host({ deployments: [held, booted, rollback] }), checks: { s: failed('network') } }));
    expect(s).toMatchObject({ health: 'cannot-check', update: { state: 'unchecked' } });
    expect(s.detail).toContain('It stays held');
    expect(s.actions).not.toContain('restart-now');
    expect(s.notices.map((n) => n.code)).not.toContain('staged-not-verified');
  });

  it('names the next restart after a rollback, and marks the deployment that boots', () => {
    const older = deployment('r', { version: '42.0', imageDigest: digest('r'), timestamp: 100 });
    const running = deployment('b', { booted: true, version: '42.1', imageDigest: digest('b'), timestamp: 200 });
    const rolledBack = host({ deployments: [older, running], rollback: undefined });
    const s = buildSnapshot(facts({ host: rolledBack, checks: { b: verified(digest('b')), r: verified(digest('r')) } }));
    expect(s).toMatchObject({ health: 'restart-pending', headline: 'Next restart: 42.0 (rollback)' });
    expect(s.deployments.find((d) => d.id === 'r')).toMatchObject({ role: 'pending', nextBoot: true });
    expect(s.deployments.find((d) => d.id === 'b')?.nextBoot).toBeUndefined();
  });

  it('follows the next boot for who enforces, and says how it is until the restart', () => {
    const s = buildSnapshot(facts({ host: host({ deployments: [staged, booted, rollback] }), enforcement: NONE, nextEnforcement: KEY, checks: { s: verified(digest('s')) } }));
    expect(s.enforcement).toMatchObject({ mode: 'key-enforced', summary: KEY.summary, untilRestart: NONE.summary });
  });

  it('marks the running system as the next boot while a staged update is held for Restart now', () => {
    const held = deployment('s', { staged: true, finalizationLocked: true, version: '42.2', imageDigest: digest('s') });
    const s = buildSnapshot(facts({ host: host({ deployments: [held, booted, rollback] }), enforcement: APP, checks: { s: verified(digest('s')) } }));
    expect(s.health).toBe('update-ready');
    expect(s.deployments.find((d) => d.nextBoot)?.id).toBe('b');
  });
});
