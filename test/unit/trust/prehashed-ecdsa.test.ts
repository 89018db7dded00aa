import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyPrehashedEcdsa } from '../../../main/trust/prehashed-ecdsa.ts';

describe('ECDSA over a digest computed elsewhere', () => {
  it.each([
    ['prime256v1', 'sha256'],
    ['secp384r1', 'sha384'],
    ['secp384r1', 'sha256'],
    ['prime256v1', 'sha512'],
  ] as const)('verifies %s signatures made over %s, and only for that digest and key', (curve, hash) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const other = generateKeyPairSync('ec', { namedCurve: curve }).publicKey;
    const data = Buffer.from(`artifact for ${curve}`);
    const signature = sign(hash, data, privateKey);
    const digest = createHash(hash).update(data).digest();
    expect(verifyPrehashedEcdsa(publicKey, digest, signature)).toBe(true);
    expect(verifyPrehashedEcdsa(publicKey, createHash(hash).update('other').digest(), signature)).toBe(false);
    expect(verifyPrehashedEcdsa(other, digest, signature)).toBe(false);
    const flipped = Buffer.from(signature);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
    expect(verifyPrehashedEcdsa(publicKey, digest, flipped)).toBe(false);
  });

  it('refuses malformed signatures and keys it does not handle', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const digest = createHash('sha256').update('x').digest();
    expect(verifyPrehashedEcdsa(publicKey, digest, Buffer.from('3006020100020100', 'hex'))).toBe(false);
    expect(verifyPrehashedEcdsa(publicKey, digest, Buffer.alloc(0))).toBe(false);
    expect(verifyPrehashedEcdsa(generateKeyPairSync('ed25519').publicKey, digest, Buffer.alloc(64))).toBe(false);
  });
});
