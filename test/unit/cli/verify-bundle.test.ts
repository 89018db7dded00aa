// verify-bundle speaks the sigstore-conformance client protocol: every real Sigstore vector exits as its
// README says, for a file and for a bare digest, offline.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../../main/cli/command.ts';
import { verifyBundleCommand } from '../../../main/cli/commands/verify-bundle.ts';
import { captureIO as captureEnvIO } from '../../support/cli.ts';
import { ARTIFACT, BEACON_ID, BUNDLE_VECTORS, GHA_ISSUER, VECTORS_DIR } from '../../support/sigstore-vectors.ts';

const V = VECTORS_DIR;

const captureIO = (): ReturnType<typeof captureEnvIO> => captureEnvIO({ HOME: '/nonexistent', VESPERA_UPDATES_CONFIG: '/dev/null' });

describe('the real Sigstore vectors through verify-bundle (sigstore-conformance protocol)', () => {
  it.each(BUNDLE_VECTORS)('$bundle with $root exits $valid', async (vector) => {
    const args = ['--bundle', `${V}conformance/${vector.bundle}.sigstore.json`, '--trusted-root', vector.root];
    args.push(...(vector.key ? ['--key', `${V}conformance/${vector.key}`] : ['--certificate-identity', BEACON_ID, '--certificate-oidc-issuer', GHA_ISSUER]));
    const digest = `sha256:${createHash('sha256').update(readFileSync(ARTIFACT)).digest('hex')}`;
    for (const target of [ARTIFACT, digest]) {
      const { io, err } = captureIO();
      const code = await runCommand(verifyBundleCommand, [...args, target], io);
      // Any failure is non-zero for the conformance protocol; a bundle that does not verify is evidence (3).
      expect(code, err()).toBe(vector.valid ? 0 : 3);
    }
  });

  it('uses the bundled public-good root when none is given, offline', async () => {
    const { io, out } = captureIO();
    const cache = mkdtempSync(join(tmpdir(), 'vectors-cache-'));
    const env = { ...io.env, XDG_CACHE_HOME: cache };
    const code = await runCommand(
      verifyBundleCommand,
      ['--bundle', `${V}conformance/managed-key-happy-path.sigstore.json`, '--key', `${V}conformance/managed-key-happy-path.key.pub`, ARTIFACT],
      { ...io, env },
    );
    expect(code).toBe(0);
    expect(out()).toMatch(/^OK: signed with /);
    rmSync(cache, { recursive: true, force: true });
  });

  it('answers wrong usage with exit 2', async () => {
    const { io, err } = captureIO();
    expect(await runCommand(verifyBundleCommand, ['--bundle', 'x.json', ARTIFACT], io)).toBe(2);
    expect(err()).toMatch(/--certificate-identity and --certificate-oidc-issuer, or --key/);
  });
});
