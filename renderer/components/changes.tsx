// What an update or a rollback changes: where the build comes from as its signature vouches for it
// (commit, comparison, build run), and the packages rpm-ostree reports, headline packages first.

import { useId, useState } from 'preact/hooks';
import type { ChangesView, PackageChange, PackageChangesView, SourceChangeView } from '../../preload/contract.ts';
import { formatBytes } from '../format.ts';
import { Icon } from './icons.tsx';

/** Rows shown before "Show all": enough for a normal update, short enough for the tray popover. */
const FIRST_ROWS = 40;

const CHANGE_WORDS: Record<PackageChange['change'], string> = {
  upgraded: 'upgraded',
  downgraded: 'downgraded',
  added: 'new',
  removed: 'removed',
};

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `github.com`: where a link goes, said before anyone follows it. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

type Level = 2 | 3;

function Heading({ level, id, children }: { readonly level: Level; readonly id: string; readonly children: string }) {
  const Tag = level === 2 ? 'h2' : 'h3';
  return (
    <Tag id={id} class="card-title">
      {children}
    </Tag>
  );
}

function SourceSection({ source, headingId, level }: { readonly source: SourceChangeView; readonly headingId: string; readonly level: Level }) {
  const known = source.status === 'known';
  return (
    <section class="card" aria-labelledby={headingId} data-source={source.status}>
      <Heading level={level} id={headingId}>
        Where it comes from
      </Heading>
      {known ? (
        <>
          <p class="source-summary">
            <strong>{sentence(source.summary)}</strong>
          </p>
          {(source.compareUrl ?? source.runUrl) && (
            <ul class="links">
              {source.compareUrl && (
                <li>
                  <a href={source.compareUrl} target="_blank" rel="noreferrer noopener">
                    Compare the two commits on {hostOf(source.compareUrl)}
                  </a>
                </li>
              )}
              {source.runUrl && (
                <li>
                  <a href={source.runUrl} target="_blank" rel="noreferrer noopener">
                    The build run that made it, on {hostOf(source.runUrl)}
                  </a>
                </li>
              )}
            </ul>
          )}
          {source.repository && (
            <dl class="facts">
              <dt>Repository</dt>
              <dd class="mono">{source.repository}</dd>
              {source.commit && (
                <>
                  <dt>Commit</dt>
                  <dd class="mono">{source.commit}</dd>
                </>
              )}
              {source.runningCommit && source.runningCommit !== source.commit && (
                <>
                  <dt>Running now</dt>
                  <dd class="mono">{source.runningCommit}</dd>
                </>
              )}
            </dl>
          )}
          <p class="muted small">{source.message}</p>
        </>
      ) : (
        <div class={`callout tone-${source.status === 'unverified' ? 'critical' : source.status === 'checking' || source.status === 'unchecked' ? 'neutral' : 'warning'}`} role="note">
          <Icon name={source.status === 'unverified' ? 'error' : 'info'} />
          <div>
            <p>
              <strong>{sentence(source.summary)}.</strong>
            </p>
            <p>{source.message}</p>
          </div>
        </div>
      )}
    </section>
  );
}

function versionText(side: PackageChange['from']): string {
  return side ? side.evr : '';
}

function Row({ change }: { readonly change: PackageChange }) {
  const archMoved = change.from && change.to && change.from.arch !== change.to.arch;
  return (
    <tr data-package={change.name}>
      <th scope="row">
        <span class="mono">{change.name}</span> <span class={`change-kind change-${change.change}`}>{CHANGE_WORDS[change.change]}</span>
      </th>
      <td class="mono">{change.from ? `${versionText(change.from)}${archMoved ? ` ${change.from.arch}` : ''}` : <span class="muted">not installed</span>}</td>
      <td class="mono">{change.to ? `${versionText(change.to)}${archMoved ? ` ${change.to.arch}` : ''}` : <span class="muted">removed</span>}</td>
    </tr>
  );
}

/** Rows grouped under their headline label; the rest under "Other packages". */
function groups(changes: readonly PackageChange[]): Array<{ label: string; rows: PackageChange[] }> {
  const out: Array<{ label: string; rows: PackageChange[] }> = [];
  for (const change of changes) {
    const label = change.headline ?? 'Other packages';
    const last = out.at(-1);
    if (last?.label === label) last.rows.push(change);
    else out.push({ label, rows: [change] });
  }
  return out;
}

function countsLine(counts: PackageChangesView['counts']): string {
  const parts = (['upgraded', 'downgraded', 'added', 'removed'] as const).filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${k}`);
  return parts.length > 0 ? parts.join(', ') : 'No packages change';
}

function PackageTable({ packages, columns }: { readonly packages: PackageChangesView; readonly columns: readonly [string, string] }) {
  const [all, setAll] = useState(false);
  const total = packages.changes.length;
  const shown = all ? packages.changes : packages.changes.slice(0, FIRST_ROWS);
  return (
    <>
      <div class="table-scroll package-list" tabIndex={0} role="region" aria-label="Package changes, scrollable">
        <table class="packages">
          <caption class="visually-hidden">Package changes: {countsLine(packages.counts)}</caption>
          <thead>
            <tr>
              <th scope="col">Package</th>
              <th scope="col">{columns[0]}</th>
              <th scope="col">{columns[1]}</th>
            </tr>
          </thead>
          {groups(shown).map((group) => (
            <tbody key={group.label} data-group={group.label}>
              <tr class="group-row">
                <th scope="rowgroup" colSpan={3}>
                  {group.label}
                </th>
              </tr>
              {group.rows.map((change) => (
                <Row key={`${change.name}.${change.to?.arch ?? change.from?.arch ?? ''}`} change={change} />
              ))}
            </tbody>
          ))}
        </table>
      </div>
      {total > shown.length && (
        <button type="button" class="button quiet show-all" onClick={() => setAll(true)}>
          Show all {total.toLocaleString()} package changes
        </button>
      )}
    </>
  );
}

function PackagesSection({
  packages,
  headingId,
  level,
  columns,
}: {
  readonly packages: PackageChangesView;
  readonly headingId: string;
  readonly level: Level;
  readonly columns: readonly [string, string];
}) {
  return (
    <section class="card" aria-labelledby={headingId} data-packages={packages.status} aria-busy={packages.status === 'loading' ? 'true' : undefined}>
      <Heading level={level} id={headingId}>
        Package changes
      </Heading>
      {packages.status === 'listed' && (
        <>
          <p>
            <strong>{countsLine(packages.counts)}</strong>
            {packages.changes.length > 0 && <span class="package-summary">: {packages.summary}</span>}
          </p>
          {packages.changes.length > 0 && <PackageTable packages={packages} columns={columns} />}
          <p class="muted small">As rpm-ostree reports them from the rpm databases of the two deployments on this computer.</p>
        </>
      )}
      {packages.status === 'loading' && <p role="status">{packages.message}</p>}
      {packages.status === 'not-staged' && (
        <>
          <p>{packages.message}</p>
          {packages.layers && (
            <dl class="facts">
              <dt>Download</dt>
              <dd>
                {packages.layers.new} of {packages.layers.total} layers ({formatBytes(packages.layers.newBytes)})
              </dd>
              {packages.layers.removed > 0 && (
                <>
                  <dt>No longer used</dt>
                  <dd>
                    {packages.layers.removed} {packages.layers.removed === 1 ? 'layer' : 'layers'}
                  </dd>
                </>
              )}
            </dl>
          )}
        </>
      )}
      {packages.status === 'unavailable' && (
        <div class="callout tone-warning" role="note">
          <Icon name="warning" />
          <p>{packages.message}</p>
        </div>
      )}
    </section>
  );
}

/** The source and the packages, as two cards; `columns` names the before and after columns. */
export function ChangesSections({
  changes,
  columns,
  headingLevel = 2,
}: {
  readonly changes: ChangesView;
  readonly columns: readonly [string, string];
  readonly headingLevel?: Level;
}) {
  const sourceHeading = useId();
  const packagesHeading = useId();
  return (
    <>
      <SourceSection source={changes.source} headingId={sourceHeading} level={headingLevel} />
      <PackagesSection packages={changes.packages} headingId={packagesHeading} level={headingLevel} columns={columns} />
    </>
  );
}
