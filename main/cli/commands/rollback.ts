// `vespera-updates rollback`: show what the host would roll back to (signature checked now), discard a
// staged update first when it blocks, roll back, and restart only when asked.

import { ImageChecks } from '../../flows/image-checks.ts';
import { planRollback, rollbackPreview, runRollback } from '../../flows/rollback.ts';
import type { DeploymentView } from '../../../preload/contract.ts';
import { HostBusyError } from '../../flows/host-lock.ts';
import { withHostRun } from '../../flows/host-run.ts';
import type { FlowSession } from '../../flows/session.ts';
import { EXIT, parseCommandArgs, writeJson, type Command, type CommandIO } from '../command.ts';
import { confirm, endProgress, FLOW_EXIT, interruptible, openCliSession, progressPrinter, refuse, SIGNAL_EXIT } from '../terminal.ts';
import { changesText } from './changes.ts';
import { exitCodesHelp } from '../exit-codes.ts';

const HELP = `usage: vespera-updates rollback [--discard-staged] [--reboot] [--yes] [--json]

Compares the booted system with the one a rollback would boot (versions, dates, image references,
digests, and the target's signature verified now), then makes the previous deployment the next boot.
A staged update blocks a rollback: it is discarded first when you confirm or pass --discard-staged.
The preview also lists the packages that change (rpm-ostree's diff of the two deployments) and the
source commits the signing certificates name; with --json they are under preview.changes.

Options:
  --discard-staged  discard a staged update that blocks the rollback
  --reboot          restart right after rolling back
  --yes             do not ask (non-interactive use)
  --json            print the preview and the outcome as JSON

${exitCodesHelp('rollback')}`;

function describe(label: string, d: DeploymentView | undefined): string[] {
  if (!d) return [`${label}: (none)`];
  const sig = d.signature.status === 'verified' ? 'signed and verified now' : d.signature.status === 'failed' ? `signature FAILED: ${d.signature.failure?.message ?? ''}` : d.signature.status;
  return [`${label}: ${d.version ?? '(no version)'}${d.timestamp ? ` (${d.timestamp.slice(0, 10)})` : ''}`, `  ${d.imageReference ?? ''}`, `  ${d.digest ?? ''}`, `  ${sig}`];
}

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'roll back to the previous deployment, with a preview',
  help: HELP,
  async run(argv, io) {
    const { values } = parseCommandArgs('rollback', argv, {
      'discard-staged': { type: 'boolean' },
      reboot: { type: 'boolean' },
      yes: { type: 'boolean' },
      json: { type: 'boolean' },
    }, { max: 0 });
    const json = values.json === true;
    const session = await openCliSession(io);
    const checks = new ImageChecks(session.config, session.trust);
    try {
      return await withHostRun(session, checks, 'rollback', () => rollback(io, session, checks, json, values), {
        emit: progressPrinter(io, json),
        onResolved: (lines) => io.stderr.write(lines.map((l) => `${l}\n`).join('')),
      });
    } catch (error) {
      if (error instanceof HostBusyError) return refuse(io, json, FLOW_EXIT.blocked, { code: error.code, message: error.message });
      throw error;
    } finally {
      await session.close();
    }
  },
};

/** Previews, asks and rolls back, holding the host lock; the exit code follows the README's table. */
async function rollback(
  io: CommandIO,
  session: FlowSession,
  checks: ImageChecks,
  json: boolean,
  values: { 'discard-staged'?: boolean | undefined; reboot?: boolean | undefined; yes?: boolean | undefined },
): Promise<number> {
  const plan = await planRollback(session, checks);
  const preview = rollbackPreview(plan);
  if (!json) io.stdout.write(`${[...describe('Booted now', preview.booted), ...describe('Rolls back to', preview.target), ...(preview.blockedByStaged ? describe('Staged (blocks the rollback)', preview.blockedByStaged) : [])].join('\n')}\n`);
  if (!json && preview.changes) io.stdout.write(`\n${changesText(preview.changes).join('\n')}\n\n`);
  if (!plan.canRun) return refuse(io, json, FLOW_EXIT.blocked, { code: 'rollback-blocked', message: `Cannot roll back: ${plan.blockedBy ?? ''}`, preview });
  // --yes says yes to every question the help names, the discard of a blocking staged update included.
  let discardStaged = values['discard-staged'] === true || (plan.staged !== undefined && values.yes === true);
  if (plan.staged && !discardStaged) {
    discardStaged = await confirm(io, 'A staged update blocks the rollback. Discard it first?');
    if (!discardStaged) {
      return refuse(io, json, FLOW_EXIT.declined, { code: 'not-confirmed', message: 'Not rolled back: the staged update blocks it, and you did not agree to discard it (pass --discard-staged or --yes).', preview });
    }
  }
  if (!values.yes && !(await confirm(io, 'Roll back?'))) {
    return refuse(io, json, FLOW_EXIT.declined, { code: 'not-confirmed', message: 'Not rolled back: you did not confirm (use --yes when not at a terminal).', preview });
  }
  const { result: outcome, interruptedBy } = await interruptible(io, (signal) => runRollback(session, { discardStaged }, progressPrinter(io, json), { signal }));
  endProgress(io, json);
  let rebooted = false;
  if (outcome.ok && values.reboot && !interruptedBy) {
    await session.host.reboot();
    rebooted = true;
  }
  if (json) writeJson(io, { ...outcome, rebooted, preview });
  else io.stdout.write(`${outcome.message}${rebooted ? ' Restarting.' : ''}\n`);
  if (interruptedBy && !outcome.ok) return SIGNAL_EXIT[interruptedBy];
  return outcome.ok ? EXIT.ok : EXIT.failure;
}
