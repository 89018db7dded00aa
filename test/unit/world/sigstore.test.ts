// The test Sigstore must be faithful: OpenSSL accepts its certificate chains, and its log's
// proofs verify for any tree size, so the app's checks against it are the real ones.
import { bundleFromJSON, type SerializedBundle } from '@sigstore/bundle';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBundle } from '../../../main/trust/signature-check.ts';
import { parseTrustedRoot } from '../../../main/trust/trust-root.ts';
import { githubActionsIdentity, toPem } from '../../world/sigstore/fulcio.ts';
import { TestSigstore } from '../../world/sigstore/signer.ts';

const dir = mkdtempSync(join(tmpdir(), 'test-sigstore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sigstore = new TestSigstore();
const identity = githubActionsIdentity({ repository: 'https://github.com/acme/vespera', workflow: '.github/workflows/build.yml', ref: 'refs/heads/main', issuer: 'https://token.actions.githubusercontent.com', commit: 'a'.repeat(40) });
const at = new Date('2026-11-15T04:10:00Z');

function opensslVerify(leafPem: string, atTime: Date): { ok: boolean; output: string } {
  writeFileSync(join(dir, 'root.pem'), toPem(sigstore.fulcio.rootDer, 'CERTIFICATE'));
  writeFileSync(join(dir, 'intermediate.pem'), toPem(sigstore.fulcio.intermediateDer, 'CERTIFICATE'));
  writeFileSync(join(dir, 'leaf.pem'), leafPem);
  const run = spawnSync('openssl', ['verify', '-attime', String(Math.floor(atTime.getTime() / 1000)), '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'intermediate.pem'), join(dir, 'leaf.pem')], { encoding: 'utf8' });
  return { ok: run.status === 0, output: run.stdout + run.stderr };
}

describe('the test Sigstore', () => {
  it('issues 10-minute certificates OpenSSL validates up to its root, and only while valid', () => {
    const leaf = sigstore.fulcio.issue(identity, at);
    expect(opensslVerify(leaf.pem, new Date(at.getTime() + 60_000))).toMatchObject({ ok: true });
    expect(opensslVerify(leaf.pem, new Date(at.getTime() + 11 * 60_000)).output).toMatch(/expired/);
    expect(opensslVerify(sigstore.rogueFulcio().issue(identity, at).pem, new Date(at.getTime() + 60_000)).ok).toBe(false);
  });

  it('embeds an SCT and the GitHub Actions extensions, as Fulcio does', () => {
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: sigstore.fulcio.issue(identity, at).pem, encoding: 'utf8' });
    expect(text).toMatch(/CT Precertificate SCTs/);
    expect(text).toMatch(/URI:https:\/\/github\.com\/acme\/vespera\/\.github\/workflows\/build\.yml@refs\/heads\/main/);
    expect(text).toMatch(/1\.3\.6\.1\.4\.1\.57264\.1\.12/);
  });

  it('keeps inclusion proofs valid as its log grows', () => {
    const trustRoot = parseTrustedRoot(Buffer.from(JSON.stringify(sigstore.trustedRoot())), 'custom');
    const bundles = Array.from({ length: 9 }, (_, i) => sigstore.signBundle(TestSigstore.cosignStatement(`sha256:${String(i).repeat(64)}`), { kind: 'keyless', identity, at }));
    for (const bundle of bundles) {
      expect(checkBundle(bundleFromJSON(bundle as SerializedBundle), undefined, { trustRoot, keys: [], acceptKeyless: true }).ok).toBe(true);
    }
  });

  it("writes the publisher's public key as cosign.pub", () => {
    const pem = sigstore.publicKeyPem('vespera');
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/);
    expect(execFileSync('openssl', ['pkey', '-pubin', '-noout', '-text'], { input: pem, encoding: 'utf8' })).toMatch(/prime256v1|P-256/);
    expect(sigstore.publicKeyPem('vespera')).toBe(pem);
  });
});
