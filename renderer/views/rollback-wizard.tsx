// The rollback wizard: what runs now against what the computer would go back to (versions, dates,
// references, digests, signatures checked again now, package changes), a staged update that must be
// discarded first, then confirm → progress → restart now or later.

import { useEffect, useId, useState } from 'preact/hooks';
import type { DeploymentView, RollbackPreview } from '../../preload/contract.ts';
import { latestValue, useApp, useOperation, useProgress, useQuery } from '../app-context.ts';
import { DeploymentCard } from '../components/deployment.tsx';
import { Icon } from '../components/icons.tsx';
import { OperationProgress } from '../components/progress.tsx';
import { OutcomePanel, WizardSteps, useEscape, useStepFocus, type WizardStep } from '../components/wizard.tsx';
import { formatDateTime } from '../format.ts';
import type { ViewProps } from './view-props.ts';

function versionOf(deployment: DeploymentView): string {
  return deployment.version ?? 'the previous version';
}

function PackageChanges({ changes }: { readonly changes: NonNullable<RollbackPreview['packageChanges']> }) {
  if (changes.length === 0) return <p class="muted">No package changes between the two.</p>;
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label="Package changes, scrollable">
      <table class="packages">
        <caption class="visually-hidden">Package changes when rolling back</caption>
        <thead>
          <tr>
            <th scope="col">Package</th>
            <th scope="col">Now</th>
            <th scope="col">After rolling back</th>
          </tr>
        </thead>
        <tbody>
          {changes.map((change) => (
            <tr key={change.name}>
              <th scope="row" class="mono">
                {change.name}
              </th>
              <td class="mono">{change.from ?? '(not installed)'}</td>
              <td class="mono">{change.to ?? '(removed)'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Whether the rollback can run, given the user's answer about a blocking staged update. */
function runnable(preview: RollbackPreview, discardStaged: boolean): boolean {
  if (!preview.target) return false;
  if (preview.blockedByStaged) return discardStaged;
  return preview.canRun;
}

function PreviewBody({
  preview,
  discardStaged,
  onDiscardChange,
}: {
  readonly preview: RollbackPreview;
  readonly discardStaged: boolean;
  readonly onDiscardChange: (discard: boolean) => void;
}) {
  const discardHint = useId();
  const staged = preview.blockedByStaged;
  return (
    <>
      {!preview.target && (
        <div class="callout tone-warning" role="note">
          <Icon name="info" />
          <p>{preview.blockedBy ?? 'There is no earlier deployment on this computer to roll back to.'}</p>
        </div>
      )}
      {preview.target && !preview.canRun && !staged && (
        <div class="callout tone-critical" role="note" data-blocked>
          <Icon name="error" />
          <p>
            <strong>The rollback cannot run: </strong>
            {preview.blockedBy ?? 'Vespera Updates found a problem with the rollback deployment.'}
          </p>
        </div>
      )}

      <div class="cards two">
        <DeploymentCard deployment={preview.booted} title="Running now" />
        {preview.target && <DeploymentCard deployment={preview.target} title="After rolling back" />}
      </div>
      {preview.target?.signature.checkedAt && (
        <p class="small">
          Vespera Updates checked the signature of the rollback image again at{' '}
          <time dateTime={preview.target.signature.checkedAt}>{formatDateTime(preview.target.signature.checkedAt)}</time>.
        </p>
      )}

      {staged && (
        <div class="callout tone-warning staged-block" role="group" aria-labelledby="rollback-staged-heading">
          <Icon name="warning" />
          <div>
            <h3 id="rollback-staged-heading" class="card-title">
              A staged update is in the way
            </h3>
            <p id={discardHint}>
              {versionOf(staged)}
              {staged.timestamp ? ` (built ${formatDateTime(staged.timestamp)})` : ''} is staged for the next restart. Rolling back
              needs it discarded first; Vespera Updates offers it again later.
            </p>
            <label class="choice">
              <input type="checkbox" checked={discardStaged} aria-describedby={discardHint} onChange={(event) => onDiscardChange(event.currentTarget.checked)} />
              <span>Discard the staged update {versionOf(staged)} first</span>
            </label>
          </div>
        </div>
      )}

      {preview.packageChanges && (
        <section class="card" aria-labelledby="rollback-packages-heading">
          <h3 id="rollback-packages-heading" class="card-title">
            Package changes
          </h3>
          <PackageChanges changes={preview.packageChanges} />
        </section>
      )}
    </>
  );
}

export function RollbackWizard({ headingRef, active }: ViewProps) {
  const { go } = useApp();
  const [step, setStep] = useState<WizardStep>('preview');
  const [discardStaged, setDiscardStaged] = useState(false);
  const preview = useQuery('rollback.preview');
  const operation = useOperation();
  const progress = useProgress('rollback', active);
  const stepHeading = useStepFocus(active, step);

  // Each opening previews afresh, with the signatures checked again now.
  useEffect(() => {
    if (active && step === 'preview') preview.load(null);
  }, [active]);

  const loaded = latestValue(preview.result);
  const loading = preview.result?.state === 'loading';

  function close(): void {
    setStep('preview');
    setDiscardStaged(false);
    operation.clear();
    go('status');
  }

  useEscape(active, () => {
    if (step === 'preview' || step === 'outcome') close();
    else if (step === 'confirm') setStep('preview');
  });

  function start(): void {
    progress.reset();
    setStep('running');
    void operation.run('rollback.run', { discardStaged: discardStaged && loaded?.blockedByStaged !== undefined }).then(() => setStep('outcome'));
  }

  return (
    <>
      <div class="view-title">
        <h1 ref={headingRef} tabIndex={-1}>
          Roll back
        </h1>
        <WizardSteps current={step} />
      </div>

      {step === 'preview' && (
        <section aria-labelledby="rollback-preview-heading" aria-busy={loading}>
          <h2 id="rollback-preview-heading" ref={stepHeading} tabIndex={-1}>
            Preview
          </h2>
          <p role="status" class="muted">
            {loading ? 'Reading both deployments and checking their signatures again…' : ''}
          </p>
          {preview.result?.state === 'failed' && (
            <div class="callout tone-critical" role="alert">
              <Icon name="error" />
              <div>
                <p>{preview.result.message}</p>
                <button type="button" class="button small" onClick={() => preview.load(null)}>
                  Try again
                </button>
              </div>
            </div>
          )}
          {loaded && <PreviewBody preview={loaded} discardStaged={discardStaged} onDiscardChange={setDiscardStaged} />}
          <div class="actions wizard-nav">
            <button type="button" class="button primary" disabled={loading || !loaded || !runnable(loaded, discardStaged)} onClick={() => setStep('confirm')}>
              Continue
            </button>
            <button type="button" class="button" onClick={close}>
              Cancel
            </button>
          </div>
        </section>
      )}

      {step === 'confirm' && loaded?.target && (
        <section aria-labelledby="rollback-confirm-heading">
          <h2 id="rollback-confirm-heading" ref={stepHeading} tabIndex={-1}>
            Confirm the rollback
          </h2>
          <p>
            After the next restart the computer starts <strong>{versionOf(loaded.target)}</strong>
            {loaded.target.timestamp ? ` (built ${formatDateTime(loaded.target.timestamp)})` : ''}. {versionOf(loaded.booted)}, which runs
            now, stays on the computer as the one to go back to.
          </p>
          {loaded.blockedByStaged && discardStaged && (
            <p>
              <strong>The staged update {versionOf(loaded.blockedByStaged)} is discarded first.</strong>
            </p>
          )}
          <div class="actions wizard-nav">
            <button type="button" class="button primary" onClick={start}>
              Roll back
            </button>
            <button type="button" class="button" onClick={() => setStep('preview')}>
              <Icon name="chevron-left" />
              Back
            </button>
          </div>
        </section>
      )}

      {step === 'running' && (
        <section aria-labelledby="rollback-running-heading" aria-busy="true">
          <h2 id="rollback-running-heading" ref={stepHeading} tabIndex={-1}>
            Rolling back
          </h2>
          <OperationProgress events={progress.events} label="Rolling back" />
        </section>
      )}

      {step === 'outcome' && operation.outcome && (
        <OutcomePanel
          outcome={operation.outcome}
          heading={stepHeading}
          successTitle="The rollback is staged"
          failureTitle="The rollback did not happen"
          onClose={close}
          onBack={() => {
            operation.clear();
            setStep('preview');
            preview.load(null);
          }}
        />
      )}
    </>
  );
}
