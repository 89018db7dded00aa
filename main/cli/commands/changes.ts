// `vespera-updates changes`: what changes from the running system to the next boot (or the rollback, or
// any deployment): rpm-ostree's package diff and the source commit and build run the signatures vouch for.

import type { ChangesView, PackageChange, SignatureView } from '../../../preload/contract.ts';
import { changesBetween } from '../../flows/changes.ts';
import { failureOf, imageOf, ImageChecks } from '../../flows/image-checks.ts';
import { countsPhrase } from '../../flows/package-changes.ts';
import type { FlowSession } from '../../flows/session.ts';
import { signatureView } from '../../flows/views.ts';
import type { Deployment } from '../../host/index.ts';
import { EXIT, parseCommandArgs, UsageError, writeJson, type Command } from '../command.ts';
import { FLOW_EXIT, refuse } from '../terminal.ts';
import { withWatch } from './check.ts';
import { exitCodesHelp } from '../exit-codes.ts';

const HELP = `usage: vespera-updates changes [--to next|rollback|DEPLOYMENT-ID] [--json]

Shows what changes from the system running now to the one the next boot starts: the packages
rpm-ostree reports added, removed, upgraded and downgraded (headline packages such as the kernel and
the NVIDIA driver first; configurable as changes.headline), and the source commit and build run that
the signing certificates vouch for, with a link comparing the two commits. Package changes are known
once an update is staged: rpm-ostree compares two deployments on this computer.

Options:
  --to WHAT  compare with "next" (default: what the next boot starts; an update found but not yet
             downloaded shows its layers instead), "rollback", or a deployment id as rpm-ostree
             status --json shows it (a pinned deployment, for instance)
  --json     print the changes as JSON: from, to, packages (status, changes, counts, summary) and
             source (status, commit, runningCommit, compareUrl, runUrl)

${exitCodesHelp('changes')}`;

function versions(change: PackageChange): string {
  const arch = change.from && change.to && change.from.arch !== change.to.arch ? ` (${change.from.arch} → ${change.to.arch})` : '';
  if (!change.from) return `${change.to?.evr ?? ''} (new)`;
  if (!change.to) return `${change.from.evr} (removed)`;
  return `${change.from.evr} → ${change.to.evr}${arch}`;
}

/** The changes as lines for a terminal; shared by `changes` and `rollback`. */
export function changesText(view: ChangesView): string[] {
  const lines: string[] = [];
  const packages = view.packages;
  if (packages.status === 'listed') {
    lines.push(`Packages (rpm-ostree compared the two deployments): ${countsPhrase(packages.counts)}`);
    if (packages.changes.length > 0) lines.push(`  ${packages.summary}`);
    const width = Math.min(32, Math.max(8, ...packages.changes.map((c) => c.name.length)));
    for (const change of packages.changes) lines.push(`  ${change.change.padEnd(10)} ${change.name.padEnd(width)} ${versions(change)}`);
  } else {
    lines.push(`Packages: ${packages.message ?? packages.status}`);
    if (packages.layers) {
      const l = packages.layers;
      lines.push(`  Download: ${l.new} new of ${l.total} layers (${l.newBytes} bytes); ${l.removed} layers no longer used`);
    }
  }
  const source = view.source;
  lines.push('', 'Source (from the signing certificates, not from the registry):', `  ${source.summary}`);
  if (source.compareUrl) lines.push(`  compare: ${source.compareUrl}`);
  if (source.runUrl) lines.push(`  build run: ${source.runUrl}`);
  lines.push(`  ${source.message}`);
  return lines;
}

function describeEnd(end: ChangesView['from'], role: string): string {
  return `${end.version ?? end.digest ?? end.deploymentId ?? 'unknown'} (${role})`;
}

interface Target {
  readonly deployment: Deployment;
  readonly role: string;
}

/** The deployment `--to` names, or undefined for "next" with nothing pending. */
function targetOf(session: FlowSession, to: string): Target | undefined {
  const state = session.host.state;
  if (to === 'next') {
    if (state.staged) return { deployment: state.staged, role: 'staged for the next boot' };
    if (state.pending) return { deployment: state.pending, role: 'the next boot' };
    return undefined;
  }
  if (to === 'rollback') {
    if (!state.rollback) throw new UsageError('changes: there is no rollback deployment on this host');
    return { deployment: state.rollback, role: 'the rollback' };
  }
  const found = state.deployments.find((d) => d.id === to);
  if (!found) throw new UsageError(`changes: no deployment "${to.slice(0, 200)}" on this host (see vespera-updates status --json)`);
  if (found.booted) throw new UsageError('changes: that is the running deployment; name another one');
  return { deployment: found, role: found.pinned ? 'pinned' : found.staged ? 'staged' : 'another deployment' };
}

export const changesCommand: Command = {
  name: 'changes',
  summary: 'show the package and source changes the next boot brings',
  help: HELP,
  async run(argv, io) {
    const { values } = parseCommandArgs('changes', argv, { to: { type: 'string' }, json: { type: 'boolean' } }, { max: 0 });
    const json = values.json === true;
    return await withWatch(io, async (session, watch) => {
      let snapshot = watch.snapshot();
      const booted = session.host.state.booted;
      if (!booted) return refuse(io, json, EXIT.failure, { code: 'no-booted', message: 'rpm-ostree reports no booted deployment, so there is nothing to compare with.' });
      if (values.to === 'rollback' && !session.host.state.rollback) {
        return refuse(io, json, FLOW_EXIT.blocked, { code: 'no-rollback', message: 'There is no rollback deployment on this host: nothing to compare with.' });
      }
      const target = targetOf(session, values.to ?? 'next');
      let view: ChangesView | undefined;
      let role = target?.role ?? 'available';
      const signatureOf = (d: Deployment): SignatureView | undefined => snapshot.deployments.find((v) => v.id === d.id)?.signature;
      if (target && target.deployment.staged && snapshot.update?.changes) {
        // The same view the app shows for the staged update.
        view = snapshot.update.changes;
      } else if (target) {
        let signature = signatureOf(target.deployment);
        if (!signature || signature.status === 'not-checked') {
          // A deployment the watch does not follow (pinned, older): its signature checked now.
          const checks = new ImageChecks(session.config, session.trust);
          const image = imageOf(target.deployment);
          const result = image ? await checks.checkDeployment(target.deployment).catch((error: unknown) => failureOf(image, error)) : undefined;
          signature = signatureView(result ? { status: 'done', result, at: session.now() } : { status: 'not-applicable', why: 'not a registry image' });
        }
        view = await changesBetween(session.host, session.config.changes.headline, { deployment: booted, ...withSignature(signatureOf(booted)) }, { deployment: target.deployment, signature });
      } else if (session.host.state.cachedUpdate || imageOf(booted)?.tag) {
        // Nothing staged: what the registry serves now, verified, with what is known before a download.
        const checked = await watch.check({ askHost: false });
        snapshot = await watch.settle();
        view = snapshot.update?.changes;
        if (!view && !checked.ok) {
          // Could not check is not "nothing changes": say what failed.
          return refuse(io, json, EXIT.failure, { code: checked.code ?? 'check-failed', message: `Could not look for an update: ${checked.message} The next boot starts the system running now.` });
        }
        role = snapshot.update?.state === 'failed' ? 'available, FAILED its signature check' : 'available, not downloaded';
      }
      if (!view) {
        return refuse(io, json, FLOW_EXIT.blocked, { code: 'nothing-to-compare', message: 'The next boot starts the system running now, and no update is waiting: nothing changes.' });
      }
      if (json) {
        writeJson(io, view);
      } else {
        io.stdout.write(`From ${describeEnd(view.from, 'running now')} to ${describeEnd(view.to, role)}\n\n${changesText(view).join('\n')}\n`);
      }
      return view.packages.status === 'unavailable' ? EXIT.failure : EXIT.ok;
    });
  },
};

function withSignature(signature: SignatureView | undefined): { signature?: SignatureView } {
  return signature ? { signature } : {};
}
