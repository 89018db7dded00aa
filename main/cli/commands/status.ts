// `vespera-updates status`: the host's deployments the way `rpm-ostree status` shows them (booted
// marked, image reference, digest, version and date, pinned, staged), plus how the OS checks signatures.

import type { SignatureView, StatusSnapshot } from '../../../preload/contract.ts';
import { ImageChecks } from '../../flows/image-checks.ts';
import { UpdateWatch } from '../../flows/update-watch.ts';
import { connectHost, deploymentJson, type CachedUpdate, type Deployment, type HostState } from '../../host/index.ts';
import { describeProvenance } from '../../shared/config.ts';
import { EXIT, parseCommandArgs, writeJson, type Command, type CommandIO } from '../command.ts';
import { FLOW_EXIT, openCliSession } from '../terminal.ts';
import type { FlowSession } from '../../flows/session.ts';
import { exitCodesHelp } from '../exit-codes.ts';

const HELP = `usage: vespera-updates status [--json] [--booted] [--no-verify]

Shows the system's deployments like rpm-ostree status: the booted one marked ●, each with its image
reference, digest, version and date, and whether it is pinned or staged for the next boot; then who
signed each image (verified now, by digest) and who enforces signatures on this host; last, which
configuration file each setting came from (Settings: lines; "configuration" in --json; not
with --no-verify, which shows only what rpm-ostree reports).

Options:
  --json       print the state as JSON (deployments with imageReference, imageDigest, version,
               signature, …; plus health, headline, enforcement and notices)
  --booted     only the booted deployment
  --no-verify  do not check signatures (no network): only what rpm-ostree reports (exit 0 once read)

${exitCodesHelp('status')}`;

function date(seconds: number | undefined): string {
  return seconds === undefined ? '' : ` (${new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')})`;
}

function size(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit] ?? ''}`;
}

function verification(d: Deployment): string | undefined {
  if (d.refspec?.kind !== 'container') return undefined;
  switch (d.refspec.verification) {
    case 'signed':
      return 'enforced by the OS (ostree-image-signed: containers-policy.json)';
    case 'unverified':
      return 'not enforced by the OS (ostree-unverified)';
    case 'ostree-remote':
      return `ostree GPG keys of remote ${d.refspec.remote ?? ''}`;
  }
}

function field(label: string, value: string): string {
  return `${label.padStart(25)}: ${value}`;
}

function deploymentText(d: Deployment): string[] {
  const lines = [`${d.booted ? '●' : ' '} ${d.origin ?? `(unknown origin) ${d.checksum}`}`];
  if (d.imageDigest) lines.push(field('Digest', d.imageDigest));
  if (d.version !== undefined || d.timestamp !== undefined) lines.push(field('Version', `${d.version ?? '(none)'}${date(d.timestamp)}`));
  if (d.baseVersion !== undefined) lines.push(field('BaseVersion', d.baseVersion));
  if (!d.imageDigest) lines.push(field('Commit', d.checksum));
  const check = verification(d);
  if (check) lines.push(field('Signature', check));
  if (d.layeredPackages.length > 0) lines.push(field('LayeredPackages', d.layeredPackages.join(' ')));
  if (d.staged) lines.push(field('Staged', d.finalizationLocked ? 'yes, finalization locked (boots only once finalized)' : 'yes'));
  if (d.pinned) lines.push(field('Pinned', 'yes'));
  if (d.unlocked !== 'none') lines.push(field('Unlocked', d.unlocked));
  return lines;
}

function updateText(update: CachedUpdate): string[] {
  const lines = ['AvailableUpdate:'];
  lines.push(field('Version', `${update.version ?? '(none)'}${update.manifestDiff ? '' : date(update.timestamp)}`));
  if (update.manifestDiff) {
    const diff = update.manifestDiff;
    lines.push(field('Layers', `${diff.total} (${size(diff.totalSize)}); ${diff.added} new (${size(diff.addedSize)}), ${diff.removed} removed`));
  }
  if (update.stagedDeploymentId) lines.push(field('Staged', 'yes'));
  return lines;
}

export function statusText(state: HostState, bootedOnly: boolean): string {
  const out: string[] = [];
  const active = state.activeTransaction;
  out.push(`State: ${active ? `busy (${active.method} by ${active.initiator})` : 'idle'}`);
  const policy = state.automaticUpdatePolicy;
  out.push(`AutomaticUpdates: ${policy === 'none' ? 'disabled' : policy}`);
  out.push('Deployments:');
  const shown = bootedOnly ? state.deployments.filter((d) => d.booted) : state.deployments;
  shown.forEach((d, i) => {
    if (i > 0) out.push('');
    out.push(...deploymentText(d));
  });
  if (state.cachedUpdate && !bootedOnly) out.push('', ...updateText(state.cachedUpdate));
  return `${out.join('\n')}\n`;
}

export function statusJson(state: HostState, bootedOnly: boolean): Record<string, unknown> {
  const active = state.activeTransaction;
  return {
    daemon: state.daemon,
    osName: state.osName ?? null,
    automaticUpdatePolicy: state.automaticUpdatePolicy,
    transaction: active ? { method: active.method, initiator: active.initiator, osPath: active.osPath } : null,
    deployments: (bootedOnly ? state.deployments.filter((d) => d.booted) : state.deployments).map(deploymentJson),
    cachedUpdate: state.cachedUpdate
      ? {
          version: state.cachedUpdate.version ?? null,
          timestamp: state.cachedUpdate.timestamp ?? null,
          imageReference: state.cachedUpdate.origin ?? null,
          manifestDiff: state.cachedUpdate.manifestDiff ?? null,
          stagedDeploymentId: state.cachedUpdate.stagedDeploymentId ?? null,
        }
      : null,
  };
}

/**
 * The host as `status --json` prints it, and `check --json` under "status": rpm-ostree's view of each
 * deployment with the app's (role, next boot, signature checked now), then the app's verdicts.
 */
export function statusDocument(session: FlowSession, snapshot: StatusSnapshot, bootedOnly = false): Record<string, unknown> {
  const views = new Map(snapshot.deployments.map((d) => [d.id, d]));
  const base = statusJson(session.host.state, bootedOnly);
  return {
    ...base,
    deployments: (base.deployments as Array<Record<string, unknown>>).map((d) => {
      const view = views.get(String(d.id));
      return { ...d, role: view?.role ?? null, nextBoot: view?.nextBoot === true, signature: view?.signature ?? null };
    }),
    health: snapshot.health,
    headline: snapshot.headline,
    detail: snapshot.detail ?? null,
    enforcement: snapshot.enforcement,
    update: snapshot.update ?? null,
    notices: snapshot.notices,
    checkedAt: snapshot.checkedAt ?? null,
    configuration: session.config.provenance,
  };
}

/** status's exit code: 0 nothing to act on; 1 something could not be checked; 3 the host needs attention. */
export function statusExit(snapshot: StatusSnapshot): number {
  if (snapshot.health === 'needs-attention' || snapshot.health === 'unverified') return FLOW_EXIT.attention;
  if (snapshot.health === 'cannot-check' || snapshot.health === 'no-daemon') return EXIT.failure;
  return EXIT.ok;
}

function signatureLine(view: SignatureView): string {
  switch (view.status) {
    case 'verified': {
      const s = view.signer;
      const who = !s ? 'unknown' : s.kind === 'key' ? `key ${s.identity}` : `${s.workflow ?? s.identity}${s.sourceRepository ? ` of ${s.sourceRepository}` : ''}${s.commit ? ` at ${s.commit.slice(0, 12)}` : ''}`;
      const log = view.transparencyLog ? `; Rekor entry ${view.transparencyLog.logIndex}` : '';
      const unbound = view.binding && !view.binding.bound ? `; ${view.binding.description}` : '';
      return `signed by ${who}${log}${view.visibleToOs === false ? ' (cosign 3 bundle: invisible to rpm-ostree)' : ''}${unbound}`;
    }
    case 'failed':
      return `FAILED (${view.failure?.code ?? ''}): ${view.failure?.message ?? ''}`;
    case 'unchecked':
      return `could not be checked (${view.failure?.code ?? ''}): ${view.failure?.message ?? ''}${view.lastVerified ? ` Last verified ${view.lastVerified.checkedAt}, signed by ${view.lastVerified.signedBy}.` : ''}`;
    case 'not-applicable':
      return 'not a registry image';
    default:
      return view.status;
  }
}

/** rpm-ostree's view plus what Vespera Updates found: signatures per deployment and who enforces. */
export function verifiedText(state: HostState, snapshot: StatusSnapshot, bootedOnly: boolean): string {
  const lines = statusText(state, bootedOnly).trimEnd().split('\n');
  const out: string[] = [`Health: ${snapshot.headline}`];
  if (snapshot.detail) out.push(`        ${snapshot.detail}`);
  out.push(`Enforcement: ${snapshot.enforcement.summary}${snapshot.enforcement.untilRestart ? ` (after the next restart; until then: ${snapshot.enforcement.untilRestart})` : ''}`);
  const byOrigin = new Map(snapshot.deployments.map((d) => [d.id, d]));
  const shown = bootedOnly ? state.deployments.filter((d) => d.booted) : state.deployments;
  let index = -1;
  for (const line of lines) {
    if (/^[● ] \S/.test(line)) index += 1;
    out.push(line);
    const current = shown[index];
    const view = current ? byOrigin.get(current.id) : undefined;
    if (view && /^\s+Signature: /.test(line)) out.push(`${'Checked now'.padStart(25)}: ${signatureLine(view.signature)}`);
    if (view?.nextBoot && /^[● ] \S/.test(line)) out.push(`${'Next restart'.padStart(25)}: boots this deployment`);
  }
  for (const notice of snapshot.notices) out.push(`! ${notice.message}`);
  return `${out.join('\n')}\n`;
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'show the deployments, who signed them and who enforces signatures',
  help: HELP,
  async run(argv: string[], io: CommandIO): Promise<number> {
    const { values } = parseCommandArgs('status', argv, { json: { type: 'boolean' }, booted: { type: 'boolean' }, 'no-verify': { type: 'boolean' } }, { max: 0 });
    const bootedOnly = values.booted ?? false;
    if (values['no-verify']) {
      const client = await connectHost({ reactivate: false });
      try {
        if (values.json) writeJson(io, statusJson(client.state, bootedOnly));
        else io.stdout.write(statusText(client.state, bootedOnly));
        return EXIT.ok;
      } finally {
        await client.close();
      }
    }
    const session = await openCliSession(io);
    const watch = new UpdateWatch(session, new ImageChecks(session.config, session.trust));
    try {
      await watch.start();
      const snapshot = await watch.settle();
      const state = session.host.state;
      if (values.json) writeJson(io, statusDocument(session, snapshot, bootedOnly));
      else io.stdout.write(`${verifiedText(state, snapshot, bootedOnly)}${describeProvenance(session.config).map((l) => `Settings: ${l}\n`).join('')}`);
      return statusExit(snapshot);
    } finally {
      watch.close();
      await session.close();
    }
  },
};
