import { describe, expect, it } from 'vitest';
import { EventStream } from '../../../main/host/event-stream.ts';
import { peerSocketPath } from '../../../main/host/peer.ts';
import { parseTransactionSignal, TRANSACTION_IFACE } from '../../../main/host/transaction.ts';

function signal(member: string, body: unknown[], overrides: { path?: string; iface?: string } = {}) {
  return { path: overrides.path ?? '/', iface: overrides.iface ?? TRANSACTION_IFACE, member, signature: '', body };
}

describe('transaction progress signals', () => {
  it('reads a layer fetch as a task with its step out of the total', () => {
    expect(parseTransactionSignal(signal('TaskBegin', ['[2/5] Fetching ostree chunk sha256:0123456789ab (1.2 MB)']))).toEqual({
      kind: 'task-begin',
      text: '[2/5] Fetching ostree chunk sha256:0123456789ab (1.2 MB)',
      step: { index: 2, total: 5 },
    });
    expect(parseTransactionSignal(signal('TaskBegin', ['Staging deployment']))).toEqual({ kind: 'task-begin', text: 'Staging deployment' });
  });

  it('reads messages, percentages, download counters and the end of a progress run', () => {
    expect(parseTransactionSignal(signal('Message', ['No upgrade available.']))).toEqual({ kind: 'message', text: 'No upgrade available.' });
    expect(parseTransactionSignal(signal('PercentProgress', ['Writing objects', 250]))).toEqual({ kind: 'percent', text: 'Writing objects', percent: 100 });
    expect(
      parseTransactionSignal(signal('DownloadProgress', [[1n, 2n], [0, 0], [0, 0, 0], [0, 0, 0, 0n], [3, 10], [4096n, 512n]])),
    ).toEqual({ kind: 'download', fetched: 3, requested: 10, bytesTransferred: 4096, bytesPerSecond: 512 });
    expect(parseTransactionSignal(signal('ProgressEnd', []))).toEqual({ kind: 'progress-end' });
  });

  it('reads Finished with its error text', () => {
    expect(parseTransactionSignal(signal('Finished', [false, 'No rollback deployment found']))).toEqual({
      kind: 'finished',
      success: false,
      message: 'No rollback deployment found',
    });
  });

  it('ignores other objects, other interfaces and malformed bodies', () => {
    expect(parseTransactionSignal(signal('Message', ['x'], { path: '/other' }))).toBeUndefined();
    expect(parseTransactionSignal(signal('Message', ['x'], { iface: 'org.example.Other' }))).toBeUndefined();
    expect(parseTransactionSignal(signal('Finished', ['yes', 5]))).toBeUndefined();
    expect(parseTransactionSignal(signal('Message', [42]))).toBeUndefined();
  });

  it('cuts an endless message down to size', () => {
    const event = parseTransactionSignal(signal('Message', ['x'.repeat(100_000)]));
    expect(event?.kind === 'message' && event.text.length).toBe(4096);
  });
});

describe('the transaction address', () => {
  it('accepts the unix socket addresses GDBus servers hand out', () => {
    expect(peerSocketPath('unix:path=/run/rpm-ostree-transaction.sock')).toBe('/run/rpm-ostree-transaction.sock');
    expect(peerSocketPath('unix:path=/tmp/with%20space/s,guid=0123')).toBe('/tmp/with space/s');
    expect(peerSocketPath('unix:abstract=/tmp/rpm-ostree/dbus-AbCd,guid=99')).toBe('\0/tmp/rpm-ostree/dbus-AbCd');
  });

  it('refuses addresses that are not a local socket', () => {
    expect(() => peerSocketPath('tcp:host=example.org,port=80')).toThrow(/not a unix socket/);
    expect(() => peerSocketPath('unix:path=relative/path')).toThrow(/names no socket/);
    expect(() => peerSocketPath(`unix:path=/${'a'.repeat(2000)}`)).toThrow(/too long/);
  });
});

describe('a replayable event stream', () => {
  it('gives a late reader every event from the start and ends when closed', async () => {
    const stream = new EventStream<number>();
    stream.push(1);
    stream.push(2);
    const seen: number[] = [];
    const reading = (async () => {
      for await (const n of stream) seen.push(n);
    })();
    stream.push(3);
    stream.close();
    await reading;
    expect(seen).toEqual([1, 2, 3]);
    const late: number[] = [];
    stream.subscribe((n) => late.push(n));
    expect(late).toEqual([1, 2, 3]);
  });

  it('keeps the first event and the newest ones when it overflows', async () => {
    const stream = new EventStream<number>(3);
    for (let i = 1; i <= 6; i++) stream.push(i);
    stream.close();
    const seen: number[] = [];
    for await (const n of stream) seen.push(n);
    expect(seen).toEqual([1, 5, 6]);
  });
});
