// The migration wizard: from an unverified image reference to a signature-enforced one. Preview
// (what changes, which mode and why, the verified target, the options main offers for this host, or
// only why it cannot run) → confirm → progress → restart now or later.

import { useEffect, useId, useState } from 'preact/hooks';
import type { MigrationChoice, MigrationOptions, MigrationPreview } from '../../preload/contract.ts';
import { latestValue, useQuery } from '../app-context.ts';
import { Digest } from '../components/copyable.tsx';
import { Icon } from '../components/icons.tsx';
import { SignatureDetails } from '../components/signature.tsx';
import { UnifiedDiff } from '../components/unified-diff.tsx';
import { OperationSteps, PreviewState, StepButtons, StepSection, WizardTitle, useWizardFlow } from '../components/wizard.tsx';
import { MODE_GUARANTEE, MODE_NAME } from '../labels.ts';
import { alreadySaid } from '../repetition.ts';
import type { ViewProps } from './view-props.ts';

/** Who enforces is the user's to pick on every host; main then previews whichever they picked. */
const MODES: readonly MigrationChoice<NonNullable<MigrationOptions['mode']>>[] = [
  { value: 'auto', label: 'Choose for me', hint: 'Key-enforced when the publisher also signs with a key, app-enforced otherwise.', available: true },
  { value: 'key', label: 'Key-enforced', hint: "The OS checks the publisher's key on every update.", available: true },
  { value: 'app', label: 'App-enforced', hint: 'Vespera Updates checks the keyless signature before each update.', available: true },
];

/**
 * Radio buttons for one option. A choice main marks unavailable stays in view, disabled, with main's
 * reason beside it, so the user learns why it is not offered instead of wondering where it went.
 */
function ChoiceGroup<T extends string>({
  legend,
  name,
  choices,
  value,
  onChange,
}: {
  readonly legend: string;
  readonly name: string;
  readonly choices: readonly MigrationChoice<T>[];
  readonly value: T | undefined;
  readonly onChange: (value: T) => void;
}) {
  const id = useId();
  return (
    <fieldset class="choices">
      <legend>{legend}</legend>
      {choices.map((choice) => {
        const described = [`${id}-${choice.value}-hint`, ...(choice.available ? [] : [`${id}-${choice.value}-why`])].join(' ');
        return (
          <div key={choice.value} class={`choice${choice.available ? '' : ' unavailable'}`} data-choice={choice.value}>
            <input
              id={`${id}-${choice.value}`}
              type="radio"
              name={name}
              value={choice.value}
              checked={value === choice.value}
              disabled={!choice.available}
              aria-describedby={described}
              onChange={() => onChange(choice.value)}
            />
            <span>
              <label for={`${id}-${choice.value}`}>{choice.label}</label>
              <span id={`${id}-${choice.value}-hint`} class="block small muted">
                {choice.hint}
              </span>
              {!choice.available && (
                <span id={`${id}-${choice.value}-why`} class="block small unavailable-reason">
                  {choice.unavailableReason ?? 'Not possible on this computer.'}
                </span>
              )}
            </span>
          </div>
        );
      })}
    </fieldset>
  );
}

/** Scope and default are offered only for a migration that can run: changing them unblocks nothing. */
function offeredChoices(preview: MigrationPreview): MigrationPreview['choices'] {
  return preview.canRun ? preview.choices : undefined;
}

/** What the form sends: the mode always; scope and default only where this preview offers them. */
function draftOf(preview: MigrationPreview): MigrationOptions {
  const pick = <T extends string>(current: T | undefined, choices: readonly MigrationChoice<T>[]): T | undefined =>
    choices.find((c) => c.value === current && c.available)?.value ?? choices.find((c) => c.available)?.value;
  const choices = offeredChoices(preview);
  const scope = choices && pick(preview.options.scope, choices.scope);
  const defaultPolicy = choices && pick(preview.options.defaultPolicy, choices.defaultPolicy);
  return { mode: preview.options.mode ?? 'auto', ...(scope ? { scope } : {}), ...(defaultPolicy ? { defaultPolicy } : {}) };
}

function OptionsForm({ preview, busy, onPreview }: { readonly preview: MigrationPreview; readonly busy: boolean; readonly onPreview: (options: MigrationOptions) => void }) {
  const [draft, setDraft] = useState(() => draftOf(preview));
  useEffect(() => setDraft(draftOf(preview)), [preview]);
  const choices = offeredChoices(preview);
  return (
    <form
      class="card options"
      aria-labelledby="migration-options-heading"
      onSubmit={(event) => {
        event.preventDefault();
        onPreview(draft);
      }}
    >
      <h3 id="migration-options-heading" class="card-title">
        Options
      </h3>
      <ChoiceGroup legend="Who enforces" name="mode" choices={MODES} value={draft.mode} onChange={(mode) => setDraft({ ...draft, mode })} />
      {choices && choices.scope.length > 0 && (
        <ChoiceGroup legend="Rule covers" name="scope" choices={choices.scope} value={draft.scope} onChange={(scope) => setDraft({ ...draft, scope })} />
      )}
      {choices && choices.defaultPolicy.length > 0 && (
        <ChoiceGroup
          legend="Images no rule covers"
          name="defaultPolicy"
          choices={choices.defaultPolicy}
          value={draft.defaultPolicy}
          onChange={(defaultPolicy) => setDraft({ ...draft, defaultPolicy })}
        />
      )}
      <button type="submit" class="button" disabled={busy}>
        Preview again with these options
      </button>
    </form>
  );
}

/** The target and where it leads, when the migration can run: both are there. */
function runnableTarget(preview: MigrationPreview): { readonly to: string; readonly target: NonNullable<MigrationPreview['target']> } | undefined {
  return preview.canRun && preview.to && preview.target?.digest ? { to: preview.to, target: preview.target } : undefined;
}

function PreviewBody({ preview }: { readonly preview: MigrationPreview }) {
  const runnable = runnableTarget(preview);
  const target = preview.target?.digest ? preview.target : undefined;
  const blockedReason = preview.blockedBy ?? 'Vespera Updates found a problem with the target image.';
  return (
    <div data-preview={runnable ? 'runnable' : 'blocked'}>
      <dl class="facts from-to">
        <dt>From</dt>
        <dd>
          <code class="mono reference">{preview.from}</code>
        </dd>
        {preview.to && preview.to !== preview.from && (
          <>
            <dt>To</dt>
            <dd>
              <code class="mono reference">{preview.to}</code>
            </dd>
          </>
        )}
      </dl>

      {!runnable && (
        <div class="callout tone-critical" role="note" data-blocked>
          <Icon name="error" />
          <p>
            <strong>This switch cannot run: </strong>
            {blockedReason}
          </p>
        </div>
      )}

      {runnable && preview.warnings.length > 0 && (
        <ul class="notices" aria-label="Warnings">
          {preview.warnings.map((warning) => (
            <li key={warning} class="callout tone-warning">
              <Icon name="warning" />
              <p>
                <strong>Warning: </strong>
                {warning}
              </p>
            </li>
          ))}
        </ul>
      )}

      {runnable && (
        <section class="card" aria-labelledby="migration-mode-heading">
          <h3 id="migration-mode-heading" class="card-title">
            <Icon name={preview.mode === 'key-enforced' ? 'shield-key' : 'shield-app'} />
            {MODE_NAME[preview.mode]}
          </h3>
          {preview.modeReason && (
            <p>
              <strong>Why this mode: </strong>
              {preview.modeReason}
            </p>
          )}
          <p>
            <strong>What it enforces: </strong>
            {MODE_GUARANTEE[preview.mode]}
          </p>
        </section>
      )}

      {target && (
        <section class="card" aria-labelledby="migration-target-heading">
          <h3 id="migration-target-heading" class="card-title">
            {runnable ? 'The image it switches to' : 'The image it would switch to'}
          </h3>
          <dl class="facts">
            {target.version && (
              <>
                <dt>Version</dt>
                <dd>{target.version}</dd>
              </>
            )}
            <dt>Digest</dt>
            <dd>
              <Digest digest={target.digest} full />
            </dd>
          </dl>
          <SignatureDetails signature={target.signature} reasonShown={!runnable && alreadySaid(target.signature.failure?.message, [blockedReason])} />
        </section>
      )}

      {runnable && preview.policyChanges.length > 0 && (
        <section class="card" aria-labelledby="migration-files-heading">
          <h3 id="migration-files-heading" class="card-title">
            Files it writes
          </h3>
          {preview.policyChanges.map((change) => (
            <div key={change.path} class="policy-change">
              <p>
                <code class="mono">{change.path}</code> <span class="tag">{change.action === 'create' ? 'New file' : 'Changed'}</span>
              </p>
              <UnifiedDiff diff={change.diff} label={`Changes to ${change.path}`} />
            </div>
          ))}
        </section>
      )}

      {runnable && preview.steps.length > 0 && (
        <section class="card" aria-labelledby="migration-steps-heading">
          <h3 id="migration-steps-heading" class="card-title">
            What happens, in order
          </h3>
          <ol class="plan-steps">
            {preview.steps.map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ol>
        </section>
      )}
    </div>
  );
}

export function MigrationWizard({ headingRef, active }: ViewProps) {
  const [options, setOptions] = useState<MigrationOptions>({});
  const preview = useQuery('migration.preview');
  const flow = useWizardFlow(active, 'migrate', { onOpen: () => preview.load(options) });
  const { step, setStep, stepHeading, close } = flow;

  const loaded = latestValue(preview.result);
  const loading = preview.result?.state === 'loading';
  const runnable = loaded && runnableTarget(loaded);

  return (
    <>
      <WizardTitle title="Switch to a signed image" headingRef={headingRef} step={step} />

      {step === 'preview' && (
        <StepSection title="Preview" heading={stepHeading} busy={loading}>
          <PreviewState result={preview.result} loadingText="Checking the target image and planning the switch…" onRetry={() => preview.load(options)} />
          {loaded && <PreviewBody preview={loaded} />}
          {loaded && (
            <OptionsForm
              preview={loaded}
              busy={loading}
              onPreview={(next) => {
                setOptions(next);
                preview.load(next);
              }}
            />
          )}
          <StepButtons next="Continue" nextDisabled={loading || !runnable} onNext={() => setStep('confirm')} back="Cancel" onBack={close} />
        </StepSection>
      )}

      {step === 'confirm' && loaded && runnable && (
        <StepSection title="Confirm the switch" heading={stepHeading}>
          <p>
            Vespera Updates will {loaded.policyChanges.length > 0 ? `write ${loaded.policyChanges.length} ${loaded.policyChanges.length === 1 ? 'file' : 'files'} and ` : ''}
            switch this computer from <code class="mono reference">{loaded.from}</code> to <code class="mono reference">{runnable.to}</code>
            {runnable.target.version ? ` (${runnable.target.version})` : ''}.
          </p>
          {loaded.policyChanges.length > 0 && (
            <ul class="file-list">
              {loaded.policyChanges.map((change) => (
                <li key={change.path}>
                  <code class="mono">{change.path}</code> ({change.action === 'create' ? 'new' : 'changed'})
                </li>
              ))}
            </ul>
          )}
          <p>
            <strong>From then on ({MODE_NAME[loaded.mode].toLowerCase()}): </strong>
            {MODE_GUARANTEE[loaded.mode]}
          </p>
          <p>The computer keeps running what it runs now until you restart it.</p>
          <StepButtons next="Switch to the signed image" onNext={() => flow.start('migration.run', { planId: loaded.planId })} back="Back" onBack={() => setStep('preview')} />
        </StepSection>
      )}

      <OperationSteps
        flow={flow}
        runningTitle="Switching to the signed image"
        runningNote="This cannot be cancelled halfway. You can keep working; nothing changes until you restart."
        successTitle="The signed image is staged"
        failureTitle="The switch did not happen"
      />
    </>
  );
}
