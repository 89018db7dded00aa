// The rollback wizard: what runs now against what the computer would go back to (versions, dates,
// references, digests, signatures checked again now, package changes), a staged update that must be
// discarded first, then confirm → progress → restart now or later.

import { useId, useState } from 'preact/hooks';
import type { DeploymentView, RollbackPreview } from '../../preload/contract.ts';
import { latestValue, useQuery } from '../app-context.ts';
import { ChangesSections } from '../components/changes.tsx';
import { DeploymentCard } from '../components/deployment.tsx';
import { Icon } from '../components/icons.tsx';
import { OperationSteps, PreviewState, StepButtons, StepSection, WizardTitle, useWizardFlow } from '../components/wizard.tsx';
import { formatDateTime } from '../format.ts';
import type { ViewProps } from './view-props.ts';

function versionOf(deployment: DeploymentView): string {
  return deployment.version ?? 'the previous version';
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

      {preview.changes && <ChangesSections changes={preview.changes} columns={['Now', 'After rolling back']} headingLevel={3} />}
    </>
  );
}

export function RollbackWizard({ headingRef, active }: ViewProps) {
  const [discardStaged, setDiscardStaged] = useState(false);
  const preview = useQuery('rollback.preview');
  // Each opening previews afresh, with the signatures checked again now.
  const flow = useWizardFlow(active, 'rollback', { onOpen: () => preview.load(null), onReset: () => setDiscardStaged(false) });
  const { step, setStep, stepHeading, close } = flow;

  const loaded = latestValue(preview.result);
  const loading = preview.result?.state === 'loading';

  return (
    <>
      <WizardTitle title="Roll back" headingRef={headingRef} step={step} />

      {step === 'preview' && (
        <StepSection title="Preview" heading={stepHeading} busy={loading}>
          <PreviewState result={preview.result} loadingText="Reading both deployments and checking their signatures again…" onRetry={() => preview.load(null)} />
          {loaded && <PreviewBody preview={loaded} discardStaged={discardStaged} onDiscardChange={setDiscardStaged} />}
          <StepButtons
            next="Continue"
            nextDisabled={loading || !loaded || !runnable(loaded, discardStaged)}
            onNext={() => setStep('confirm')}
            back="Cancel"
            onBack={close}
          />
        </StepSection>
      )}

      {step === 'confirm' && loaded?.target && (
        <StepSection title="Confirm the rollback" heading={stepHeading}>
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
          <StepButtons next="Roll back" onNext={() => flow.start('rollback.run', { discardStaged: discardStaged && loaded.blockedByStaged !== undefined })} back="Back" onBack={() => setStep('preview')} />
        </StepSection>
      )}

      <OperationSteps
        flow={flow}
        runningTitle="Rolling back"
        runningNote="This cannot be cancelled halfway. Nothing changes until you restart."
        successTitle="The rollback is staged"
        failureTitle="The rollback did not happen"
      />
    </>
  );
}
