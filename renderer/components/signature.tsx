// How a signature is shown: a badge (state in words and symbol), a summary (who signed, the Rekor
// entry, whether the OS can see it) for cards, and the full details for the update and wizards.

import type { SignatureView } from '../../preload/contract.ts';
import { formatDateTime, shortCommit } from '../format.ts';
import { SIGNATURE } from '../labels.ts';
import { Digest } from './copyable.tsx';
import { Icon } from './icons.tsx';

export function SignatureBadge({ signature }: { readonly signature: SignatureView }) {
  const look = SIGNATURE[signature.status];
  return (
    <span class={`badge tone-${look.tone}`} data-signature={signature.status}>
      <Icon name={look.icon} />
      {look.label}
    </span>
  );
}

/** `.github/workflows/build.yml@refs/heads/main` → `build.yml (branch main)`: the words people use. */
function workflowWords(workflow: string): string {
  const [path = workflow, ref] = workflow.split('@', 2);
  const file = path.slice(path.lastIndexOf('/') + 1);
  if (!ref) return file;
  const branch = /^refs\/heads\/(.+)$/.exec(ref);
  const tag = /^refs\/tags\/(.+)$/.exec(ref);
  return `${file} (${branch ? `branch ${branch[1]}` : tag ? `tag ${tag[1]}` : ref})`;
}

/** Who signed, in one phrase: "workflow build.yml (branch main) of github.com/o/r, commit …" or "the key …". */
export function signerPhrase(signer: NonNullable<SignatureView['signer']>): string {
  if (signer.kind === 'key') return `the key ${signer.identity}`;
  const where = signer.sourceRepository ? ` of ${signer.sourceRepository.replace(/^https:\/\//, '')}` : '';
  const what = signer.workflow ? `workflow ${workflowWords(signer.workflow)}${where}` : signer.identity;
  return signer.commit ? `${what}, commit ${shortCommit(signer.commit)}` : what;
}

function visibility(visibleToOs: boolean): string {
  return visibleToOs
    ? 'Yes, rpm-ostree can check it too.'
    : 'No: only a cosign 3 bundle exists, which rpm-ostree cannot read, so the OS cannot enforce it.';
}

function rekorEntry(log: NonNullable<SignatureView['transparencyLog']>): string {
  return `Rekor entry ${log.logIndex}, ${formatDateTime(log.integratedTime)}`;
}

/** The lines a deployment card shows under its badge; `reasonShown`: the failure's words are elsewhere on screen. */
export function SignatureSummary({ signature, reasonShown = false }: { readonly signature: SignatureView; readonly reasonShown?: boolean }) {
  return (
    <dl class="facts">
      {signature.signer && (
        <>
          <dt>Signed by</dt>
          <dd>{signerPhrase(signature.signer)}</dd>
        </>
      )}
      {signature.transparencyLog && (
        <>
          <dt>Transparency log</dt>
          <dd>{rekorEntry(signature.transparencyLog)}</dd>
        </>
      )}
      {signature.visibleToOs !== undefined && (
        <>
          <dt>Visible to the OS</dt>
          <dd>{visibility(signature.visibleToOs)}</dd>
        </>
      )}
      {signature.binding && (
        <>
          <dt>Tied to this image</dt>
          <dd class={signature.binding.bound ? undefined : 'failure-text'}>{signature.binding.description}</dd>
        </>
      )}
      {signature.failure && !reasonShown && (
        <>
          <dt>{signature.status === 'unchecked' ? 'Why it was not checked' : 'Why it failed'}</dt>
          <dd class="failure-text">{signature.failure.message}</dd>
        </>
      )}
      {signature.lastVerified && (
        <>
          <dt>Last verified</dt>
          <dd>
            <time dateTime={signature.lastVerified.checkedAt}>{formatDateTime(signature.lastVerified.checkedAt)}</time>, signed by {signature.lastVerified.signedBy}
          </dd>
        </>
      )}
    </dl>
  );
}

/** When a signature could not be checked now: when it last verified, and who signed it then. */
function LastVerified({ signature }: { readonly signature: SignatureView }) {
  if (!signature.lastVerified) return null;
  return (
    <p>
      It last verified on <time dateTime={signature.lastVerified.checkedAt}>{formatDateTime(signature.lastVerified.checkedAt)}</time>, signed by {signature.lastVerified.signedBy}.
    </p>
  );
}

/**
 * Everything the app knows about one signature, for the update details and the wizards. With
 * `reasonShown` the screen already gives the failure's words elsewhere, so only its code is added.
 */
export function SignatureDetails({ signature, reasonShown = false }: { readonly signature: SignatureView; readonly reasonShown?: boolean }) {
  const signer = signature.signer;
  return (
    <div class="signature-details">
      <SignatureBadge signature={signature} />
      {signature.failure && !reasonShown && (
        <div class={`callout tone-${signature.status === 'unchecked' ? 'warning' : 'critical'}`} role="note">
          <Icon name={signature.status === 'unchecked' ? 'plug' : 'error'} />
          <div>
            <p>{signature.failure.message}</p>
            <LastVerified signature={signature} />
            <p class="muted small">Error code: {signature.failure.code}</p>
          </div>
        </div>
      )}
      {signature.failure && reasonShown && (
        <>
          <LastVerified signature={signature} />
          <p class="muted small">Error code: {signature.failure.code}</p>
        </>
      )}
      <dl class="facts">
        {signature.expected && (
          <>
            <dt>Expected signer</dt>
            <dd>
              {signature.expected.description}
              {signature.expected.derived && <span class="muted"> (worked out from the image name)</span>}
            </dd>
          </>
        )}
        {signer && signer.kind === 'key' && (
          <>
            <dt>Signed with key</dt>
            <dd class="mono">{signer.identity}</dd>
          </>
        )}
        {signer && signer.kind === 'keyless' && (
          <>
            <dt>Certificate identity</dt>
            <dd class="mono">{signer.identity}</dd>
            {signer.sourceRepository && (
              <>
                <dt>Source repository</dt>
                <dd class="mono">{signer.sourceRepository}</dd>
              </>
            )}
            {signer.workflow && (
              <>
                <dt>Workflow</dt>
                <dd class="mono">{signer.workflow}</dd>
              </>
            )}
            {signer.commit && (
              <>
                <dt>Commit</dt>
                <dd class="mono">{signer.commit}</dd>
              </>
            )}
            {signer.issuer && (
              <>
                <dt>Issuer</dt>
                <dd class="mono">{signer.issuer}</dd>
              </>
            )}
          </>
        )}
        {signature.transparencyLog && (
          <>
            <dt>Transparency log</dt>
            <dd>{rekorEntry(signature.transparencyLog)}</dd>
          </>
        )}
        {signature.layout && (
          <>
            <dt>Stored as</dt>
            <dd>{signature.layout === 'legacy' ? 'A cosign signature tag (sha256-….sig)' : 'A cosign 3 Sigstore bundle (OCI referrer)'}</dd>
          </>
        )}
        {signature.visibleToOs !== undefined && (
          <>
            <dt>Visible to the OS</dt>
            <dd>{visibility(signature.visibleToOs)}</dd>
          </>
        )}
        {signature.digest && (
          <>
            <dt>Signed digest</dt>
            <dd>
              <Digest digest={signature.digest} full />
            </dd>
          </>
        )}
        {signature.checkedAt && (
          <>
            <dt>Checked</dt>
            <dd>
              <time dateTime={signature.checkedAt}>{formatDateTime(signature.checkedAt)}</time>
            </dd>
          </>
        )}
      </dl>
    </div>
  );
}
