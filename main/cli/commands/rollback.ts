// `vespera-updates rollback`: show what the host would roll back to (signature checked now), discard a
// staged update first when it blocks, roll back, and restart only when asked.

import { ImageChecks } from '../../flows/image-checks.ts';
import { planRollback, rollbackPreview, runRollback } from '../../flows/rollback.ts';
import type { DeploymentView } from '../../../preload/contract.ts';
import { EXIT, parseCommandArgs, writeJson, type Command } from '../command.ts';
import { confirm, endProgress, FLOW_EXIT, openCliSession, progressPrinter, refuse } from '../terminal.ts';
import { changesText } from './changes.ts';

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

Exit codes: 0 rolled back (restart to apply); 1 failed; 2 wrong usage; 3 nothing to roll back to or
            blocked; 4 not confirmed.
`;

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
    try {
      const plan = await planRollback(session, new ImageChecks(session.config, session.trust));
      const preview = rollbackPreview(plan);
      if (!json) io.stdout.write(`${[...describe('Booted now', preview.booted), ...describe('Rolls back to', preview.target), ...(preview.blockedByStaged ? describe('Staged (blocks the rollback)', preview.blockedByStaged) : [])].join('\n')}\n`);
      if (!json && preview.changes) io.stdout.write(`\n${changesText(preview.changes).join('\n')}\n\n`);
      if (!plan.canRun) return refuse(io, json, FLOW_EXIT.attention, { code: 'rollback-blocked', message: `Cannot roll back: ${plan.blockedBy ?? ''}`, preview });
      let discardStaged = values['discard-staged'] === true;
      if (plan.staged && !discardStaged) {
        discardStaged = values.yes === true ? false : await confirm(io, 'A staged update blocks the rollback. Discard it first?');
        if (!discardStaged) {
          return refuse(io, json, FLOW_EXIT.attention, { code: 'staged-blocks-rollback', message: 'Not rolled back: the staged update blocks it (pass --discard-staged to discard it).', preview });
        }
      }
      if (!values.yes && !(await confirm(io, 'Roll back?'))) {
        return refuse(io, json, FLOW_EXIT.declined, { code: 'not-confirmed', message: 'Not rolled back: you did not confirm (use --yes when not at a terminal).', preview });
      }
      const outcome = await runRollback(session, { discardStaged }, progressPrinter(io, json));
      endProgress(io, json);
      let rebooted = false;
      if (outcome.ok && values.reboot) {
        await session.host.reboot();
        rebooted = true;
      }
      if (json) writeJson(io, { ...outcome, rebooted, preview });
      else io.stdout.write(`${outcome.message}${rebooted ? ' Restarting.' : ''}\n`);
      return outcome.ok ? EXIT.ok : EXIT.failure;
    } finally {
      await session.close();
    }
  },
};
