// Every vector in shared/vectors verifies or fails exactly as its README says, offline.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCommand, type CommandIO } from '../../../main/cli/command.ts';
import { verifyBundleCommand } from '../../../main/cli/commands/verify-bundle.ts';
import { parseContainersSigstoreFile } from '../../../main/trust/cosign-legacy.ts';
import type { IdentityPolicy } from '../../../main/trust/identity-policy.ts';
import { loadPublicKey } from '../../../main/trust/keys.ts';
import { parseSimpleSigningPayload } from '../../../main/trust/payload.ts';
import { checkLegacySignature } from '../../../main/trust/signature-check.ts';
import { loadTrustedRootFile } from '../../../main/trust/trust-root.ts';
import { verifyArtifactBundle } from '../../../main/trust/verify-bundle.ts';

const V = new URL('../../../../shared/vectors/', import.meta.url).pathname;
const GHA_ISSUER = 'https://token.actions.githubusercontent.com';
const BEACON_ID = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const PG_ROOT = `${V}trust/trusted_root.public-good.json`;
const STAGING_ROOT = `${V}conformance/rekor2-happy-path.trusted_root.staging.json`;
const ARTIFACT = `${V}conformance/a.txt`;
const BEACON: IdentityPolicy = { issuer: GHA_ISSUER, identity: { kind: 'exact', subject: BEACON_ID }, origin: 'explicit' };

interface Vector {
  readonly bundle: string;
  readonly root: string;
  readonly key?: string;
  readonly valid: boolean;
  readonly code?: string;
}

const VECTORS: Vector[] = [
  { bundle: 'happy-path-v0.1', root: PG_ROOT, valid: true },
  { bundle: 'happy-path-v0.3', root: PG_ROOT, valid: true },
  { bundle: 'happy-path-intoto-in-dsse-v3', root: PG_ROOT, valid: true },
  { bundle: 'set-invalid-signature_fail', root: PG_ROOT, valid: false, code: 'tlog-invalid' },
  { bundle: 'bundle-from-wrong-instance_fail', root: PG_ROOT, valid: false, code: 'untrusted-chain' },
  { bundle: 'managed-key-happy-path', root: PG_ROOT, key: 'managed-key-happy-path.key.pub', valid: true },
  { bundle: 'rekor2-happy-path', root: STAGING_ROOT, valid: true },
  { bundle: 'rekor2-happy-path', root: PG_ROOT, valid: false, code: 'tlog-invalid' },
];

function captureIO(): { io: CommandIO; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        append(chunk.toString());
        done();
      },
    });
  return {
    io: { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), env: { HOME: '/nonexistent', VESPERA_UPDATES_CONFIG: '/dev/null' }, interactive: false },
    out: () => out,
    err: () => err,
  };
}

describe('the shared Sigstore vectors through the library', () => {
  it.each(VECTORS)('$bundle with $root is valid: $valid', async (vector) => {
    const trustRoot = await loadTrustedRootFile(vector.root);
    const bundle = JSON.parse(readFileSync(`${V}conformance/${vector.bundle}.sigstore.json`, 'utf8')) as unknown;
    const keys = vector.key ? [await loadPublicKey(`${V}conformance/${vector.key}`)] : [];
    const artifact = readFileSync(ARTIFACT);
    for (const given of [artifact, { sha256: createHash('sha256').update(artifact).digest() }]) {
      const result = verifyArtifactBundle({ bundle, artifact: given, trustRoot, keys, ...(vector.key ? {} : { identity: BEACON }) });
      expect(result.status).toBe(vector.valid ? 'verified' : 'failed');
      if (!vector.valid) expect(result).toMatchObject({ code: vector.code });
    }
  });

  it('refuses a valid bundle for another identity, issuer or artifact', async () => {
    const trustRoot = await loadTrustedRootFile(PG_ROOT);
    const bundle = JSON.parse(readFileSync(`${V}conformance/happy-path-v0.3.sigstore.json`, 'utf8')) as unknown;
    const artifact = readFileSync(ARTIFACT);
    const prefix: IdentityPolicy = { ...BEACON, identity: { kind: 'exact', subject: BEACON_ID.replace(/@.*$/, '') } };
    expect(verifyArtifactBundle({ bundle, artifact, trustRoot, identity: prefix })).toMatchObject({ status: 'failed', code: 'identity-mismatch' });
    expect(verifyArtifactBundle({ bundle, artifact, trustRoot, identity: { ...BEACON, issuer: 'https://accounts.google.com' } })).toMatchObject({ code: 'issuer-mismatch' });
    expect(verifyArtifactBundle({ bundle, artifact: Buffer.from('not a.txt'), trustRoot, identity: BEACON })).toMatchObject({ status: 'failed', code: 'bad-signature' });
  });

  it('verifies the containers/image legacy signature with cosign2.pub only, over the image it names', async () => {
    const trustRoot = await loadTrustedRootFile(PG_ROOT);
    const signature = parseContainersSigstoreFile(readFileSync(`${V}legacy-containers-image/key-rekor-valid.signature-1`));
    const good = await loadPublicKey(`${V}legacy-containers-image/cosign2.pub`);
    const other = await loadPublicKey(`${V}conformance/managed-key-happy-path.key.pub`);
    const verified = checkLegacySignature(signature, { trustRoot, keys: [good], acceptKeyless: false });
    expect(verified).toMatchObject({ ok: true, signer: { kind: 'key' }, tlog: { logIndex: 11608800 } });
    expect(checkLegacySignature(signature, { trustRoot, keys: [other], acceptKeyless: false })).toMatchObject({ ok: false, code: 'bad-signature' });
    const manifest = readFileSync(`${V}legacy-containers-image/manifest.json`);
    expect(parseSimpleSigningPayload(signature.payload).manifestDigest).toBe(`sha256:${createHash('sha256').update(manifest).digest('hex')}`);
  });
});

describe('the shared Sigstore vectors through verify-bundle (sigstore-conformance protocol)', () => {
  it.each(VECTORS)('$bundle with $root exits $valid', async (vector) => {
    const args = ['--bundle', `${V}conformance/${vector.bundle}.sigstore.json`, '--trusted-root', vector.root];
    args.push(...(vector.key ? ['--key', `${V}conformance/${vector.key}`] : ['--certificate-identity', BEACON_ID, '--certificate-oidc-issuer', GHA_ISSUER]));
    const digest = `sha256:${createHash('sha256').update(readFileSync(ARTIFACT)).digest('hex')}`;
    for (const target of [ARTIFACT, digest]) {
      const { io, err } = captureIO();
      const code = await runCommand(verifyBundleCommand, [...args, target], io);
      expect(code, err()).toBe(vector.valid ? 0 : 1);
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
