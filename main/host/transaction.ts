// Following one rpm-ostreed transaction over its peer-to-peer socket: typed progress events, Start,
// Cancel, and a final outcome that always arrives — Finished, the peer closing, or the daemon leaving.

import { describeError } from '../shared/errors.ts';
import { cancelled, daemonGone, errorFromFailure, HostError } from './errors.ts';
import { EventStream } from './event-stream.ts';
import type { Deployment, HostState } from './model.ts';
import { PeerConnection, type PeerSignal } from './peer.ts';

export const TRANSACTION_IFACE = 'org.projectatomic.rpmostree1.Transaction';

/** Which HostClient operation a transaction carries out. */
export type HostOperation = 'check' | 'stage' | 'deploy' | 'finalize' | 'rebase' | 'rollback' | 'cleanup' | 'follow';

export type TransactionEvent =
  | { readonly kind: 'message'; readonly text: string }
  /** `step` is parsed from rpm-ostree's `[i/n]` prefix (container layers have no byte progress). */
  | { readonly kind: 'task-begin'; readonly text: string; readonly step?: { readonly index: number; readonly total: number } }
  | { readonly kind: 'task-end'; readonly text: string }
  | { readonly kind: 'percent'; readonly text: string; readonly percent: number }
  | {
      readonly kind: 'download';
      readonly fetched: number;
      readonly requested: number;
      readonly bytesTransferred: number;
      readonly bytesPerSecond: number;
    }
  | { readonly kind: 'progress-end' }
  | { readonly kind: 'finished'; readonly success: boolean; readonly message: string };

export type TransactionOutcome =
  | {
      readonly ok: true;
      /** The Message lines (e.g. `No upgrade available.`). */
      readonly messages: readonly string[];
      /** Host state re-read after the transaction. */
      readonly state: HostState;
      /** Deployments that exist now and did not before (a newly staged one). */
      readonly created: readonly Deployment[];
    }
  | {
      readonly ok: false;
      readonly error: HostError;
      readonly messages: readonly string[];
      readonly state: HostState;
      readonly created: readonly Deployment[];
    };

export interface Transaction {
  readonly operation: HostOperation;
  /** The transaction's peer-to-peer address. */
  readonly address: string;
  /** False when this call joined or attached to work that was already running. */
  readonly started: boolean;
  /** Every event from the beginning, ending after `finished`. */
  readonly progress: AsyncIterable<TransactionEvent>;
  /** Replays past events to `listener`, then calls it for new ones; returns an unsubscribe function. */
  onEvent(listener: (event: TransactionEvent) => void): () => void;
  /** Resolves (never rejects) once the transaction is over, however it ended. */
  readonly done: Promise<TransactionOutcome>;
  /** Asks the daemon to cancel; the outcome then reports `cancelled` (or success if it was too late). */
  cancel(): Promise<void>;
}

/** What a transaction needs from the client that owns the bus connection. */
export interface TransactionHost {
  /** Re-reads the host state after Finished (the daemon reloads it before sending Finished). */
  settle(): Promise<HostState>;
  currentState(): HostState;
  /** Called when rpm-ostreed leaves the system bus. */
  onDaemonGone(listener: () => void): () => void;
  onChange(listener: (state: HostState) => void): () => void;
}

const MAX_TEXT = 4096;
const STEP = /^\[(\d+)\/(\d+)\]/;

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value.slice(0, MAX_TEXT) : undefined;
}

function count(value: unknown): number {
  const n = typeof value === 'bigint' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : 0;
}

/** A Transaction signal as a typed event; undefined for anything else or a malformed body. */
export function parseTransactionSignal(signal: PeerSignal): TransactionEvent | undefined {
  if (signal.iface !== TRANSACTION_IFACE || signal.path !== '/') return undefined;
  const [a, b] = signal.body;
  switch (signal.member) {
    case 'Message': {
      const t = text(a);
      return t === undefined ? undefined : { kind: 'message', text: t };
    }
    case 'TaskBegin': {
      const t = text(a);
      if (t === undefined) return undefined;
      const step = STEP.exec(t);
      const index = Number(step?.[1]);
      const total = Number(step?.[2]);
      return step && index >= 1 && index <= total ? { kind: 'task-begin', text: t, step: { index, total } } : { kind: 'task-begin', text: t };
    }
    case 'TaskEnd': {
      const t = text(a);
      return t === undefined ? undefined : { kind: 'task-end', text: t };
    }
    case 'PercentProgress': {
      const t = text(a);
      return t === undefined ? undefined : { kind: 'percent', text: t, percent: Math.min(100, count(b)) };
    }
    case 'DownloadProgress': {
      const content = signal.body[4];
      const transfer = signal.body[5];
      if (!Array.isArray(content) || !Array.isArray(transfer)) return undefined;
      return {
        kind: 'download',
        fetched: count(content[0]),
        requested: count(content[1]),
        bytesTransferred: count(transfer[0]),
        bytesPerSecond: count(transfer[1]),
      };
    }
    case 'ProgressEnd':
      return { kind: 'progress-end' };
    case 'Finished': {
      const message = text(b);
      return typeof a === 'boolean' && message !== undefined ? { kind: 'finished', success: a, message } : undefined;
    }
    default:
      return undefined;
  }
}

function outcome(ok: boolean, error: HostError | undefined, events: readonly TransactionEvent[], state: HostState, before: ReadonlySet<string>): TransactionOutcome {
  const messages = events.flatMap((e) => (e.kind === 'message' ? [e.text] : []));
  const created = state.deployments.filter((d) => !before.has(d.id));
  return ok || !error ? { ok: true, messages, state, created } : { ok: false, error, messages, state, created };
}

/** Connects to a transaction's socket, subscribes, and calls Start (which only attaches if it runs already). */
export async function attachTransaction(
  host: TransactionHost,
  address: string,
  operation: HostOperation,
  what: string,
): Promise<Transaction> {
  const before = new Set(host.currentState().deployments.map((d) => d.id));
  let peer: PeerConnection;
  try {
    peer = await PeerConnection.open(address);
  } catch (error) {
    if (host.currentState().daemon === 'gone') throw daemonGone(what, describeError(error));
    throw new HostError('unknown', `Could not follow the ${operation} transaction, so it was not started: ${describeError(error)}. Try again.`, describeError(error));
  }
  const events = new EventStream<TransactionEvent>();
  let settle: (value: TransactionOutcome) => void = () => {};
  const done = new Promise<TransactionOutcome>((resolve) => (settle = resolve));
  let ending = false;
  let cancelRequested = false;
  let stopWatchingDaemon: () => void = () => {};

  const end = (result: { success: true } | { success: false; error: HostError }, afterFinished: boolean): void => {
    if (ending) return;
    ending = true;
    stopWatchingDaemon();
    void (async () => {
      let state = host.currentState();
      if (afterFinished) {
        try {
          state = await host.settle();
        } catch {
          state = host.currentState();
        }
      }
      peer.close();
      events.close();
      settle(outcome(result.success, result.success ? undefined : result.error, events.events, state, before));
    })();
  };

  peer.onSignal((signal) => {
    const event = parseTransactionSignal(signal);
    if (!event || ending) return;
    events.push(event);
    if (event.kind !== 'finished') return;
    if (event.success) end({ success: true }, true);
    else end({ success: false, error: cancelRequested && /cancel/i.test(event.message) ? cancelled(what, event.message) : errorFromFailure(event.message, what) }, true);
  });
  peer.onClose((reason) => end({ success: false, error: daemonGone(what, reason) }, false));
  stopWatchingDaemon = host.onDaemonGone(() => end({ success: false, error: daemonGone(what, 'rpm-ostreed left the system bus') }, false));
  if (ending) stopWatchingDaemon();

  let started = false;
  try {
    const reply = await peer.call('/', TRANSACTION_IFACE, 'Start');
    started = reply[0] === true;
  } catch (error) {
    end({ success: false, error: daemonGone(what, describeError(error)) }, false);
  }

  return {
    operation,
    address,
    started,
    progress: events,
    onEvent: (listener) => events.subscribe(listener),
    done,
    async cancel() {
      if (ending || peer.closed) return;
      cancelRequested = true;
      try {
        await peer.call('/', TRANSACTION_IFACE, 'Cancel');
      } catch {
        // Finished or gone meanwhile; the outcome says which.
      }
    },
  };
}

/** Runs `first`, then (if it succeeded) the transaction `next` starts; one handle for both. */
export function chainTransactions(operation: HostOperation, first: Transaction, next: () => Promise<Transaction>): Transaction {
  const events = new EventStream<TransactionEvent>();
  let current = first;
  const forward = (tx: Transaction, last: boolean): (() => void) =>
    tx.onEvent((event) => {
      if (event.kind !== 'finished' || last || !event.success) events.push(event);
    });
  const done = (async (): Promise<TransactionOutcome> => {
    const unsubscribe = forward(first, false);
    const firstOutcome = await first.done;
    unsubscribe();
    if (!firstOutcome.ok) {
      events.close();
      return firstOutcome;
    }
    try {
      current = await next();
    } catch (error) {
      events.close();
      const hostError = error instanceof HostError ? error : new HostError('unknown', describeError(error));
      return { ...firstOutcome, ok: false, error: hostError };
    }
    forward(current, true);
    const last = await current.done;
    events.close();
    const created = [...firstOutcome.created, ...last.created].filter((d) => last.state.deployments.some((s) => s.id === d.id));
    return { ...last, messages: [...firstOutcome.messages, ...last.messages], created };
  })();
  return {
    operation,
    get address() {
      return current.address;
    },
    started: first.started,
    progress: events,
    onEvent: (listener) => events.subscribe(listener),
    done,
    cancel: () => current.cancel(),
  };
}

/**
 * A transaction this client may not connect to (newer rpm-ostree only admits its initiator's uid):
 * followed through ActiveTransaction instead, with no progress and success assumed when it clears.
 */
export function observeTransaction(host: TransactionHost, address: string): Transaction {
  const events = new EventStream<TransactionEvent>();
  const before = new Set(host.currentState().deployments.map((d) => d.id));
  const done = new Promise<TransactionOutcome>((resolve) => {
    const check = (state: HostState): void => {
      if (state.daemon === 'gone') {
        stop();
        events.close();
        resolve(outcome(false, daemonGone('finish the operation it was running'), [], state, before));
      } else if (state.activeTransaction?.address !== address) {
        stop();
        events.close();
        resolve(outcome(true, undefined, [], state, before));
      }
    };
    const stop = host.onChange(check);
    check(host.currentState());
  });
  return {
    operation: 'follow',
    address,
    started: false,
    progress: events,
    onEvent: (listener) => events.subscribe(listener),
    done,
    cancel: async () => {},
  };
}
