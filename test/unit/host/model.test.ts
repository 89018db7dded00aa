import dbus from 'dbus-next';
import { describe, expect, it } from 'vitest';
import {
  deploymentJson,
  parseActiveTransaction,
  parseCachedUpdate,
  parseDeployment,
  parseDeployments,
  parsePolicy,
} from '../../../main/host/model.ts';

const V = dbus.Variant;
const CHECKSUM = '6f17d14a8390d443cd7f95ddee79a174dec161f67e7d83f04d2da863b9ace732';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** A container deployment dict as dbus-next hands it over (t as BigInt, i as number). */
function containerDeployment(extra: Record<string, dbus.Variant> = {}): Record<string, dbus.Variant> {
  return {
    id: new V('s', `fedora-${CHECKSUM}.0`),
    osname: new V('s', 'fedora'),
    serial: new V('i', 0),
    checksum: new V('s', CHECKSUM),
    version: new V('s', '42.20261115.0'),
    timestamp: new V('t', 1794715200n),
    booted: new V('b', true),
    staged: new V('b', false),
    pinned: new V('b', false),
    unlocked: new V('s', 'none'),
    'requested-packages': new V('as', []),
    packages: new V('as', []),
    'base-commit-meta': new V('a{sv}', { 'ostree.manifest-digest': new V('s', DIGEST) }),
    'container-image-reference': new V('s', 'ostree-unverified-registry:ghcr.io/acme/vespera-nvidia:latest'),
    'container-image-reference-digest': new V('s', DIGEST),
    ...extra,
  };
}

describe('deployments from the wire', () => {
  it('reads a container deployment with its image reference, digest and time in seconds', () => {
    const d = parseDeployment(containerDeployment());
    expect(d).toMatchObject({
      id: `fedora-${CHECKSUM}.0`,
      osname: 'fedora',
      checksum: CHECKSUM,
      serial: 0,
      booted: true,
      staged: false,
      pinned: false,
      finalizationLocked: false,
      version: '42.20261115.0',
      timestamp: 1794715200,
      origin: 'ostree-unverified-registry:ghcr.io/acme/vespera-nvidia:latest',
      imageDigest: DIGEST,
      refspec: { kind: 'container', verification: 'unverified' },
    });
    expect(typeof d?.timestamp).toBe('number');
  });

  it('turns into JSON without BigInt trouble', () => {
    const d = parseDeployment(containerDeployment());
    expect(d).toBeDefined();
    const json = JSON.parse(JSON.stringify(deploymentJson(d!))) as Record<string, unknown>;
    expect(json).toMatchObject({ imageReference: 'ostree-unverified-registry:ghcr.io/acme/vespera-nvidia:latest', imageDigest: DIGEST, timestamp: 1794715200 });
  });

  it('sees a finalization-locked staged deployment', () => {
    const d = parseDeployment(
      containerDeployment({ booted: new V('b', false), staged: new V('b', true), 'finalization-locked': new V('b', true) }),
    );
    expect(d).toMatchObject({ staged: true, finalizationLocked: true, booted: false });
  });

  it('reads a classic ostree deployment from its origin', () => {
    const dict = containerDeployment({ origin: new V('s', 'fedora:fedora/42/x86_64/silverblue') });
    delete dict['container-image-reference'];
    delete dict['container-image-reference-digest'];
    expect(parseDeployment(dict)).toMatchObject({
      origin: 'fedora:fedora/42/x86_64/silverblue',
      refspec: { kind: 'ostree', remote: 'fedora' },
    });
    expect(parseDeployment(dict)?.imageDigest).toBeUndefined();
  });

  it('keeps a deployment whose origin it cannot parse, without a refspec', () => {
    const d = parseDeployment(containerDeployment({ 'container-image-reference': new V('s', 'ostree-image-signed:weird') }));
    expect(d?.origin).toBe('ostree-image-signed:weird');
    expect(d?.refspec).toBeUndefined();
  });

  it.each([
    ['a wrong type for the checksum', { checksum: new V('u', 5) }],
    ['a checksum that is not 64 hex characters', { checksum: new V('s', 'not-a-checksum') }],
    ['no serial', { serial: new V('s', 'zero') }],
  ])('drops a deployment with %s', (_what, extra) => {
    expect(parseDeployment(containerDeployment(extra))).toBeUndefined();
  });

  it('ignores a digest that is not sha256 and caps the number of deployments', () => {
    expect(parseDeployment(containerDeployment({ 'container-image-reference-digest': new V('s', 'md5:abc') }))?.imageDigest).toBeUndefined();
    expect(parseDeployments(Array.from({ length: 200 }, () => containerDeployment()))).toHaveLength(64);
    expect(parseDeployments('not an array')).toEqual([]);
  });
});

describe('the cached update', () => {
  it('reads an unstaged container update with its manifest diff', () => {
    const update = parseCachedUpdate({
      osname: new V('s', 'fedora'),
      checksum: new V('s', CHECKSUM),
      version: new V('s', '42.20261125.0'),
      timestamp: new V('t', 1794715200n),
      origin: new V('s', 'ostree-unverified-registry:ghcr.io/acme/vespera-nvidia:latest'),
      'ref-has-new-commit': new V('b', false),
      'manifest-diff': new V('a{sv}', {
        total: new V('t', 3n),
        'total-size': new V('t', 502n),
        'n-removed': new V('t', 3n),
        'removed-size': new V('t', 500n),
        'n-added': new V('t', 3n),
        'added-size': new V('t', 502n),
      }),
    });
    expect(update).toMatchObject({
      version: '42.20261125.0',
      refHasNewCommit: false,
      manifestDiff: { total: 3, totalSize: 502, removed: 3, removedSize: 500, added: 3, addedSize: 502 },
      refspec: { kind: 'container' },
    });
  });

  it('treats the empty dict rpm-ostreed sends for "no update" as none', () => {
    expect(parseCachedUpdate({})).toBeUndefined();
  });
});

describe('active transaction and policy', () => {
  it('reads ("","","") as idle and a running transaction with whose it is', () => {
    expect(parseActiveTransaction(['', '', ''], '', ':1.5')).toBeUndefined();
    expect(parseActiveTransaction(['Rebase', ':1.5', '/org/projectatomic/rpmostree1/fedora'], 'unix:path=/run/x.sock', ':1.5')).toEqual({
      method: 'Rebase',
      initiator: ':1.5',
      osPath: '/org/projectatomic/rpmostree1/fedora',
      address: 'unix:path=/run/x.sock',
      byThisClient: true,
    });
    expect(parseActiveTransaction(['AutomaticUpdateTrigger', ':1.9', '/x'], '', ':1.5')?.byThisClient).toBe(false);
  });

  it('knows the four automatic update policies and nothing else', () => {
    expect(['none', 'check', 'stage', 'apply'].map(parsePolicy)).toEqual(['none', 'check', 'stage', 'apply']);
    expect(parsePolicy('ex-stage')).toBe('unknown');
  });
});
