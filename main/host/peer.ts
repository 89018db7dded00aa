// A D-Bus peer-to-peer connection for rpm-ostreed's transaction socket. dbus-next's MessageBus always
// sends Hello (which a peer refuses, and dbus-next then rejects unhandled), so this drives its
// connection layer directly: SASL, marshalling and parsing are dbus-next's; no Hello, no AddMatch.

import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import dbus from 'dbus-next';
import { withTimeout } from '../shared/bounded.ts';

interface RawConnection extends EventEmitter {
  message(msg: dbus.Message): void;
  end(): void;
  readonly stream: EventEmitter & { destroy(): void };
}
type CreateConnection = (options: { busAddress: string }) => RawConnection;

const createConnection = createRequire(import.meta.url)('dbus-next/lib/connection.js') as CreateConnection;

const METHOD_RETURN = 2;
const ERROR = 3;
const SIGNAL = 4;

export class PeerError extends Error {
  override readonly name = 'PeerError';
  readonly dbusName: string | undefined;

  constructor(message: string, dbusName?: string) {
    super(message);
    this.dbusName = dbusName;
  }
}

export interface PeerSignal {
  readonly path: string;
  readonly iface: string;
  readonly member: string;
  readonly signature: string;
  readonly body: readonly unknown[];
}

/**
 * `unix:path=…` or `unix:abstract=…` (with D-Bus address escapes) → the socket name Node connects to.
 * Anything else is refused: the address comes from the daemon and only local sockets make sense.
 */
export function peerSocketPath(address: string): string {
  if (address.length > 1024) throw new PeerError('the transaction address is too long');
  const first = address.split(';')[0] ?? '';
  if (!first.startsWith('unix:')) throw new PeerError(`refusing a transaction address that is not a unix socket: ${first}`);
  const params = new Map<string, string>();
  for (const pair of first.slice('unix:'.length).split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    params.set(pair.slice(0, eq), unescapeAddress(pair.slice(eq + 1)));
  }
  const path = params.get('path');
  if (path !== undefined && path.startsWith('/')) return path;
  const abstract = params.get('abstract');
  if (abstract !== undefined && abstract.length > 0) return `\0${abstract}`;
  throw new PeerError(`the transaction address names no socket: ${first}`);
}

function unescapeAddress(value: string): string {
  return value.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export class PeerConnection {
  readonly #conn: RawConnection;
  readonly #pending = new Map<number, { resolve: (body: unknown[]) => void; reject: (error: Error) => void }>();
  readonly #signalListeners = new Set<(signal: PeerSignal) => void>();
  readonly #closeListeners = new Set<(reason: string) => void>();
  #serial = 1;
  #closed: string | undefined;

  private constructor(conn: RawConnection) {
    this.#conn = conn;
    conn.on('message', (msg: dbus.Message) => this.#onMessage(msg));
    conn.on('error', (error: unknown) => this.#shut(error instanceof Error ? error.message : String(error)));
    conn.on('end', () => this.#shut('the daemon closed the transaction connection'));
    conn.stream.on('close', () => this.#shut('the transaction connection closed'));
  }

  /** Connects and authenticates (EXTERNAL), within `timeoutMs`. */
  static async open(address: string, timeoutMs = 10_000): Promise<PeerConnection> {
    const socket = peerSocketPath(address);
    const conn = createConnection({ busAddress: `unix:socket=${socket}` });
    const peer = new PeerConnection(conn);
    const connected = new Promise<void>((resolve, reject) => {
      conn.once('connect', () => resolve());
      peer.onClose((reason) => reject(new PeerError(`could not connect to the transaction: ${reason}`)));
    });
    try {
      await withTimeout(connected, timeoutMs, 'the rpm-ostreed transaction socket');
    } catch (error) {
      peer.close();
      throw error;
    }
    return peer;
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  onSignal(listener: (signal: PeerSignal) => void): () => void {
    this.#signalListeners.add(listener);
    return () => this.#signalListeners.delete(listener);
  }

  /** Called once when the connection ends, for whatever reason (immediately if it already has). */
  onClose(listener: (reason: string) => void): () => void {
    if (this.#closed !== undefined) {
      listener(this.#closed);
      return () => {};
    }
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** A method call on the peer (no destination: there is no bus). Rejects with PeerError. */
  async call(path: string, iface: string, member: string, timeoutMs = 30_000): Promise<unknown[]> {
    if (this.#closed !== undefined) throw new PeerError(this.#closed);
    const serial = this.#serial++;
    const reply = new Promise<unknown[]>((resolve, reject) => this.#pending.set(serial, { resolve, reject }));
    this.#conn.message(new dbus.Message({ serial, path, interface: iface, member }));
    try {
      return await withTimeout(reply, timeoutMs, `rpm-ostreed (${member})`);
    } finally {
      this.#pending.delete(serial);
    }
  }

  close(): void {
    if (this.#closed === undefined) {
      try {
        this.#conn.end();
      } catch {
        // Already torn down.
      }
    }
    this.#shut('closed by this client');
    this.#conn.stream.destroy();
  }

  #onMessage(msg: dbus.Message): void {
    if (msg.type === METHOD_RETURN || msg.type === ERROR) {
      const serial = Number(msg.replySerial);
      const waiter = this.#pending.get(serial);
      if (!waiter) return;
      this.#pending.delete(serial);
      if (msg.type === ERROR) {
        const text = typeof msg.body[0] === 'string' ? msg.body[0] : '';
        waiter.reject(new PeerError(text || String(msg.errorName), msg.errorName));
      } else {
        waiter.resolve(msg.body as unknown[]);
      }
    } else if (msg.type === SIGNAL) {
      const signal: PeerSignal = {
        path: msg.path ?? '',
        iface: msg.interface ?? '',
        member: msg.member ?? '',
        signature: msg.signature ?? '',
        body: msg.body as unknown[],
      };
      for (const listener of this.#signalListeners) listener(signal);
    }
  }

  #shut(reason: string): void {
    if (this.#closed !== undefined) return;
    this.#closed = reason;
    for (const waiter of this.#pending.values()) waiter.reject(new PeerError(reason));
    this.#pending.clear();
    for (const listener of this.#closeListeners) listener(reason);
    this.#closeListeners.clear();
    this.#signalListeners.clear();
  }
}
