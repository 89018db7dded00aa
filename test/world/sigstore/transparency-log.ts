// The test Sigstore's transparency log, shaped like Rekor v1: canonical entry bodies, a signed
// entry timestamp (SET) per entry, and RFC 6962 inclusion proofs under signed checkpoints.

import { createHash, sign, type KeyObject } from 'node:crypto';
import { ecKeyPair, spki } from './fulcio.ts';

/** RFC 8785-style canonical JSON for the plain values log entries hold. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface LogEntry {
  readonly logIndex: number;
  readonly integratedTime: number;
  /** base64 of the canonical body, as Rekor returns it. */
  readonly body: string;
  /** hex sha256 of the log's public key. */
  readonly logId: string;
  /** base64 DER ECDSA signature over the canonical {body, integratedTime, logID, logIndex}. */
  readonly signedEntryTimestamp: string;
}

export interface InclusionProof {
  readonly logIndex: string;
  readonly rootHash: string;
  readonly treeSize: string;
  readonly hashes: readonly string[];
  readonly checkpoint: { readonly envelope: string };
}

const leafHash = (data: Buffer): Buffer => createHash('sha256').update(Buffer.from([0])).update(data).digest();
const nodeHash = (l: Buffer, r: Buffer): Buffer => createHash('sha256').update(Buffer.from([1])).update(l).update(r).digest();

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function treeHash(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0] as Buffer;
  const k = largestPowerOfTwoBelow(leaves.length);
  return nodeHash(treeHash(leaves.slice(0, k)), treeHash(leaves.slice(k)));
}

/** RFC 6962 §2.1.1 audit path of leaf `m`, lowest level first. */
function auditPath(m: number, leaves: readonly Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  return m < k ? [...auditPath(m, leaves.slice(0, k)), treeHash(leaves.slice(k))] : [...auditPath(m - k, leaves.slice(k)), treeHash(leaves.slice(0, k))];
}

export class TestTransparencyLog {
  readonly keys: { privateKey: KeyObject; publicKey: KeyObject };
  readonly logIdBytes: Buffer;
  /** The host its checkpoints are signed as; trusted roots must name a base URL containing it. */
  readonly origin: string;
  readonly #leaves: Buffer[] = [];
  readonly #treeId = '1193050959916656506';

  constructor(origin: string, keys = ecKeyPair('P-256')) {
    this.origin = origin;
    this.keys = keys;
    this.logIdBytes = createHash('sha256').update(spki(keys.publicKey)).digest();
  }

  get logId(): string {
    return this.logIdBytes.toString('hex');
  }

  /** Appends an entry; `setKey` signs its SET instead of the log's key (a forged promise). */
  append(body: object, integratedTime: Date, setKey: KeyObject = this.keys.privateKey): LogEntry {
    const canonical = Buffer.from(canonicalJson(body));
    const logIndex = this.#leaves.length;
    this.#leaves.push(leafHash(canonical));
    const entry = {
      body: canonical.toString('base64'),
      integratedTime: Math.floor(integratedTime.getTime() / 1000),
      logID: this.logId,
      logIndex,
    };
    return {
      logIndex,
      integratedTime: entry.integratedTime,
      body: entry.body,
      logId: this.logId,
      signedEntryTimestamp: sign('sha256', Buffer.from(canonicalJson(entry)), setKey).toString('base64'),
    };
  }

  /** An inclusion proof of `entry` in the log as it is now, under a signed checkpoint. */
  prove(entry: LogEntry): InclusionProof {
    const size = this.#leaves.length;
    const root = treeHash(this.#leaves);
    const note = `${this.origin} - ${this.#treeId}\n${size}\n${root.toString('base64')}\n`;
    const signature = sign('sha256', Buffer.from(note), this.keys.privateKey);
    const hint = this.logIdBytes.subarray(0, 4);
    return {
      logIndex: String(entry.logIndex),
      rootHash: root.toString('base64'),
      treeSize: String(size),
      hashes: auditPath(entry.logIndex, this.#leaves).map((h) => h.toString('base64')),
      checkpoint: { envelope: `${note}\n\u2014 ${this.origin} ${Buffer.concat([hint, signature]).toString('base64')}\n` },
    };
  }
}
