// The stable failure codes of signature verification and the error value that carries one.
// Every failure the trust layer reports uses one of these codes and says what the user can do.

import { CodedError } from '../shared/errors.ts';

export const TRUST_FAILURE_CODES = [
  'no-signature',
  'digest-mismatch',
  'identity-mismatch',
  'issuer-mismatch',
  'ref-not-allowed',
  'repository-mismatch',
  'ambiguous-reference',
  'untrusted-chain',
  'bad-signature',
  'tlog-invalid',
  'cert-expired',
  'image-not-found',
  'registry-auth',
  'network',
  'unsupported-format',
  'invalid-input',
] as const;

export type TrustFailureCode = (typeof TRUST_FAILURE_CODES)[number];

export class TrustError extends CodedError<TrustFailureCode> {}

/**
 * Failures that say nothing about the image: the registry could not be reached or refused to show it,
 * the image is gone, or nobody said who must sign. They are "could not check", never evidence.
 */
export const UNCHECKED_CODES: readonly TrustFailureCode[] = ['network', 'registry-auth', 'image-not-found', 'invalid-input'];

/** The verdict a failure code stands for: `unchecked` (could not check) or `failed` (evidence of a problem). */
export function verdictOfCode(code: TrustFailureCode): 'unchecked' | 'failed' {
  return UNCHECKED_CODES.includes(code) ? 'unchecked' : 'failed';
}

export function isTrustFailureCode(value: unknown): value is TrustFailureCode {
  return typeof value === 'string' && (TRUST_FAILURE_CODES as readonly string[]).includes(value);
}
