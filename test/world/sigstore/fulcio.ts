// The test Sigstore's certificate authority: a P-384 root and intermediate like Fulcio's, issuing
// 10-minute P-256 code-signing certificates with GitHub Actions extensions and an embedded SCT.

import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { bits, bool, explicit, implicit, integer, octets, oid, printable, seq, set, time, utf8 } from './der.ts';

export const OIDS = {
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
  organization: '2.5.4.10',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  sct: '1.3.6.1.4.1.11129.2.4.2',
  fulcio: '1.3.6.1.4.1.57264.1',
} as const;

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function ecKeyPair(curve: 'P-256' | 'P-384' = 'P-256'): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: curve === 'P-256' ? 'prime256v1' : 'secp384r1' });
}

export function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

export function toPem(der: Buffer, label: 'CERTIFICATE' | 'PUBLIC KEY'): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** What a Fulcio certificate says about the signer. */
export interface FulcioIdentity {
  /** The URI SAN. */
  readonly subject: string;
  readonly issuer: string;
  /** Extensions under 1.3.6.1.4.1.57264.1.N: N → value; N < 8 raw bytes, N ≥ 8 UTF8String. */
  readonly extensions: Readonly<Record<number, string>>;
}

/**
 * The workflow run that signs: GitHub's run id and attempt. Without one, a run id is derived from the
 * commit, so each build has its own run as on GitHub.
 */
export interface WorkflowRun {
  readonly id: string;
  readonly attempt: number;
}

export function runOfCommit(commit: string): WorkflowRun {
  return { id: String(10_000_000_000 + (Number.parseInt(commit.slice(0, 8), 16) % 9_000_000_000)), attempt: 1 };
}

/** The identity GitHub Actions gets from Fulcio for a workflow run. */
export function githubActionsIdentity(options: {
  repository: string;
  workflow: string;
  ref: string;
  issuer: string;
  commit: string;
  run?: WorkflowRun;
}): FulcioIdentity {
  const { repository, workflow, ref, issuer, commit } = options;
  const run = options.run ?? runOfCommit(commit);
  const subject = `${repository}/${workflow}@${ref}`;
  const ownerRepo = repository.replace(/^https:\/\/github\.com\//, '');
  const owner = ownerRepo.split('/')[0] ?? '';
  return {
    subject,
    issuer,
    extensions: {
      1: issuer,
      2: 'push',
      3: commit,
      4: 'build',
      5: ownerRepo,
      6: ref,
      8: issuer,
      9: subject,
      10: commit,
      11: 'github-hosted',
      12: repository,
      13: commit,
      14: ref,
      15: String(100_000 + (createHash('sha256').update(ownerRepo).digest()[0] ?? 0)),
      16: `https://github.com/${owner}`,
      17: '4242',
      18: subject,
      19: commit,
      20: 'push',
      // Fulcio builds the Run Invocation URI from the token's server URL, repository, run_id and run_attempt.
      21: `${repository}/actions/runs/${run.id}/attempts/${run.attempt}`,
      22: 'public',
    },
  };
}

function name(organization: string, commonName: string): Buffer {
  return seq(set(seq(oid(OIDS.organization), printable(organization))), set(seq(oid(OIDS.commonName), printable(commonName))));
}

function extension(id: string, value: Buffer, critical = false): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

function keyId(key: KeyObject): Buffer {
  return createHash('sha1').update(spki(key)).digest();
}

interface CertificateSpec {
  readonly serial: bigint;
  readonly issuerName: Buffer;
  readonly subjectName: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: KeyObject;
  readonly extensions: readonly Buffer[];
  readonly signer: KeyObject;
}

function algorithm(signer: KeyObject): { id: string; hash: string } {
  return signer.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? { id: OIDS.ecdsaSha384, hash: 'sha384' } : { id: OIDS.ecdsaSha256, hash: 'sha256' };
}

function tbsCertificate(spec: CertificateSpec): Buffer {
  return seq(
    explicit(0, integer(2)),
    integer(spec.serial),
    seq(oid(algorithm(spec.signer).id)),
    spec.issuerName,
    seq(time(spec.notBefore), time(spec.notAfter)),
    spec.subjectName,
    spki(spec.publicKey),
    explicit(3, seq(...spec.extensions)),
  );
}

function signCertificate(tbs: Buffer, signer: KeyObject): Buffer {
  const alg = algorithm(signer);
  return seq(tbs, seq(oid(alg.id)), bits(sign(alg.hash, tbs, signer)));
}

let serialCounter = 1n;
function nextSerial(): bigint {
  serialCounter += 1n;
  return (BigInt(Date.now()) << 20n) + serialCounter;
}

/** A certificate transparency log that issues SCTs for precertificates. */
export class TestCtLog {
  readonly keys = ecKeyPair('P-256');
  readonly logId = createHash('sha256').update(spki(this.keys.publicKey)).digest();

  /** An RFC 6962 v1 SCT over `tbs` (the certificate without its SCT extension). */
  sct(tbs: Buffer, issuerKey: KeyObject, at: Date): Buffer {
    const timestamp = Buffer.alloc(8);
    timestamp.writeBigUInt64BE(BigInt(at.getTime()));
    const tbsLength = Buffer.alloc(3);
    tbsLength.writeUIntBE(tbs.length, 0, 3);
    const signed = Buffer.concat([
      Buffer.from([0, 0]), // v1, certificate_timestamp
      timestamp,
      Buffer.from([0, 1]), // precert_entry
      createHash('sha256').update(spki(issuerKey)).digest(),
      tbsLength,
      tbs,
      Buffer.from([0, 0]), // no extensions
    ]);
    const signature = sign('sha256', signed, this.keys.privateKey);
    const sigLength = Buffer.alloc(2);
    sigLength.writeUInt16BE(signature.length);
    return Buffer.concat([Buffer.from([0]), this.logId, timestamp, Buffer.from([0, 0, 4, 3]), sigLength, signature]);
  }
}

export interface LeafOptions {
  /** Default: 10 minutes, as Fulcio issues. */
  readonly lifetimeMs?: number;
  /** Leave out the code-signing extended key usage. */
  readonly withoutCodeSigning?: boolean;
  /** Leave out the SCT, or embed one from another CT log. */
  readonly sct?: 'embedded' | 'none' | TestCtLog;
}

export interface IssuedLeaf {
  readonly der: Buffer;
  readonly pem: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** A root and an intermediate; issues Fulcio-shaped leaves. */
export class TestFulcio {
  readonly root = ecKeyPair('P-384');
  readonly intermediate = ecKeyPair('P-384');
  readonly rootDer: Buffer;
  readonly intermediateDer: Buffer;
  readonly #rootName: Buffer;
  readonly #intermediateName: Buffer;
  readonly #ct: TestCtLog;

  constructor(options: { organization: string; validFrom: Date; ct: TestCtLog }) {
    this.#ct = options.ct;
    this.#rootName = name(options.organization, `${options.organization} root`);
    this.#intermediateName = name(options.organization, `${options.organization} intermediate`);
    const until = new Date(options.validFrom.getTime() + 20 * 365 * 86_400_000);
    this.rootDer = signCertificate(
      tbsCertificate({
        serial: nextSerial(),
        issuerName: this.#rootName,
        subjectName: this.#rootName,
        notBefore: options.validFrom,
        notAfter: until,
        publicKey: this.root.publicKey,
        signer: this.root.privateKey,
        extensions: [
          extension(OIDS.keyUsage, bits(Buffer.from([0x06]), 1), true),
          extension(OIDS.basicConstraints, seq(bool(true), integer(1)), true),
          extension(OIDS.subjectKeyId, octets(keyId(this.root.publicKey))),
        ],
      }),
      this.root.privateKey,
    );
    this.intermediateDer = signCertificate(
      tbsCertificate({
        serial: nextSerial(),
        issuerName: this.#rootName,
        subjectName: this.#intermediateName,
        notBefore: options.validFrom,
        notAfter: until,
        publicKey: this.intermediate.publicKey,
        signer: this.root.privateKey,
        extensions: [
          extension(OIDS.keyUsage, bits(Buffer.from([0x06]), 1), true),
          extension(OIDS.extKeyUsage, seq(oid(OIDS.codeSigning))),
          extension(OIDS.basicConstraints, seq(bool(true), integer(0)), true),
          extension(OIDS.subjectKeyId, octets(keyId(this.intermediate.publicKey))),
          extension(OIDS.authorityKeyId, seq(implicit(0, keyId(this.root.publicKey)))),
        ],
      }),
      this.root.privateKey,
    );
  }

  /** A leaf for `identity`, valid from `at` (Fulcio leaves have an empty subject). */
  issue(identity: FulcioIdentity, at: Date, options: LeafOptions = {}): IssuedLeaf {
    const keys = ecKeyPair('P-256');
    const fulcio = Object.entries(identity.extensions).map(([n, value]) =>
      extension(`${OIDS.fulcio}.${n}`, Number(n) >= 8 ? utf8(value) : Buffer.from(value, 'utf8')),
    );
    const extensions = [
      extension(OIDS.keyUsage, bits(Buffer.from([0x80]), 7), true),
      ...(options.withoutCodeSigning ? [] : [extension(OIDS.extKeyUsage, seq(oid(OIDS.codeSigning)))]),
      extension(OIDS.subjectKeyId, octets(keyId(keys.publicKey))),
      extension(OIDS.authorityKeyId, seq(implicit(0, keyId(this.intermediate.publicKey)))),
      extension(OIDS.subjectAltName, seq(implicit(6, Buffer.from(identity.subject, 'utf8'))), true),
      ...fulcio,
    ];
    const spec: CertificateSpec = {
      serial: nextSerial(),
      issuerName: this.#intermediateName,
      subjectName: seq(),
      notBefore: at,
      notAfter: new Date(at.getTime() + (options.lifetimeMs ?? 10 * 60_000)),
      publicKey: keys.publicKey,
      signer: this.intermediate.privateKey,
      extensions,
    };
    const sctLog = options.sct === undefined || options.sct === 'embedded' ? this.#ct : options.sct === 'none' ? undefined : options.sct;
    if (sctLog) {
      // The SCT signs the certificate as it is without the SCT extension, which goes last.
      const sct = sctLog.sct(tbsCertificate(spec), this.intermediate.publicKey, at);
      const list = Buffer.alloc(4);
      list.writeUInt16BE(sct.length + 2, 0);
      list.writeUInt16BE(sct.length, 2);
      const withSct = { ...spec, extensions: [...extensions, extension(OIDS.sct, octets(Buffer.concat([list, sct])))] };
      const der = signCertificate(tbsCertificate(withSct), this.intermediate.privateKey);
      return { der, pem: toPem(der, 'CERTIFICATE'), ...keys };
    }
    const der = signCertificate(tbsCertificate(spec), this.intermediate.privateKey);
    return { der, pem: toPem(der, 'CERTIFICATE'), ...keys };
  }
}
