// The cryptographic checks of one signature, with the test Sigstore making good and bad ones.
import { bundleFromJSON, type SerializedBundle } from '@sigstore/bundle';
import { describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../../main/trust/keys.ts';
import { checkBundle, checkLegacySignature, type CryptoOptions } from '../../../main/trust/signature-check.ts';
import { parseTrustedRoot } from '../../../main/trust/trust-root.ts';
import { ecKeyPair, githubActionsIdentity } from '../../world/sigstore/fulcio.ts';
import { TestSigstore, type TestSigner } from '../../world/sigstore/signer.ts';

const sigstore = new TestSigstore();
const trustRoot = parseTrustedRoot(Buffer.from(JSON.stringify(sigstore.trustedRoot())), 'custom');
const at = new Date('2026-11-15T04:10:00Z');
const identity = githubActionsIdentity({ repository: 'https://github.com/acme/vespera', workflow: '.github/workflows/build.yml', ref: 'refs/heads/main', issuer: 'https://token.actions.githubusercontent.com', commit: 'a'.repeat(40) });
const keyless: TestSigner = { kind: 'keyless', identity, at };
const payload = TestSigstore.simpleSigningPayload('ghcr.io/acme/vespera', `sha256:${'b'.repeat(64)}`);
const keylessOnly: CryptoOptions = { trustRoot, keys: [], acceptKeyless: true };
const publisher = parsePublicKey(sigstore.publicKeyPem('vespera'), 'vespera.pub');

describe('checking one legacy signature', () => {
  it('verifies a keyless signature and reports the signer and the log entry', () => {
    const outcome = checkLegacySignature({ payload, annotations: sigstore.signLegacy(payload, keyless) }, keylessOnly);
    expect(outcome).toMatchObject({ ok: true, signer: { kind: 'keyless', certificate: { subject: identity.subject, sourceRepository: 'https://github.com/acme/vespera' } }, tlog: { integratedTime: '2026-11-15T04:10:05.000Z' } });
  });

  it('verifies a key signature with or without a log entry, and names the key', () => {
    for (const tlog of [true, false]) {
      const annotations = sigstore.signLegacy(payload, { kind: 'key', key: 'vespera', at }, { tlog });
      expect(checkLegacySignature({ payload, annotations }, { trustRoot, keys: [publisher], acceptKeyless: false })).toMatchObject({ ok: true, signer: { kind: 'key', key: { source: 'vespera.pub' } } });
    }
  });

  it.each([
    ['a changed payload', () => ({ payload: Buffer.from(payload.toString().replace('acme', 'evil')), annotations: sigstore.signLegacy(payload, keyless) }), 'bad-signature'],
    ['a certificate from a CA the root does not trust', () => ({ payload, annotations: sigstore.signLegacy(payload, { ...keyless, fulcio: sigstore.rogueFulcio() }) }), 'untrusted-chain'],
    ['a certificate without code signing usage', () => ({ payload, annotations: sigstore.signLegacy(payload, { ...keyless, leaf: { withoutCodeSigning: true } }) }), 'untrusted-chain'],
    ['a certificate without an SCT', () => ({ payload, annotations: sigstore.signLegacy(payload, { ...keyless, leaf: { sct: 'none' } }) }), 'untrusted-chain'],
    ['a log entry made after the certificate expired', () => ({ payload, annotations: sigstore.signLegacy(payload, keyless, { integratedTime: new Date(at.getTime() + 11 * 60_000) }) }), 'cert-expired'],
    ['an expired certificate without a log entry', () => ({ payload, annotations: sigstore.signLegacy(payload, keyless, { tlog: false }) }), 'cert-expired'],
    ['a SET made with another key', () => ({ payload, annotations: sigstore.signLegacy(payload, keyless, { setKey: ecKeyPair().privateKey }) }), 'tlog-invalid'],
    [
      'a log entry for another payload',
      () => ({ payload, annotations: sigstore.signLegacy(payload, keyless, { body: (b) => ({ ...b, spec: { ...(b.spec as object), data: { hash: { algorithm: 'sha256', value: '0'.repeat(64) } } } }) }) }),
      'tlog-invalid',
    ],
    [
      'a log entry naming another key',
      () => ({
        payload,
        annotations: sigstore.signLegacy(payload, keyless, {
          body: (b) => {
            const spec = b.spec as { signature: { content: string } };
            return { ...b, spec: { ...spec, signature: { content: spec.signature.content, publicKey: { content: Buffer.from(sigstore.publicKeyPem('other')).toString('base64') } } } };
          },
        }),
      }),
      'tlog-invalid',
    ],
    ['a signature annotation that is not base64', () => ({ payload, annotations: { ...sigstore.signLegacy(payload, keyless), 'dev.cosignproject.cosign/signature': '!!not base64!!' } }), 'unsupported-format'],
    ['a Rekor bundle annotation that is not JSON', () => ({ payload, annotations: { ...sigstore.signLegacy(payload, keyless), 'dev.sigstore.cosign/bundle': '{"SignedEntryTimestamp":' } }), 'unsupported-format'],
    ['a certificate annotation that is not a certificate', () => ({ payload, annotations: { ...sigstore.signLegacy(payload, keyless), 'dev.sigstore.cosign/certificate': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' } }), 'unsupported-format'],
  ])('refuses %s', (_what, make, code) => {
    expect(checkLegacySignature(make(), keylessOnly)).toMatchObject({ ok: false, code });
  });

  it('refuses a key signature made with another key, and keyless ones when only a key is trusted', () => {
    const annotations = sigstore.signLegacy(payload, { kind: 'key', key: 'intruder', at });
    expect(checkLegacySignature({ payload, annotations }, { trustRoot, keys: [publisher], acceptKeyless: false })).toMatchObject({ ok: false, code: 'bad-signature' });
    expect(checkLegacySignature({ payload, annotations: sigstore.signLegacy(payload, keyless) }, { trustRoot, keys: [publisher], acceptKeyless: false })).toMatchObject({ ok: false, code: 'identity-mismatch' });
    expect(checkLegacySignature({ payload, annotations }, keylessOnly)).toMatchObject({ ok: false, code: 'identity-mismatch' });
  });
});

describe('checking one cosign 3 bundle', () => {
  const statement = TestSigstore.cosignStatement(`sha256:${'b'.repeat(64)}`);
  it('verifies keyless and keyed bundles with inclusion proofs', () => {
    expect(checkBundle(bundleFromJSON(sigstore.signBundle(statement, keyless) as SerializedBundle), undefined, keylessOnly)).toMatchObject({ ok: true, signer: { kind: 'keyless' } });
    const keyed = bundleFromJSON(sigstore.signBundle(statement, { kind: 'key', key: 'vespera', at }));
    expect(checkBundle(keyed, undefined, { trustRoot, keys: [publisher], acceptKeyless: false })).toMatchObject({ ok: true, signer: { kind: 'key' } });
  });

  it('refuses a bundle whose inclusion proof does not lead to the signed checkpoint', () => {
    const json = sigstore.signBundle(statement, keyless) as { verificationMaterial: { tlogEntries: Array<{ inclusionProof: { rootHash: string; checkpoint: { envelope: string } } }> } };
    const entry = json.verificationMaterial.tlogEntries[0];
    if (!entry) throw new Error('no tlog entry');
    entry.inclusionProof.checkpoint.envelope = entry.inclusionProof.checkpoint.envelope.replace(/\n[A-Za-z0-9+/=]{44}\n/, `\n${Buffer.alloc(32).toString('base64')}\n`);
    expect(checkBundle(bundleFromJSON(json as unknown as SerializedBundle), undefined, keylessOnly)).toMatchObject({ ok: false, code: 'tlog-invalid' });
  });
});
