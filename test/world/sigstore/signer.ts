// The test Sigstore: our own Fulcio-shaped CA, CT log and Rekor-shaped log, the trusted_root.json
// that trusts them, and cosign-format signatures of both layouts (and key pairs for key signing).

import { createHash, sign, type KeyObject } from 'node:crypto';
import type { Sha256Digest } from '../../../main/shared/image-reference.ts';
import { ecKeyPair, spki, TestCtLog, TestFulcio, toPem, type FulcioIdentity, type IssuedLeaf, type KeyPair, type LeafOptions } from './fulcio.ts';
import { TestTransparencyLog, type LogEntry } from './transparency-log.ts';

export const WORLD_REKOR = 'rekor.vespera-world.test';

export type TestSigner =
  | {
      readonly kind: 'keyless';
      readonly identity: FulcioIdentity;
      /** When the certificate is issued (and the signature made). */
      readonly at: Date;
      readonly leaf?: LeafOptions;
      /** Another CA (one the trusted root does not know) issues the certificate. */
      readonly fulcio?: TestFulcio;
    }
  | { readonly kind: 'key'; readonly key: string; readonly at: Date };

export interface LogOptions {
  /** Record the signature in the log (default true). */
  readonly tlog?: boolean;
  /** Sign the SET with this key instead of the log's. */
  readonly setKey?: KeyObject;
  /** Change the logged body before it is logged (a log entry for something else). */
  readonly body?: (body: Record<string, unknown>) => Record<string, unknown>;
  /** When the log saw it; default 5 s after the signature. */
  readonly integratedTime?: Date;
}

export interface CosignAnnotations {
  readonly [key: string]: string;
}

function dssePae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `), payload]);
}

const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export class TestSigstore {
  readonly validFrom: Date;
  readonly ct = new TestCtLog();
  readonly fulcio: TestFulcio;
  readonly rekor = new TestTransparencyLog(WORLD_REKOR);
  readonly #keys = new Map<string, KeyPair>();

  constructor(options: { validFrom?: Date } = {}) {
    this.validFrom = options.validFrom ?? new Date('2025-01-01T00:00:00Z');
    this.fulcio = new TestFulcio({ organization: 'vespera-world.test', validFrom: this.validFrom, ct: this.ct });
  }

  /** A CA nobody trusts, with the same names as the real one. */
  rogueFulcio(): TestFulcio {
    return new TestFulcio({ organization: 'vespera-world.test', validFrom: this.validFrom, ct: this.ct });
  }

  /** The trusted_root.json (Sigstore protobuf-specs JSON) that trusts this CA, CT log and log. */
  trustedRoot(): Record<string, unknown> {
    const start = this.validFrom.toISOString().replace(/\.000Z$/, 'Z');
    const log = (baseUrl: string, key: KeyObject, id: Buffer): Record<string, unknown> => ({
      baseUrl,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: spki(key).toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
      logId: { keyId: id.toString('base64') },
    });
    return {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [log(`https://${WORLD_REKOR}`, this.rekor.keys.publicKey, this.rekor.logIdBytes)],
      certificateAuthorities: [
        {
          subject: { organization: 'vespera-world.test', commonName: 'vespera-world.test' },
          uri: 'https://fulcio.vespera-world.test',
          certChain: { certificates: [{ rawBytes: this.fulcio.intermediateDer.toString('base64') }, { rawBytes: this.fulcio.rootDer.toString('base64') }] },
          validFor: { start },
        },
      ],
      ctlogs: [log('https://ctfe.vespera-world.test', this.ct.keys.publicKey, this.ct.logId)],
      timestampAuthorities: [],
    };
  }

  /** A named publisher key pair (cosign generate-key-pair), made once per world. */
  keyPair(name: string): KeyPair {
    let pair = this.#keys.get(name);
    if (!pair) {
      pair = ecKeyPair('P-256');
      this.#keys.set(name, pair);
    }
    return pair;
  }

  /** The public half as cosign writes cosign.pub. */
  publicKeyPem(name: string): string {
    return toPem(spki(this.keyPair(name).publicKey), 'PUBLIC KEY');
  }

  /** The simple-signing payload cosign signs for an image digest. */
  static simpleSigningPayload(dockerReference: string, digest: string, optional: Record<string, string> | null = null): Buffer {
    return Buffer.from(
      JSON.stringify({
        critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' },
        optional,
      }),
    );
  }

  /** The in-toto statement cosign 3 signs for an image digest. */
  static cosignStatement(digest: Sha256Digest, predicateType = 'https://sigstore.dev/cosign/sign/v1'): Buffer {
    return Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ digest: { sha256: digest.slice('sha256:'.length) }, annotations: {} }],
        predicateType,
      }),
    );
  }

  #signingKey(signer: TestSigner): { privateKey: KeyObject; publicPem: string; leaf?: IssuedLeaf } {
    if (signer.kind === 'key') {
      const pair = this.keyPair(signer.key);
      return { privateKey: pair.privateKey, publicPem: toPem(spki(pair.publicKey), 'PUBLIC KEY') };
    }
    const leaf = (signer.fulcio ?? this.fulcio).issue(signer.identity, signer.at, signer.leaf);
    return { privateKey: leaf.privateKey, publicPem: leaf.pem, leaf };
  }

  #log(body: Record<string, unknown>, at: Date, options: LogOptions): LogEntry | undefined {
    if (options.tlog === false) return undefined;
    const logged = options.body ? options.body(body) : body;
    return this.rekor.append(logged, options.integratedTime ?? new Date(at.getTime() + 5000), options.setKey);
  }

  /** The layer annotations `cosign sign` writes for `payload` (the legacy `.sig` layout). */
  signLegacy(payload: Buffer, signer: TestSigner, options: LogOptions = {}): CosignAnnotations {
    const { privateKey, publicPem, leaf } = this.#signingKey(signer);
    const signature = sign('sha256', payload, privateKey).toString('base64');
    const body = {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: sha256Hex(payload) } },
        signature: { content: signature, publicKey: { content: Buffer.from(publicPem).toString('base64') } },
      },
    };
    const entry = this.#log(body, signer.at, options);
    const fulcio = signer.kind === 'keyless' ? (signer.fulcio ?? this.fulcio) : undefined;
    return {
      'dev.cosignproject.cosign/signature': signature,
      ...(leaf && fulcio
        ? {
            'dev.sigstore.cosign/certificate': leaf.pem,
            'dev.sigstore.cosign/chain': toPem(fulcio.intermediateDer, 'CERTIFICATE') + toPem(fulcio.rootDer, 'CERTIFICATE'),
          }
        : {}),
      ...(entry
        ? {
            'dev.sigstore.cosign/bundle': JSON.stringify({
              SignedEntryTimestamp: entry.signedEntryTimestamp,
              Payload: { body: entry.body, integratedTime: entry.integratedTime, logIndex: entry.logIndex, logID: entry.logId },
            }),
          }
        : {}),
    };
  }

  /** A cosign 3 Sigstore bundle (v0.3, DSSE in-toto statement) for `statement`. */
  signBundle(statement: Buffer, signer: TestSigner, options: LogOptions = {}): Record<string, unknown> {
    const { privateKey, publicPem, leaf } = this.#signingKey(signer);
    const payloadType = 'application/vnd.in-toto+json';
    const signature = sign('sha256', dssePae(payloadType, statement), privateKey).toString('base64');
    const envelope = { payload: statement.toString('base64'), payloadType, signatures: [{ sig: signature, keyid: '' }] };
    const body = {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256Hex(JSON.stringify(envelope)) },
        payloadHash: { algorithm: 'sha256', value: sha256Hex(statement) },
        signatures: [{ signature, verifier: Buffer.from(publicPem).toString('base64') }],
      },
    };
    const entry = this.#log(body, signer.at, options);
    const material =
      signer.kind === 'key'
        ? { publicKey: { hint: createHash('sha256').update(spki(this.keyPair(signer.key).publicKey)).digest('base64') } }
        : { certificate: { rawBytes: (leaf as IssuedLeaf).der.toString('base64') } };
    return {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: {
        ...material,
        tlogEntries: entry
          ? [
              {
                logIndex: String(entry.logIndex),
                logId: { keyId: this.rekor.logIdBytes.toString('base64') },
                kindVersion: { kind: 'dsse', version: '0.0.1' },
                integratedTime: String(entry.integratedTime),
                inclusionPromise: { signedEntryTimestamp: entry.signedEntryTimestamp },
                inclusionProof: this.rekor.prove(entry),
                canonicalizedBody: entry.body,
              },
            ]
          : [],
      },
      dsseEnvelope: envelope,
    };
  }
}
