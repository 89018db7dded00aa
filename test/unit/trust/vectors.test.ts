// Every vector in test/fixtures/sigstore verifies or fails exactly as its README says, offline:
// real public-good signatures, so the library is held to data nobody here made.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseContainersSigstoreFile } from '../../../main/trust/cosign-legacy.ts';
import type { IdentityPolicy } from '../../../main/trust/identity-policy.ts';
import { loadPublicKey } from '../../../main/trust/keys.ts';
import { parseSimpleSigningPayload } from '../../../main/trust/payload.ts';
import { checkLegacySignature } from '../../../main/trust/signature-check.ts';
import { loadTrustedRootFile } from '../../../main/trust/trust-root.ts';
import { verifyArtifactBundle } from '../../../main/trust/verify-bundle.ts';
import { ARTIFACT, BEACON_ID, BUNDLE_VECTORS, GHA_ISSUER, PG_ROOT, VECTORS_DIR } from '../../support/sigstore-vectors.ts';

const V = VECTORS_DIR;
const BEACON: IdentityPolicy = { issuer: GHA_ISSUER, identity: { kind: 'exact', subject: BEACON_ID }, origin: 'explicit' };

describe('the real Sigstore vectors through the library', () => {
  it.each(BUNDLE_VECTORS)('$bundle with $root is valid: $valid', async (vector) => {
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

