// The status view: the host's state in one plain sentence, what to do about it, notices, the
// booted / staged / rollback deployments with their signatures, and who enforces signatures. Each
// reason is said once on the screen.

import type { ActionId, DeploymentView, Notice, StatusSnapshot } from '../../preload/contract.ts';
import { ActionBar } from '../components/actions.tsx';
import { DeploymentCard } from '../components/deployment.tsx';
import { EnforcementSection } from '../components/enforcement.tsx';
import { Icon } from '../components/icons.tsx';
import { useApp } from '../app-context.ts';
import { formatDateTime } from '../format.ts';
import { HEALTH, NOTICE } from '../labels.ts';
import { alreadySaid } from '../repetition.ts';
import type { ViewProps } from './view-props.ts';

const ROLE_ORDER: Record<DeploymentView['role'], number> = { booted: 0, staged: 1, pending: 1, rollback: 2, other: 3 };

const AUTOMATIC_POLICY: Record<StatusSnapshot['automaticUpdatePolicy'], string> = {
  none: 'off',
  check: 'check only',
  stage: 'download and stage',
  apply: 'download, stage and restart',
  unknown: 'unknown',
};

/** A notice's own button appears only when the view's actions do not already offer the same thing. */
function NoticeItem({ notice, offered }: { readonly notice: Notice; readonly offered: readonly ActionId[] }) {
  const look = NOTICE[notice.severity];
  return (
    <li class={`callout tone-${look.tone}`} data-notice={notice.code}>
      <Icon name={look.icon} />
      <div>
        <p>
          <strong>{look.label}: </strong>
          {notice.message}
        </p>
        {notice.action && !offered.includes(notice.action) && <ActionBar actions={[notice.action]} label={`What to do: ${look.label}`} compact />}
      </div>
    </li>
  );
}

export function StatusView({ headingRef }: ViewProps) {
  const { snapshot } = useApp();
  if (!snapshot) {
    return (
      <h1 ref={headingRef} tabIndex={-1}>
        Reading the state of this computer…
      </h1>
    );
  }
  const look = HEALTH[snapshot.health];
  const deployments = [...snapshot.deployments].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role]);
  // Main may give one reason as the headline's detail, in a notice and in a deployment's signature:
  // each is said once, where it says most. A notice that repeats words already on screen and offers
  // nothing the actions do not is left out; the detail gives way to a notice that holds it.
  const { enforcement } = snapshot;
  const notices = snapshot.notices.filter(
    (notice) => !(alreadySaid(notice.message, [snapshot.detail, enforcement.summary, enforcement.detail]) && (!notice.action || snapshot.actions.includes(notice.action))),
  );
  const detail = alreadySaid(snapshot.detail, notices.map((notice) => notice.message)) ? undefined : snapshot.detail;
  const said = [detail, ...notices.map((notice) => notice.message)];
  return (
    <>
      <div class={`headline tone-${look.tone}`} data-health={snapshot.health}>
        <Icon name={look.icon} class={snapshot.health === 'checking' || snapshot.health === 'busy' ? 'spin' : ''} />
        <div>
          <p class="headline-state">{look.label}</p>
          <h1 ref={headingRef} tabIndex={-1}>
            {snapshot.headline}
          </h1>
          {detail && <p class="headline-detail">{detail}</p>}
        </div>
      </div>

      <ActionBar actions={snapshot.actions} label="What you can do" />

      {notices.length > 0 && (
        <section aria-labelledby="notices-heading">
          <h2 id="notices-heading" class="visually-hidden">
            Notices
          </h2>
          <ul class="notices">
            {notices.map((notice) => (
              <NoticeItem key={notice.code} notice={notice} offered={snapshot.actions} />
            ))}
          </ul>
        </section>
      )}

      <section aria-labelledby="deployments-heading">
        <h2 id="deployments-heading">On this computer</h2>
        {deployments.length === 0 ? (
          <p class="muted">No deployments to show: Vespera Updates cannot read them from rpm-ostree right now.</p>
        ) : (
          <div class="cards">
            {deployments.map((deployment) => (
              <DeploymentCard
                key={deployment.id}
                deployment={deployment}
                collapsed={!deployment.nextBoot && (deployment.role === 'rollback' || deployment.role === 'other')}
                reasonShown={alreadySaid(deployment.signature.failure?.message, said)}
              />
            ))}
          </div>
        )}
      </section>

      <EnforcementSection enforcement={enforcement} detailShown={alreadySaid(enforcement.detail, [detail])} />

      <p class="small muted footnote">
        {snapshot.checkedAt ? (
          <>
            Last checked <time dateTime={snapshot.checkedAt}>{formatDateTime(snapshot.checkedAt)}</time>.{' '}
          </>
        ) : (
          'Not checked for updates yet. '
        )}
        rpm-ostree’s own automatic updates: {AUTOMATIC_POLICY[snapshot.automaticUpdatePolicy]}.
      </p>
    </>
  );
}
