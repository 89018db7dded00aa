// The frame both wizards share: the step flow (preview → confirm → apply → done) with Escape as
// "back" and focus on each step's heading, the step sections and buttons, and the outcome screen.

import type { ComponentChildren, RefObject } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type { CommandInput, OperationOutcome, ProgressEvent } from '../../preload/contract.ts';
import { useApp, useOperation, useProgress, type Loadable, type OperationCommand } from '../app-context.ts';
import { Icon } from './icons.tsx';
import { OperationProgress } from './progress.tsx';

export type WizardStep = 'preview' | 'confirm' | 'running' | 'outcome';

const STEP_NAMES: Record<WizardStep, string> = { preview: 'Preview', confirm: 'Confirm', running: 'Apply', outcome: 'Done' };
const ORDER: readonly WizardStep[] = ['preview', 'confirm', 'running', 'outcome'];

/** The wizard's h1 and where it is: Preview, Confirm, Apply, Done. */
export function WizardTitle({
  title,
  headingRef,
  step,
}: {
  readonly title: string;
  readonly headingRef: RefObject<HTMLHeadingElement | null>;
  readonly step: WizardStep;
}) {
  const at = ORDER.indexOf(step);
  return (
    <div class="view-title">
      <h1 ref={headingRef} tabIndex={-1}>
        {title}
      </h1>
      <ol class="wizard-steps" aria-label="Steps">
        {ORDER.map((name, index) => (
          <li key={name} class={index < at ? 'done' : index === at ? 'current' : ''} aria-current={index === at ? 'step' : undefined}>
            <span class="step-number" aria-hidden="true">
              {index + 1}
            </span>
            {STEP_NAMES[name]}
            {index < at && <span class="visually-hidden"> (done)</span>}
          </li>
        ))}
      </ol>
    </div>
  );
}

export interface WizardFlow {
  readonly step: WizardStep;
  readonly setStep: (step: WizardStep) => void;
  /** For the current step's h2. */
  readonly stepHeading: RefObject<HTMLHeadingElement | null>;
  /** Runs the wizard's operation: the progress step, then the outcome step. */
  readonly start: <C extends OperationCommand>(command: C, input: CommandInput<C>) => void;
  readonly progress: readonly ProgressEvent[];
  readonly outcome: OperationOutcome | null;
  /** After a failure: back to a fresh preview. */
  readonly backToPreview: () => void;
  /** Back to the status view, the wizard reset to its first step. */
  readonly close: () => void;
}

/**
 * A wizard's steps and its one operation. `onOpen` runs whenever the wizard becomes visible on its
 * first step, and on going back to it after a failure (to preview afresh); `onReset` when it closes.
 * Escape closes from preview or outcome, steps back from confirm, and does nothing while the
 * operation runs (it cannot be stopped halfway).
 */
export function useWizardFlow(
  active: boolean,
  operationKind: ProgressEvent['operation'],
  { onOpen, onReset = () => undefined }: { readonly onOpen: () => void; readonly onReset?: () => void },
): WizardFlow {
  const { go } = useApp();
  const [step, setStep] = useState<WizardStep>('preview');
  const operation = useOperation();
  const progress = useProgress(operationKind, active);
  const stepHeading = useStepFocus(active, step);
  const opened = useRef(onOpen);
  opened.current = onOpen;
  useEffect(() => {
    if (active && step === 'preview') opened.current();
    // Only becoming visible triggers a preview; later ones come from the wizard's own buttons.
  }, [active]);

  function close(): void {
    setStep('preview');
    operation.clear();
    onReset();
    go('status');
  }

  useEscape(active, () => {
    if (step === 'preview' || step === 'outcome') close();
    else if (step === 'confirm') setStep('preview');
  });

  return {
    step,
    setStep,
    stepHeading,
    start(command, input) {
      progress.reset();
      setStep('running');
      void operation.run(command, input).then(() => setStep('outcome'));
    },
    progress: progress.events,
    outcome: operation.outcome,
    backToPreview() {
      operation.clear();
      setStep('preview');
      opened.current();
    },
    close,
  };
}

/** The steps after confirming: progress while the operation runs, then its outcome. */
export function OperationSteps({
  flow,
  runningTitle,
  runningNote,
  successTitle,
  failureTitle,
}: {
  readonly flow: WizardFlow;
  readonly runningTitle: string;
  readonly runningNote: string;
  readonly successTitle: string;
  readonly failureTitle: string;
}) {
  if (flow.step === 'running') {
    return (
      <StepSection title={runningTitle} heading={flow.stepHeading} busy>
        <OperationProgress events={flow.progress} label={runningTitle} />
        <p class="small muted">{runningNote}</p>
      </StepSection>
    );
  }
  if (flow.step === 'outcome' && flow.outcome) {
    return (
      <OutcomePanel
        outcome={flow.outcome}
        heading={flow.stepHeading}
        successTitle={successTitle}
        failureTitle={failureTitle}
        onClose={flow.close}
        onBack={flow.backToPreview}
      />
    );
  }
  return null;
}

/** One step: a section named by its h2, which takes focus when the step opens. */
export function StepSection({
  title,
  heading,
  busy = false,
  children,
}: {
  readonly title: string;
  readonly heading: RefObject<HTMLHeadingElement | null>;
  readonly busy?: boolean;
  readonly children: ComponentChildren;
}) {
  const id = useId();
  return (
    <section aria-labelledby={id} aria-busy={busy}>
      <h2 id={id} ref={heading} tabIndex={-1}>
        {title}
      </h2>
      {children}
    </section>
  );
}

/** While a preview loads: what is happening, in a live line; if it failed: why, and Try again. */
export function PreviewState({
  result,
  loadingText,
  onRetry,
}: {
  readonly result: Loadable<unknown> | null;
  readonly loadingText: string;
  readonly onRetry: () => void;
}) {
  return (
    <>
      <p role="status" class="muted">
        {result?.state === 'loading' ? loadingText : ''}
      </p>
      {result?.state === 'failed' && (
        <div class="callout tone-critical" role="alert">
          <Icon name="error" />
          <div>
            <p>{result.message}</p>
            <button type="button" class="button small" onClick={onRetry}>
              Try again
            </button>
          </div>
        </div>
      )}
    </>
  );
}

/** The step's two buttons, kept in view at the bottom: go on (primary), and cancel or back. */
export function StepButtons({
  next,
  onNext,
  nextDisabled = false,
  back,
  onBack,
}: {
  readonly next: string;
  readonly onNext: () => void;
  readonly nextDisabled?: boolean;
  readonly back: 'Cancel' | 'Back';
  readonly onBack: () => void;
}) {
  return (
    <div class="actions wizard-nav">
      <button type="button" class="button primary" disabled={nextDisabled} onClick={onNext}>
        {next}
      </button>
      <button type="button" class="button" onClick={onBack}>
        {back === 'Back' && <Icon name="chevron-left" />}
        {back}
      </button>
    </div>
  );
}

/** Escape anywhere in the window, while the wizard is the visible view, goes one step back. */
function useEscape(active: boolean, onEscape: () => void): void {
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
function useStepFocus(active: boolean, step: string): RefObject<HTMLHeadingElement | null> {
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

function OutcomePanel({
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
