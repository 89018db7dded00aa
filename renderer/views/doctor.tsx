// The doctor: every check of what signed updates need on this host, passed / failed / skipped in
// words and symbols, with the evidence behind it and, for a failure, the exact fix to copy.

import { useEffect, useRef } from 'preact/hooks';
import type { DoctorCheck } from '../../preload/contract.ts';
import { latestValue, useQuery } from '../app-context.ts';
import { CommandLine } from '../components/copyable.tsx';
import { Icon } from '../components/icons.tsx';
import type { StateLook } from '../labels.ts';
import { formatDateTime } from '../format.ts';
import type { ViewProps } from './view-props.ts';

const RESULT: Record<DoctorCheck['status'], StateLook> = {
  pass: { label: 'Passed', icon: 'check', tone: 'good' },
  fail: { label: 'Failed', icon: 'error', tone: 'critical' },
  skip: { label: 'Skipped', icon: 'skip', tone: 'neutral' },
};

/** Failures first, otherwise in the order the doctor ran them. */
function ordered(checks: readonly DoctorCheck[]): DoctorCheck[] {
  return [...checks.filter((c) => c.status === 'fail'), ...checks.filter((c) => c.status !== 'fail')];
}

function CheckItem({ check }: { readonly check: DoctorCheck }) {
  const look = RESULT[check.status];
  const headingId = `check-${check.id}`;
  return (
    <li class={`card check tone-border-${look.tone}`} data-check={check.id} data-status={check.status}>
      <div class="card-header">
        <h2 id={headingId} class="card-title">
          {check.title}
        </h2>
        <span class={`badge tone-${look.tone}`}>
          <Icon name={look.icon} />
          {look.label}
        </span>
      </div>
      <p>{check.summary}</p>
      {check.fix && (
        <div class="fix">
          <p>
            <strong>How to fix it: </strong>
            {check.fix.text}
          </p>
          {check.fix.command && <CommandLine command={check.fix.command} />}
        </div>
      )}
      {check.evidence.length > 0 && (
        <details open={check.status === 'fail'}>
          <summary>What Vespera Updates found</summary>
          <ul class="evidence">
            {check.evidence.map((line, index) => (
              <li key={index} class="mono">
                {line}
              </li>
            ))}
          </ul>
        </details>
      )}
    </li>
  );
}

export function DoctorView({ headingRef, active }: ViewProps) {
  const report = useQuery('doctor.run');
  const ran = useRef(false);
  // The first time the doctor opens it runs; after that, only when asked.
  useEffect(() => {
    if (active && !ran.current) {
      ran.current = true;
      report.load(null);
    }
  }, [active, report]);

  const value = latestValue(report.result);
  const running = report.result?.state === 'loading';
  const counts = value && {
    pass: value.checks.filter((c) => c.status === 'pass').length,
    fail: value.checks.filter((c) => c.status === 'fail').length,
    skip: value.checks.filter((c) => c.status === 'skip').length,
  };

  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Diagnose problems
      </h1>
      <p>Checks everything signed updates depend on here: the image reference, the signature policy, keys, the signatures themselves and the update service.</p>
      <div class="actions">
        <button type="button" class="button primary" disabled={running} onClick={() => report.load(null)}>
          {running ? 'Running the checks…' : value ? 'Run the checks again' : 'Run the checks'}
        </button>
      </div>
      <div aria-live="polite" class="doctor-summary">
        {report.result?.state === 'failed' && (
          <p class="callout tone-critical">
            <Icon name="error" />
            <span>{report.result.message}</span>
          </p>
        )}
        {counts && value && !running && (
          <p>
            <strong>
              {counts.fail === 0 ? 'No problems found' : `${counts.fail} ${counts.fail === 1 ? 'problem' : 'problems'} found`}
            </strong>
            : {counts.pass} passed, {counts.fail} failed, {counts.skip} skipped. Ran{' '}
            <time dateTime={value.ranAt}>{formatDateTime(value.ranAt)}</time>.
          </p>
        )}
      </div>
      {value && (
        <ul class="checks" aria-busy={running}>
          {ordered(value.checks).map((check) => (
            <CheckItem key={check.id} check={check} />
          ))}
        </ul>
      )}
    </>
  );
}
