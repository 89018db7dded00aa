// The migration wizard: from an unverified image reference to a signature-enforced one. Preview
// (what changes, which mode and why, the verified target) → confirm → progress → restart now or later.

import { useEffect, useId, useState } from 'preact/hooks';
import type { MigrationOptions, MigrationPreview } from '../../preload/contract.ts';
import { latestValue, useQuery } from '../app-context.ts';
import { Digest } from '../components/copyable.tsx';
import { Icon } from '../components/icons.tsx';
import { SignatureDetails } from '../components/signature.tsx';
import { UnifiedDiff } from '../components/unified-diff.tsx';
import { OperationSteps, PreviewState, StepButtons, StepSection, WizardTitle, useWizardFlow } from '../components/wizard.tsx';
import { MODE_GUARANTEE, MODE_NAME } from '../labels.ts';
import type { ViewProps } from './view-props.ts';

type Choice<T extends string> = { readonly value: T; readonly label: string; readonly hint: string };

const MODES: readonly Choice<NonNullable<MigrationOptions['mode']>>[] = [
  { value: 'auto', label: 'Choose for me', hint: 'Key-enforced when the publisher also signs with a key, app-enforced otherwise.' },
  { value: 'key', label: 'Key-enforced', hint: "The OS checks the publisher's key on every update." },
  { value: 'app', label: 'App-enforced', hint: 'Vespera Updates checks the keyless signature before each update.' },
];

const SCOPES: readonly Choice<NonNullable<MigrationOptions['scope']>>[] = [
  { value: 'per-variant', label: 'Only this image', hint: 'The signature rule covers exactly the image this computer runs.' },
  { value: 'namespace', label: "All of this publisher's images", hint: 'One rule for every image under the same registry namespace.' },
];

const DEFAULT_POLICIES: readonly Choice<NonNullable<MigrationOptions['defaultPolicy']>>[] = [
  { value: 'reject', label: 'Refuse other images', hint: 'Images no rule covers are refused. The strictest choice.' },
  { value: 'keep', label: 'Keep the current default', hint: 'Other images are treated as they are today.' },
];

function ChoiceGroup<T extends string>({
  legend,
  name,
  choices,
  value,
  onChange,
}: {
  readonly legend: string;
  readonly name: string;
  readonly choices: readonly Choice<T>[];
  readonly value: T;
  readonly onChange: (value: T) => void;
}) {
  const id = useId();
  return (
    <fieldset class="choices">
      <legend>{legend}</legend>
      {choices.map((choice) => (
        <div key={choice.value} class="choice">
          <input
            id={`${id}-${choice.value}`}
            type="radio"
            name={name}
            value={choice.value}
            checked={value === choice.value}
            aria-describedby={`${id}-${choice.value}-hint`}
            onChange={() => onChange(choice.value)}
          />
          <span>
            <label for={`${id}-${choice.value}`}>{choice.label}</label>
            <span id={`${id}-${choice.value}-hint`} class="block small muted">
              {choice.hint}
            </span>
          </span>
        </div>
      ))}
    </fieldset>
  );
}

function withDefaults(options: MigrationOptions): Required<MigrationOptions> {
  return { mode: options.mode ?? 'auto', scope: options.scope ?? 'per-variant', defaultPolicy: options.defaultPolicy ?? 'reject' };
}

function OptionsForm({ initial, busy, onPreview }: { readonly initial: MigrationOptions; readonly busy: boolean; readonly onPreview: (options: MigrationOptions) => void }) {
  const [draft, setDraft] = useState(withDefaults(initial));
  useEffect(() => setDraft(withDefaults(initial)), [initial]);
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
      <ChoiceGroup legend="Rule covers" name="scope" choices={SCOPES} value={draft.scope} onChange={(scope) => setDraft({ ...draft, scope })} />
      <ChoiceGroup
        legend="Images no rule covers"
        name="defaultPolicy"
        choices={DEFAULT_POLICIES}
        value={draft.defaultPolicy}
        onChange={(defaultPolicy) => setDraft({ ...draft, defaultPolicy })}
      />
      <button type="submit" class="button" disabled={busy}>
        Preview again with these options
      </button>
    </form>
  );
}

function PreviewBody({ preview }: { readonly preview: MigrationPreview }) {
  return (
    <>
      <dl class="facts from-to">
        <dt>From</dt>
        <dd>
          <code class="mono reference">{preview.from}</code>
        </dd>
        <dt>To</dt>
        <dd>
          <code class="mono reference">{preview.to}</code>
        </dd>
      </dl>

      {!preview.canRun && (
        <div class="callout tone-critical" role="note" data-blocked>
          <Icon name="error" />
          <p>
            <strong>This switch cannot run: </strong>
            {preview.blockedBy ?? 'Vespera Updates found a problem with the target image.'}
          </p>
        </div>
      )}

      {preview.warnings.length > 0 && (
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

      <section class="card" aria-labelledby="migration-mode-heading">
        <h3 id="migration-mode-heading" class="card-title">
          <Icon name={preview.mode === 'key-enforced' ? 'shield-key' : 'shield-app'} />
          {MODE_NAME[preview.mode]}
        </h3>
        <p>
          <strong>Why this mode: </strong>
          {preview.modeReason}
        </p>
        <p>
          <strong>What it enforces: </strong>
          {MODE_GUARANTEE[preview.mode]}
        </p>
      </section>

      <section class="card" aria-labelledby="migration-target-heading">
        <h3 id="migration-target-heading" class="card-title">
          The image it switches to
        </h3>
        <dl class="facts">
          {preview.target.version && (
            <>
              <dt>Version</dt>
              <dd>{preview.target.version}</dd>
            </>
          )}
          <dt>Digest</dt>
          <dd>
            <Digest digest={preview.target.digest} full />
          </dd>
        </dl>
        <SignatureDetails signature={preview.target.signature} />
      </section>

      {preview.policyChanges.length > 0 && (
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

      {preview.steps.length > 0 && (
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
    </>
  );
}

export function MigrationWizard({ headingRef, active }: ViewProps) {
  const [options, setOptions] = useState<MigrationOptions>({});
  const preview = useQuery('migration.preview');
  const flow = useWizardFlow(active, 'migrate', { onOpen: () => preview.load(options) });
  const { step, setStep, stepHeading, close } = flow;

  const loaded = latestValue(preview.result);
  const loading = preview.result?.state === 'loading';

  return (
    <>
      <WizardTitle title="Switch to a signed image" headingRef={headingRef} step={step} />

      {step === 'preview' && (
        <StepSection title="Preview" heading={stepHeading} busy={loading}>
          <PreviewState result={preview.result} loadingText="Checking the target image and planning the switch…" onRetry={() => preview.load(options)} />
          {loaded && <PreviewBody preview={loaded} />}
          {loaded && (
            <OptionsForm
              initial={loaded.options}
              busy={loading}
              onPreview={(next) => {
                setOptions(next);
                preview.load(next);
              }}
            />
          )}
          <StepButtons next="Continue" nextDisabled={loading || !loaded?.canRun} onNext={() => setStep('confirm')} back="Cancel" onBack={close} />
        </StepSection>
      )}

      {step === 'confirm' && loaded && (
        <StepSection title="Confirm the switch" heading={stepHeading}>
          <p>
            Vespera Updates will {loaded.policyChanges.length > 0 ? `write ${loaded.policyChanges.length} ${loaded.policyChanges.length === 1 ? 'file' : 'files'} and ` : ''}
            switch this computer from <code class="mono reference">{loaded.from}</code> to <code class="mono reference">{loaded.to}</code>
            {loaded.target.version ? ` (${loaded.target.version})` : ''}.
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
