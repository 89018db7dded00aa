// Publisher public keys for key-based (cosign --key) signatures: loaded from PEM files like
// cosign.pub, identified by base64(sha256(DER SPKI)) as cosign and sigstore-go hint them.

import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileLimited } from '../shared/bounded.ts';
import { TrustError } from './errors.ts';

export interface PublicKeyRef {
  readonly key: KeyObject;
  /** base64(sha256(SPKI DER)), the hint cosign puts in keyed bundles. */
  readonly hint: string;
  /** Where it came from, for messages and results: a path, or a caller's label. */
  readonly source: string;
}

const MAX_KEY_BYTES = 64 * 1024;

export function keyHint(key: KeyObject): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('base64');
}

/** A public key from PEM text (`-----BEGIN PUBLIC KEY-----`), or DER SPKI bytes. */
export function parsePublicKey(data: string | Buffer, source: string): PublicKeyRef {
  let key: KeyObject;
  try {
    const text = typeof data === 'string' ? data : data.toString('utf8');
    key = text.includes('-----BEGIN')
      ? createPublicKey({ key: text, format: 'pem' })
      : createPublicKey({ key: typeof data === 'string' ? Buffer.from(data, 'base64') : data, format: 'der', type: 'spki' });
  } catch (error) {
    throw new TrustError('invalid-input', `${source} is not a public key in PEM form (${(error as Error).message}); give the publisher's cosign.pub.`);
  }
  if (key.type !== 'public') throw new TrustError('invalid-input', `${source} is not a public key; give the publisher's cosign.pub, never a private key.`);
  const type = key.asymmetricKeyType;
  if (type !== 'ec' && type !== 'ed25519' && type !== 'rsa') {
    throw new TrustError('invalid-input', `${source} is a ${String(type)} key; cosign keys are ECDSA, Ed25519 or RSA.`);
  }
  return { key, hint: keyHint(key), source };
}

export async function loadPublicKey(path: string): Promise<PublicKeyRef> {
  let data: Buffer;
  try {
    data = await readFileLimited(path, MAX_KEY_BYTES);
  } catch (error) {
    throw new TrustError('invalid-input', `the key file ${path} could not be read (${(error as Error).message}); check the path.`);
  }
  return parsePublicKey(data, path);
}
