import { describe, expect, it } from 'vitest';
import { errorFromDBus, errorFromFailure, type HostErrorCode } from '../../../main/host/errors.ts';

const BUSY = 'org.gtk.GDBus.UnmappedGError.Quark._g_2dio_2derror_2dquark.Code26';
const FAILED = 'org.gtk.GDBus.UnmappedGError.Quark._g_2dio_2derror_2dquark.Code0';

describe('errors from rpm-ostreed method calls', () => {
  it('reports another transaction as busy, naming it', () => {
    const error = errorFromDBus(BUSY, 'Transaction in progress: upgrade\n You can cancel the current transaction with `rpm-ostree cancel`', 'roll back');
    expect(error.code).toBe('busy');
    expect(error.message).toMatch(/busy with another update operation \(upgrade\).*try to roll back again/);
    expect(error.detail).toContain(BUSY);
  });

  it('reports the sysroot lock held by another tool as busy', () => {
    expect(errorFromDBus(BUSY, 'System transaction in progress', 'stage the update').code).toBe('busy');
  });

  it('reports a polkit refusal as denied and says to authenticate', () => {
    const error = errorFromDBus('org.freedesktop.DBus.Error.AccessDenied', 'rpmostreed OS operation Rebase not allowed for user', 'switch images');
    expect(error.code).toBe('denied');
    expect(error.message).toMatch(/not allowed to switch images.*authenticate/);
  });

  it('reports a machine already restarting', () => {
    expect(errorFromDBus(FAILED, 'Reboot initiated, cannot start new transaction', 'stage the update').code).toBe('rebooting');
  });

  it.each([
    'org.freedesktop.DBus.Error.ServiceUnknown',
    'org.freedesktop.DBus.Error.NoReply',
    'org.freedesktop.DBus.Error.NameHasNoOwner',
  ])('reports %s as the daemon gone', (name) => {
    expect(errorFromDBus(name, 'whatever', 'roll back').code).toBe('daemon-gone');
  });

  it('keeps anything else as unknown with the daemon text', () => {
    const error = errorFromDBus(FAILED, 'Invalid cleanup type: everything', 'clean up');
    expect(error.code).toBe('unknown');
    expect(error.message).toContain('Invalid cleanup type: everything');
  });
});

describe('errors from a failed transaction', () => {
  const cases: Array<[string, HostErrorCode]> = [
    ['Creating importer: failed to invoke method OpenImage: A signature was required, but no signature exists', 'signature-required'],
    ['Creating importer: Failed to invoke skopeo proxy method OpenImage: remote error: A signature was required, but no signature exists', 'signature-required'],
    ['Preparing import: Fetching manifest: containers-policy.json specifies a default of `insecureAcceptAnything`; refusing usage', 'policy-rejected'],
    ['Creating importer: failed to invoke method OpenImage: remote error: Running image docker://ghcr.io/x/y:latest is rejected by policy.', 'policy-rejected'],
    ['Creating importer: failed to invoke method OpenImage: Source image rejected: cryptographic signature verification failed: invalid signature', 'policy-rejected'],
    ['Creating importer: failed to invoke method OpenImage: invalid policy in "/etc/containers/policy.json": Unknown key "keyless"', 'policy-rejected'],
    ['Creating importer: failed to invoke method OpenImage: reading manifest nope in ghcr.io/acme/vespera: manifest unknown', 'image-not-found'],
    ['Creating importer: failed to invoke method OpenImage: reading manifest latest in ghcr.io/acme/gone: name unknown: repository name not known to registry', 'image-not-found'],
    ['Creating importer: failed to invoke method OpenImage: pinging container registry ghcr.io: Get "https://ghcr.io/v2/": dial tcp: lookup ghcr.io: no such host', 'network'],
    ['proxyconnect tcp: dial tcp: lookup proxy.example: no such host', 'network'],
    ['Staged deployment (remove with cleanup -p)', 'staged-blocks-rollback'],
    ['No rollback deployment found', 'no-rollback'],
    ['No pending staged deployment found', 'nothing-staged'],
    ['Operation was cancelled', 'cancelled'],
    ['Reboot initiated, cannot start new transaction', 'rebooting'],
    ['Old and new refs are equal: ostree-unverified-registry:ghcr.io/acme/vespera:latest', 'unknown'],
  ];

  it.each(cases)('reads "%s" as %s', (message, code) => {
    const error = errorFromFailure(message, 'stage the update');
    expect(error.code).toBe(code);
    expect(error.detail).toBe(message);
  });

  it('tells what to do when the OS would refuse ostree-image-signed', () => {
    const error = errorFromFailure('containers-policy.json specifies a default of `insecureAcceptAnything`; refusing usage', 'switch images');
    expect(error.message).toMatch(/default to "reject"/);
  });

  it('suggests discarding the staged update when it blocks a rollback', () => {
    expect(errorFromFailure('Staged deployment (remove with cleanup -p)', 'roll back').message).toMatch(/discard the staged update first/);
  });
});
