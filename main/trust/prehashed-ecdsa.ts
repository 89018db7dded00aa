// ECDSA verification of a signature over a digest that is already computed (P-256, P-384): Node's
// crypto only verifies over the message, and sigstore-conformance may hand over just `sha256:<hex>`.

import type { KeyObject } from 'node:crypto';

interface Curve {
  readonly p: bigint;
  readonly n: bigint;
  readonly b: bigint;
  readonly gx: bigint;
  readonly gy: bigint;
  readonly bits: number;
}

// NIST prime curves (FIPS 186-4, D.1.2); a = -3 for all of them.
const CURVES: Record<string, Curve> = {
  'P-256': {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
    gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
    bits: 256,
  },
  'P-384': {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
    gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
    bits: 384,
  },
};

type Jacobian = readonly [bigint, bigint, bigint];
const INFINITY: Jacobian = [1n, 1n, 0n];

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function invert(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS, m);
}

function double([x, y, z]: Jacobian, p: bigint): Jacobian {
  if (z === 0n || y === 0n) return INFINITY;
  const delta = mod(z * z, p);
  const gamma = mod(y * y, p);
  const beta = mod(x * gamma, p);
  const alpha = mod(3n * (x - delta) * (x + delta), p);
  const x3 = mod(alpha * alpha - 8n * beta, p);
  const z3 = mod((y + z) * (y + z) - gamma - delta, p);
  const y3 = mod(alpha * (4n * beta - x3) - 8n * gamma * gamma, p);
  return [x3, y3, z3];
}

function add(a: Jacobian, b: Jacobian, p: bigint): Jacobian {
  if (a[2] === 0n) return b;
  if (b[2] === 0n) return a;
  const [x1, y1, z1] = a;
  const [x2, y2, z2] = b;
  const z1z1 = mod(z1 * z1, p);
  const z2z2 = mod(z2 * z2, p);
  const u1 = mod(x1 * z2z2, p);
  const u2 = mod(x2 * z1z1, p);
  const s1 = mod(y1 * z2 * z2z2, p);
  const s2 = mod(y2 * z1 * z1z1, p);
  if (u1 === u2) return s1 === s2 ? double(a, p) : INFINITY;
  const h = mod(u2 - u1, p);
  const i = mod(4n * h * h, p);
  const j = mod(h * i, p);
  const r = mod(2n * (s2 - s1), p);
  const v = mod(u1 * i, p);
  const x3 = mod(r * r - j - 2n * v, p);
  const y3 = mod(r * (v - x3) - 2n * s1 * j, p);
  const z3 = mod(((z1 + z2) * (z1 + z2) - z1z1 - z2z2) * h, p);
  return [x3, y3, z3];
}

/** u1·G + u2·Q by Shamir's trick, returned in affine x (undefined at infinity). */
function combinedX(curve: Curve, u1: bigint, u2: bigint, q: Jacobian): bigint | undefined {
  const g: Jacobian = [curve.gx, curve.gy, 1n];
  const gq = add(g, q, curve.p);
  let acc = INFINITY;
  const bits = Math.max(u1.toString(2).length, u2.toString(2).length);
  for (let i = bits - 1; i >= 0; i--) {
    acc = double(acc, curve.p);
    const b1 = (u1 >> BigInt(i)) & 1n;
    const b2 = (u2 >> BigInt(i)) & 1n;
    if (b1 && b2) acc = add(acc, gq, curve.p);
    else if (b1) acc = add(acc, g, curve.p);
    else if (b2) acc = add(acc, q, curve.p);
  }
  if (acc[2] === 0n) return undefined;
  const zInv = invert(acc[2], curve.p);
  return mod(acc[0] * zInv * zInv, curve.p);
}

/** DER `SEQUENCE { INTEGER r, INTEGER s }`, strictly. */
function parseDerSignature(sig: Buffer): { r: bigint; s: bigint } | undefined {
  if (sig.length < 8 || sig[0] !== 0x30) return undefined;
  let offset = 2;
  if (sig[1] === 0x81) offset = 3;
  else if ((sig[1] ?? 0) & 0x80) return undefined;
  const seqLen = offset === 3 ? (sig[2] ?? 0) : (sig[1] ?? 0);
  if (offset + seqLen !== sig.length) return undefined;
  const ints: bigint[] = [];
  for (let k = 0; k < 2; k++) {
    if (sig[offset] !== 0x02) return undefined;
    const len = sig[offset + 1] ?? 0;
    if (len === 0 || len > 0x7f) return undefined;
    const bytes = sig.subarray(offset + 2, offset + 2 + len);
    if (bytes.length !== len || (bytes[0] ?? 0) & 0x80) return undefined;
    ints.push(BigInt(`0x${bytes.toString('hex')}`));
    offset += 2 + len;
  }
  if (offset !== sig.length) return undefined;
  return { r: ints[0] as bigint, s: ints[1] as bigint };
}

/** Verifies an ASN.1 ECDSA signature over `digest` with a P-256 or P-384 public key. */
export function verifyPrehashedEcdsa(key: KeyObject, digest: Buffer, signature: Buffer): boolean {
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ec' || digest.length === 0) return false;
  const jwk = key.export({ format: 'jwk' });
  const curve = jwk.crv ? CURVES[jwk.crv] : undefined;
  if (!curve || !jwk.x || !jwk.y) return false;
  const parsed = parseDerSignature(signature);
  if (!parsed) return false;
  const { r, s } = parsed;
  if (r <= 0n || r >= curve.n || s <= 0n || s >= curve.n) return false;
  const qx = BigInt(`0x${Buffer.from(jwk.x, 'base64url').toString('hex')}`);
  const qy = BigInt(`0x${Buffer.from(jwk.y, 'base64url').toString('hex')}`);
  // The point must be on the curve: y² = x³ − 3x + b.
  if (mod(qy * qy - (qx * qx * qx - 3n * qx + curve.b), curve.p) !== 0n) return false;
  let e = BigInt(`0x${digest.toString('hex')}`);
  const excess = digest.length * 8 - curve.bits;
  if (excess > 0) e >>= BigInt(excess);
  const w = invert(s, curve.n);
  const x = combinedX(curve, mod(e * w, curve.n), mod(r * w, curve.n), [qx, qy, 1n]);
  return x !== undefined && mod(x, curve.n) === r;
}
