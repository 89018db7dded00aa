// Who enforces signatures on this host, in the words main gives (EnforcementView): a one-line form
// for the header, shown on every view, and the full statement for the status view.

import type { EnforcementView } from '../../preload/contract.ts';
import { ENFORCEMENT_ICON } from '../labels.ts';
import { Icon } from './icons.tsx';

const TONE: Record<EnforcementView['mode'], string> = {
  'key-enforced': 'tone-good',
  'app-enforced': 'tone-good',
  none: 'tone-warning',
};

export function EnforcementLine({ enforcement }: { readonly enforcement: EnforcementView }) {
  return (
    <p class={`enforcement-line ${TONE[enforcement.mode]}`} data-enforcement={enforcement.mode}>
      <Icon name={ENFORCEMENT_ICON[enforcement.mode]} />
      <span>
        <span class="visually-hidden">Who enforces signatures: </span>
        {enforcement.summary}
      </span>
    </p>
  );
}

/** `detailShown`: the view already says the detail (the headline's explanation), so the section keeps to the summary. */
export function EnforcementSection({ enforcement, detailShown = false }: { readonly enforcement: EnforcementView; readonly detailShown?: boolean }) {
  return (
    <section class="card" aria-labelledby="enforcement-heading">
      <h2 id="enforcement-heading" class="card-title">
        Who enforces signatures
      </h2>
      <p class={`enforcement-summary ${TONE[enforcement.mode]}`}>
        <Icon name={ENFORCEMENT_ICON[enforcement.mode]} />
        <strong>{enforcement.summary}</strong>
      </p>
      {!detailShown && <p>{enforcement.detail}</p>}
      {enforcement.keyPath && (
        <p class="small">
          Key: <code class="mono">{enforcement.keyPath}</code>
        </p>
      )}
    </section>
  );
}
