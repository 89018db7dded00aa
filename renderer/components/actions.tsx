// The buttons for what the user can do now (StatusSnapshot.actions, most useful first): views open
// directly, host changes run with their outcome shown, and restart or discard ask once in plain words.

import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type { ActionId, OperationOutcome } from '../../preload/contract.ts';
import { useApp, useOperation, type OperationCommand } from '../app-context.ts';
import { ACTION } from '../labels.ts';
import { Icon } from './icons.tsx';

type Confirmable = 'restart-now' | 'discard-staged';

const RUNS: Partial<Record<ActionId, OperationCommand>> = {
  'check-now': 'update.check',
  'stage-update': 'update.stage',
  'restart-now': 'update.restartNow',
  'discard-staged': 'update.discardStaged',
};

const OPENS = { migrate: 'migration', rollback: 'rollback', doctor: 'doctor', 'open-details': 'details' } as const;

const RUNNING_LABEL: Record<OperationCommand, string> = {
  'update.check': 'Checking…',
  'update.stage': 'Staging…',
  'update.restartNow': 'Restarting…',
  'update.discardStaged': 'Discarding…',
  'migration.run': 'Switching…',
  'rollback.run': 'Rolling back…',
  'host.reboot': 'Restarting…',
};

export function ActionBar({
  actions,
  label,
  compact = false,
}: {
  readonly actions: readonly ActionId[];
  readonly label: string;
  /** Small buttons, none primary: an action beside a notice rather than the view's main choice. */
  readonly compact?: boolean;
}) {
  const { go } = useApp();
  const operation = useOperation();
  const [confirming, setConfirming] = useState<Confirmable | null>(null);
  const opener = useRef<HTMLButtonElement | null>(null);

  if (actions.length === 0) return null;

  function choose(action: ActionId, button: HTMLButtonElement): void {
    if (action in OPENS) {
      go(OPENS[action as keyof typeof OPENS]);
    } else if (action === 'restart-now' || action === 'discard-staged') {
      opener.current = button;
      setConfirming(action);
    } else {
      const command = RUNS[action];
      if (command) void operation.run(command, null);
    }
  }

  function closeConfirm(): void {
    setConfirming(null);
    opener.current?.focus();
  }

  return (
    <div class="action-area">
      <div class="actions" role="group" aria-label={label}>
        {actions.map((action, index) => {
          const command = RUNS[action];
          const running = command !== undefined && operation.running === command;
          return (
            <button
              key={action}
              type="button"
              class={`button${compact ? ' small' : index === 0 ? ' primary' : ''}`}
              disabled={operation.running !== null}
              aria-expanded={action === 'restart-now' || action === 'discard-staged' ? confirming === action : undefined}
              onClick={(event) => choose(action, event.currentTarget)}
            >
              {running ? RUNNING_LABEL[command] : ACTION[action]}
            </button>
          );
        })}
      </div>
      {confirming && (
        <ConfirmPanel
          kind={confirming}
          busy={operation.running !== null}
          onCancel={closeConfirm}
          onConfirm={() => {
            const command = RUNS[confirming];
            if (command) void operation.run(command, null).then(() => setConfirming(null));
          }}
        />
      )}
      <OutcomeLine outcome={operation.outcome} />
    </div>
  );
}

/** The words of the last outcome, in a live region that exists before there is anything to say. */
export function OutcomeLine({ outcome }: { readonly outcome: OperationOutcome | null }) {
  return (
    <div class="outcome-line" aria-live="polite">
      {outcome && (
        <p class={`callout ${outcome.ok ? 'tone-good' : 'tone-critical'}`}>
          <Icon name={outcome.ok ? 'check' : 'error'} />
          <span>
            {outcome.message}
            {outcome.hostState && ` ${outcome.hostState}`}
          </span>
        </p>
      )}
    </div>
  );
}

function ConfirmPanel({
  kind,
  busy,
  onConfirm,
  onCancel,
}: {
  readonly kind: Confirmable;
  readonly busy: boolean;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
}) {
  const { snapshot } = useApp();
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const next = snapshot?.update?.version ?? snapshot?.deployments.find((d) => d.role === 'staged')?.version;
  const running = snapshot?.deployments.find((d) => d.role === 'booted')?.version;

  const text =
    kind === 'restart-now'
      ? {
          title: 'Restart the computer now?',
          body: `Open apps will close, so save your work first. The computer starts ${next ?? 'the staged update'} after the restart.`,
          confirm: 'Restart now',
        }
      : {
          title: 'Discard the staged update?',
          body: `The computer keeps running ${running ?? 'what it runs now'}. Vespera Updates offers the update again the next time it finds one.`,
          confirm: 'Discard',
        };

  return (
    <div
      class="confirm card"
      role="group"
      aria-labelledby={headingId}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          onCancel();
        }
      }}
    >
      <h3 id={headingId} ref={heading} tabIndex={-1} class="card-title">
        {text.title}
      </h3>
      <p>{text.body}</p>
      <div class="actions">
        <button type="button" class={`button ${kind === 'discard-staged' ? 'destructive' : 'primary'}`} disabled={busy} onClick={onConfirm}>
          {text.confirm}
        </button>
        <button type="button" class="button" disabled={busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
