// Progress of a running operation: the host's own transaction from the status snapshot, and the
// `operation.progress` steps a wizard follows. Announced politely, with a bar and the steps so far.

import type { ProgressEvent, TransactionView } from '../../preload/contract.ts';
import { Icon } from './icons.tsx';

function Bar({ percent, label }: { readonly percent: number | undefined; readonly label: string }) {
  // Without a percentage the bar is indeterminate, which a `value` attribute would cancel.
  return percent === undefined ? (
    <progress key="indeterminate" class="bar" aria-label={label} />
  ) : (
    <progress key="determinate" class="bar" max={100} value={Math.max(0, Math.min(100, percent))} aria-label={label} />
  );
}

export function TransactionBar({ transaction }: { readonly transaction: TransactionView }) {
  return (
    <div class="transaction" role="group" aria-label="Operation in progress">
      <p class="transaction-title">
        <Icon name="sync" class="spin" />
        <span>
          {transaction.title}
          {transaction.percent !== undefined && ` (${Math.round(transaction.percent)}%)`}
        </span>
      </p>
      <Bar percent={transaction.percent} label={transaction.title} />
      {transaction.message && <p class="small muted">{transaction.message}</p>}
      {!transaction.ownedByApp && (
        <p class="small muted">Started outside Vespera Updates (by the automatic update timer or a terminal).</p>
      )}
    </div>
  );
}

/** The distinct steps so far, in order, for the log under the bar. */
function stepsOf(events: readonly ProgressEvent[]): string[] {
  const steps: string[] = [];
  for (const event of events) if (steps.at(-1) !== event.step) steps.push(event.step);
  return steps;
}

export function OperationProgress({ events, label }: { readonly events: readonly ProgressEvent[]; readonly label: string }) {
  const last = events.at(-1);
  const steps = stepsOf(events);
  return (
    <div class="operation-progress">
      <p class="current-step" role="status">
        {last ? last.step : 'Starting…'}
        {last?.message ? `: ${last.message}` : ''}
        {last?.percent !== undefined ? ` (${Math.round(last.percent)}%)` : ''}
      </p>
      <Bar percent={last?.percent} label={label} />
      {steps.length > 0 && (
        <ol class="step-log" aria-label="Steps so far">
          {steps.map((step, index) => {
            const current = index === steps.length - 1;
            return (
              <li key={index} class={current ? 'step-current' : 'step-done'}>
                <Icon name={current ? 'sync' : 'check'} class={current ? 'spin' : ''} />
                <span>
                  {step}
                  <span class="visually-hidden">{current ? ' (in progress)' : ' (done)'}</span>
                </span>
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}
