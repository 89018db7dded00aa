// A publisher's cosign public key as a file under /etc/pki/containers/: only a PEM "PUBLIC KEY" block
// of a signing key type cosign uses, normalised, with its fingerprint. Private keys are refused.

import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { CodedError } from '../shared/errors.ts';

export class PublicKeyError extends CodedError<'key-invalid' | 'key-name-invalid'> {}

export interface PublisherKey {
  /** The key as a canonical SPKI PEM text (what is written to disk). */
  readonly pem: string;
  /** SHA-256 of the DER SubjectPublicKeyInfo, hex: what people compare with the publisher's. */
  readonly fingerprint: string;
  /** `ECDSA P-256`, `RSA 4096`, `Ed25519`. */
  readonly algorithm: string;
}

export const MAX_KEY_CHARS = 16 * 1024;
const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** File names the app may create under /etc/pki/containers/. */
export const KEY_FILE_NAME = /^[a-z0-9][a-z0-9._-]{0,62}\.pub$/;

export function checkKeyFileName(name: string): string {
  if (!KEY_FILE_NAME.test(name) || name.includes('..')) {
    throw new PublicKeyError('key-name-invalid', `"${name}" is not a usable key file name: use lower-case letters, digits, ".", "_" and "-", ending in .pub (e.g. acme-vespera.pub).`);
  }
  return name;
}

/** Parses the text of a cosign public key file; refuses anything but one public key. */
export function parsePublisherKey(text: string, source: string): PublisherKey {
  const refuse = (why: string): never => {
    throw new PublicKeyError('key-invalid', `${source} ${why}. Use the publisher's cosign public key file (cosign.pub), which starts with -----BEGIN PUBLIC KEY-----.`);
  };
  if (text.length > MAX_KEY_CHARS) refuse(`is larger than ${MAX_KEY_CHARS} characters, far more than a public key`);
  const blocks = [...text.matchAll(BLOCK)];
  if (blocks.some((b) => b[1] !== 'PUBLIC KEY')) {
    const label = blocks.find((b) => b[1] !== 'PUBLIC KEY')?.[1] ?? '';
    refuse(label.includes('PRIVATE') ? 'holds a PRIVATE key, which must never be installed on hosts (keep it secret; share only the .pub file)' : `holds a "${label}" block, not a public key`);
  }
  if (blocks.length !== 1) refuse(blocks.length === 0 ? 'holds no PEM public key' : 'holds more than one key; install one key per file');
  const block = (blocks[0] as RegExpMatchArray)[0];
  let key: KeyObject;
  try {
    key = createPublicKey({ key: block, format: 'pem' });
  } catch {
    return refuse('holds a PEM block that is not a valid public key');
  }
  let algorithm: string;
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!curve) refuse(`uses the elliptic curve ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown'}, which cosign and containers/image do not use`);
    algorithm = `ECDSA ${curve}`;
  } else if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) refuse(`is an RSA key of ${bits} bits; at least 2048 are needed`);
    algorithm = `RSA ${bits}`;
  } else if (type === 'ed25519') {
    algorithm = 'Ed25519';
  } else {
    return refuse(`is a ${type ?? 'unknown'} key, not a signing key type cosign uses (ECDSA, RSA, Ed25519)`);
  }
  const der = key.export({ type: 'spki', format: 'der' });
  return {
    pem: key.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprint: createHash('sha256').update(der).digest('hex'),
    algorithm,
  };
}
