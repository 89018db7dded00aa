// One deployment as a card: its role in words (running now, next restart, rollback), version and
// build date, image reference and how the OS fetches it, digest, and its signature summary.

import { useId } from 'preact/hooks';
import type { DeploymentView, ImageTransport } from '../../preload/contract.ts';
import { formatDateTime } from '../format.ts';
import { ROLE } from '../labels.ts';
import { Digest } from './copyable.tsx';
import { SignatureBadge, SignatureSummary } from './signature.tsx';

const TRANSPORT: Record<ImageTransport, string> = {
  signed: 'Signed reference: the OS applies its signature policy to it.',
  unverified: 'Unverified reference: the OS does not check its signature.',
  'ostree-remote': 'An OSTree remote, not a container image.',
  ostree: 'A local OSTree commit.',
  other: 'An origin Vespera Updates does not recognise.',
};

export function DeploymentCard({
  deployment,
  title = ROLE[deployment.role],
  headingLevel = 3,
  collapsed = false,
  reasonShown = false,
}: {
  readonly deployment: DeploymentView;
  readonly title?: string;
  readonly headingLevel?: 2 | 3;
  /** Only the title, version and badge until opened: for deployments that matter less right now. */
  readonly collapsed?: boolean;
  /** The screen already says why its signature failed; the card shows only the badge for it. */
  readonly reasonShown?: boolean;
}) {
  const headingId = useId();
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  const header = (
    <span class="card-header">
      <Heading id={headingId} class="card-title">
        {title}
        {collapsed && deployment.version && <span class="muted card-title-extra">{deployment.version}</span>}
      </Heading>
      <SignatureBadge signature={deployment.signature} />
    </span>
  );
  const body = (
    <>
      <p class="version">
        <span class="version-number">{deployment.version ?? 'Unknown version'}</span>
        {deployment.timestamp && (
          <span class="muted">
            {' '}
            built <time dateTime={deployment.timestamp}>{formatDateTime(deployment.timestamp)}</time>
          </span>
        )}
      </p>
      {(deployment.pinned || deployment.finalizationLocked) && (
        <ul class="tags" aria-label="Flags">
          {deployment.pinned && <li class="tag">Pinned: kept until you unpin it</li>}
          {deployment.finalizationLocked && <li class="tag">Held: boots only when you choose Restart now</li>}
        </ul>
      )}
      <SignatureSummary signature={deployment.signature} reasonShown={reasonShown} />
      <dl class="facts">
        {deployment.imageReference && (
          <>
            <dt>Image</dt>
            <dd>
              <code class="mono reference">{deployment.imageReference}</code>
              <span class="muted small block">{TRANSPORT[deployment.transport]}</span>
            </dd>
          </>
        )}
        {deployment.digest && (
          <>
            <dt>Digest</dt>
            <dd>
              <Digest digest={deployment.digest} />
            </dd>
          </>
        )}
      </dl>
    </>
  );
  return (
    <article class="card deployment" aria-labelledby={headingId} data-role={deployment.role}>
      {collapsed ? (
        <details>
          <summary>{header}</summary>
          {body}
        </details>
      ) : (
        <>
          {header}
          {body}
        </>
      )}
    </article>
  );
}
