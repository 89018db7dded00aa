// The update details view: the pending, available or failed update — version, date, digest, size,
// what it changes (source and packages), the full signature — the failure in plain words with what
// to do, and restart / discard / stage.

import type { ActionId, UpdateView } from '../../preload/contract.ts';
import { ActionBar } from '../components/actions.tsx';
import { ChangesSections } from '../components/changes.tsx';
import { Digest } from '../components/copyable.tsx';
import { Icon } from '../components/icons.tsx';
import { SignatureDetails } from '../components/signature.tsx';
import { useApp } from '../app-context.ts';
import { formatBytes, formatDateTime } from '../format.ts';
import type { ViewProps } from './view-props.ts';

const STATE: Record<UpdateView['state'], { title: string; explanation: string }> = {
  ready: {
    title: 'Ready: restart to apply',
    explanation: 'This update is downloaded, its signature is verified, and it is staged. The computer starts it at the next restart.',
  },
  available: {
    title: 'Available to download',
    explanation: 'A newer image is published. Vespera Updates has checked its signature; staging downloads it and gets it ready for the next restart.',
  },
  unchecked: {
    title: 'Signature not checked yet',
    explanation: 'Vespera Updates could not check this update’s signature (see why below), so it does not count as signed. Nothing is wrong with it that Vespera Updates knows of; check again when the registry can be reached.',
  },
  failed: {
    title: 'Did not pass the signature check',
    explanation: 'Vespera Updates will not let the computer start this image.',
  },
};

/** The actions that belong on this view, in the order the snapshot gives them. */
const UPDATE_ACTIONS: readonly ActionId[] = ['restart-now', 'stage-update', 'discard-staged', 'check-now'];

export function UpdateDetailsView({ headingRef }: ViewProps) {
  const { snapshot } = useApp();
  const update = snapshot?.update;
  const actions = (snapshot?.actions ?? []).filter((action) => UPDATE_ACTIONS.includes(action));
  const staged = snapshot?.deployments.find((deployment) => deployment.role === 'staged');

  // The action bar keeps its place whether or not an update is shown, so the outcome of discarding
  // the update stays on screen after the update itself is gone.
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Update details
      </h1>
      {update ? (
        <UpdateSummary update={update} heldUntilRestart={staged?.finalizationLocked === true} />
      ) : (
        <p>
          No update is waiting.
          {snapshot?.checkedAt && (
            <>
              {' '}
              Vespera Updates last checked <time dateTime={snapshot.checkedAt}>{formatDateTime(snapshot.checkedAt)}</time>.
            </>
          )}
        </p>
      )}
      <ActionBar actions={actions} label="Update actions" />
      {update?.changes && <ChangesSections changes={update.changes} columns={['Running now', 'After the update']} />}
      {update && (
        <section class="card" aria-labelledby="update-signature-heading">
          <h2 id="update-signature-heading" class="card-title">
            Signature
          </h2>
          <SignatureDetails signature={update.signature} reasonShown={update.state === 'failed' && update.signature.failure !== undefined} />
        </section>
      )}
    </>
  );
}

function UpdateSummary({ update, heldUntilRestart }: { readonly update: UpdateView; readonly heldUntilRestart: boolean }) {
  const state = STATE[update.state];
  return (
    <section class="card" aria-labelledby="update-heading" data-update={update.state}>
      <h2 id="update-heading" class={`card-title update-state tone-${update.state === 'failed' ? 'critical' : 'accent'}`}>
        <Icon name={update.state === 'failed' ? 'error' : 'arrow-up'} />
        {update.version ?? 'New image'}: {state.title}
      </h2>
      <p>{state.explanation}</p>
      {update.state === 'failed' && update.signature.failure && (
        <div class="callout tone-critical" role="note">
          <Icon name="warning" />
          <p>
            <strong>What went wrong and what to do: </strong>
            {update.signature.failure.message}
          </p>
        </div>
      )}
      {heldUntilRestart && update.state === 'ready' && (
        <p class="small">The OS holds this update until you choose Restart now here, so a restart by any other route starts the current version.</p>
      )}
      <dl class="facts">
        {update.version && (
          <>
            <dt>Version</dt>
            <dd>{update.version}</dd>
          </>
        )}
        {update.timestamp && (
          <>
            <dt>Built</dt>
            <dd>
              <time dateTime={update.timestamp}>{formatDateTime(update.timestamp)}</time>
            </dd>
          </>
        )}
        {update.imageReference && (
          <>
            <dt>Image</dt>
            <dd>
              <code class="mono reference">{update.imageReference}</code>
            </dd>
          </>
        )}
        <dt>Digest</dt>
        <dd>
          <Digest digest={update.digest} full />
        </dd>
        {update.download && (
          <>
            <dt>Download</dt>
            <dd>
              {formatBytes(update.download.bytes)} in {update.download.layers} {update.download.layers === 1 ? 'layer' : 'layers'}
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}
