// Following an rpm-ostree transaction for a person: its signals become ProgressEvents (a step name,
// the daemon's message, a percentage from the `[i/n]` layer counts) and its end the outcome.

import type { ProgressEvent } from '../../preload/contract.ts';
import type { Transaction, TransactionOutcome } from '../host/index.ts';

export type ProgressListener = (event: ProgressEvent) => void;

/** Relays a transaction's progress until it finishes and returns its outcome (which never rejects). */
export async function followTransaction(
  transaction: Transaction,
  operation: ProgressEvent['operation'],
  step: string,
  emit: ProgressListener,
): Promise<TransactionOutcome> {
  emit({ operation, step });
  const off = transaction.onEvent((event) => {
    switch (event.kind) {
      case 'message':
        emit({ operation, step, message: event.text });
        break;
      case 'task-begin':
        emit({
          operation,
          step,
          message: event.text,
          ...(event.step ? { percent: Math.min(99, Math.round(((event.step.index - 1) / event.step.total) * 100)) } : {}),
        });
        break;
      case 'percent':
        emit({ operation, step, message: event.text, percent: Math.min(100, Math.max(0, event.percent)) });
        break;
      case 'download':
        if (event.requested > 0) emit({ operation, step, percent: Math.min(99, Math.round((event.fetched / event.requested) * 100)) });
        break;
      default:
        break;
    }
  });
  try {
    return await transaction.done;
  } finally {
    off();
  }
}
