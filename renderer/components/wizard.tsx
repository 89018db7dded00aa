// The frame both wizards share: the step indicator (preview → confirm → apply → done), Escape as
// "back", focus moved to each step's heading, and the outcome screen with "restart now or later".

import type { RefObject } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';
import type { OperationOutcome } from '../../preload/contract.ts';
import { useApp, useOperation } from '../app-context.ts';
import { Icon } from './icons.tsx';

export type WizardStep = 'preview' | 'confirm' | 'running' | 'outcome';

const STEP_NAMES: Record<WizardStep, string> = { preview: 'Preview', confirm: 'Confirm', running: 'Apply', outcome: 'Done' };
const ORDER: readonly WizardStep[] = ['preview', 'confirm', 'running', 'outcome'];

export function WizardSteps({ current }: { readonly current: WizardStep }) {
  const at = ORDER.indexOf(current);
  return (
    <ol class="wizard-steps" aria-label="Steps">
      {ORDER.map((step, index) => (
        <li key={step} class={index < at ? 'done' : index === at ? 'current' : ''} aria-current={index === at ? 'step' : undefined}>
          <span class="step-number" aria-hidden="true">
            {index + 1}
          </span>
          {STEP_NAMES[step]}
          {index < at && <span class="visually-hidden"> (done)</span>}
        </li>
      ))}
    </ol>
  );
}

/** Escape anywhere in the window, while the wizard is the visible view, goes one step back. */
export function useEscape(active: boolean, onEscape: () => void): void {
  const latest = useRef(onEscape);
  latest.current = onEscape;
  useEffect(() => {
    if (!active) return undefined;
    const handle = (event: KeyboardEvent): void => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      event.preventDefault();
      latest.current();
    };
    document.addEventListener('keydown', handle);
    return () => document.removeEventListener('keydown', handle);
  }, [active]);
}

/** Moves focus to the step's heading whenever the step changes, so screen readers announce it. */
export function useStepFocus(active: boolean, step: string): RefObject<HTMLHeadingElement | null> {
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (active) heading.current?.focus();
  }, [active, step]);
  return heading;
}

export function OutcomePanel({
  outcome,
  heading,
  successTitle,
  failureTitle,
  onClose,
  onBack,
}: {
  readonly outcome: OperationOutcome;
  readonly heading: RefObject<HTMLHeadingElement | null>;
  readonly successTitle: string;
  readonly failureTitle: string;
  readonly onClose: () => void;
  readonly onBack: () => void;
}) {
  const { go } = useApp();
  const reboot = useOperation();
  const headingId = useId();
  if (outcome.ok) {
    const needsRestart = outcome.rebootRequired !== false;
    return (
      <section class="outcome" aria-labelledby={headingId}>
        <h2 id={headingId} ref={heading} tabIndex={-1} class="outcome-title tone-good">
          <Icon name="check" />
          {successTitle}
        </h2>
        <p role="status">{outcome.message}</p>
        {outcome.hostState && <p>{outcome.hostState}</p>}
        {needsRestart ? (
          <>
            <p>The change takes effect when the computer restarts. Until then it keeps running what it runs now.</p>
            <div class="actions">
              <button type="button" class="button primary" disabled={reboot.running !== null} onClick={() => void reboot.run('host.reboot', null)}>
                {reboot.running ? 'Restarting…' : 'Restart now'}
              </button>
              <button type="button" class="button" onClick={onClose}>
                Restart later
              </button>
            </div>
            <div aria-live="polite">{reboot.outcome && !reboot.outcome.ok && <p class="failure-text">{reboot.outcome.message}</p>}</div>
          </>
        ) : (
          <div class="actions">
            <button type="button" class="button primary" onClick={onClose}>
              Close
            </button>
          </div>
        )}
      </section>
    );
  }
  return (
    <section class="outcome" aria-labelledby={headingId}>
      <h2 id={headingId} ref={heading} tabIndex={-1} class="outcome-title tone-critical">
        <Icon name="error" />
        {failureTitle}
      </h2>
      <div class="callout tone-critical" role="alert">
        <Icon name="warning" />
        <div>
          <p>{outcome.message}</p>
          {outcome.code && <p class="small muted">Error code: {outcome.code}</p>}
        </div>
      </div>
      <p class="host-state">
        <strong>This computer: </strong>
        {outcome.hostState ??
          'Vespera Updates could not confirm what state the computer was left in. Run Diagnose problems before trying again.'}
      </p>
      <div class="actions">
        <button type="button" class="button primary" onClick={onBack}>
          Back to the preview
        </button>
        <button type="button" class="button" onClick={() => go('doctor')}>
          Diagnose problems
        </button>
        <button type="button" class="button quiet" onClick={onClose}>
          Close
        </button>
      </div>
    </section>
  );
}
