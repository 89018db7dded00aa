// `vespera-updates check` and `vespera-updates apply`: look for an update and verify it by digest
// (optionally staging it), and restart into a staged update once its digest verifies again.

import { ImageChecks } from '../../flows/image-checks.ts';
import { UpdateWatch } from '../../flows/update-watch.ts';
import type { FlowSession } from '../../flows/session.ts';
import { EXIT, parseCommandArgs, writeJson, type Command, type CommandIO } from '../command.ts';
import { confirm, endProgress, FLOW_EXIT, openCliSession, progressPrinter, refuse } from '../terminal.ts';
import { statusDocument } from './status.ts';
import { exitCodesHelp } from '../exit-codes.ts';

const CHECK_HELP = `usage: vespera-updates check [--stage] [--json]

Asks rpm-ostree for updates, looks up the image tag this host follows in its registry, and verifies
the exact digest it names now against the expected signer. With --stage, a verified update is
staged (by digest and held until you restart from Vespera Updates where the app enforces signatures).

Options:
  --stage   stage the update when it verifies
  --json    print the outcome and the host's status as JSON

An update is only ever a newer build than the one running: a tag that names an older build (the
rollback, an earlier deployment) is reported as a possible rollback attack, with both dates and
digests, and never offered.

${exitCodesHelp('check')}`;

const APPLY_HELP = `usage: vespera-updates apply [--yes] [--json]

Restarts the computer into the staged update, after verifying its digest once more. An update held
by Vespera Updates (finalization locked) is released only when it verifies. With nothing staged but
another deployment set as the next boot (after a rollback), it restarts into that one. It asks first
unless --yes is given.

${exitCodesHelp('apply')}`;

/** Runs `work` with the update watch started and its first checks settled; closes both after. */
export async function withWatch<T>(io: CommandIO, work: (session: FlowSession, watch: UpdateWatch) => Promise<T>): Promise<T> {
  const session = await openCliSession(io);
  const watch = new UpdateWatch(session, new ImageChecks(session.config, session.trust));
  try {
    await watch.start();
    await watch.settle();
    return await work(session, watch);
  } finally {
    watch.close();
    await session.close();
  }
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'look for an update and verify its signature by digest',
  help: CHECK_HELP,
  async run(argv, io) {
    const { values } = parseCommandArgs('check', argv, { stage: { type: 'boolean' }, json: { type: 'boolean' } }, { max: 0 });
    const json = values.json === true;
    return await withWatch(io, async (session, watch) => {
      watch.onProgress(progressPrinter(io, json));
      let outcome = await watch.check();
      if (values.stage && outcome.ok && watch.snapshot().update?.state === 'available') outcome = await watch.stage();
      endProgress(io, json);
      const snapshot = await watch.settle();
      if (json) writeJson(io, { ...outcome, status: statusDocument(session, snapshot) });
      else {
        // What needs attention on the host leads, when the check's own message is not already it.
        const attention = snapshot.health === 'needs-attention' && !outcome.message.includes(snapshot.detail ?? snapshot.headline) ? [`! ${snapshot.headline}${snapshot.detail ? `: ${snapshot.detail}` : ''}`] : [];
        io.stdout.write(`${[outcome.message, ...attention, ...snapshot.notices.map((n) => `! ${n.message}`)].join('\n')}\n`);
      }
      // Evidence that something is wrong (an update, or the staged one, failed its check; the tag moved
      // back to an older build) is attention; not being able to check is a failure to do the job.
      if (outcome.code === 'update-not-verified' || outcome.code === 'tag-downgrade' || snapshot.health === 'needs-attention' || snapshot.update?.state === 'failed') return FLOW_EXIT.attention;
      if (outcome.code === 'host-busy') return FLOW_EXIT.blocked;
      return outcome.ok ? EXIT.ok : EXIT.failure;
    });
  },
};

export const applyCommand: Command = {
  name: 'apply',
  summary: 'restart into the staged update once its digest verifies',
  help: APPLY_HELP,
  async run(argv, io) {
    const { values } = parseCommandArgs('apply', argv, { yes: { type: 'boolean' }, json: { type: 'boolean' } }, { max: 0 });
    const json = values.json === true;
    return await withWatch(io, async (session, watch) => {
      // What the restart boots: the staged update, or the deployment a rollback made the next boot.
      const { staged, pending } = session.host.state;
      const target = staged ?? pending;
      const named = target ? `${target.version ?? target.imageDigest ?? target.checksum}${staged ? '' : ' (the next boot rpm-ostree has set, not an update)'}` : '';
      if (target && !values.yes && !(await confirm(io, `Restart now into ${named}?`))) {
        return refuse(io, json, FLOW_EXIT.declined, { code: 'not-confirmed', message: 'Not restarted: you did not confirm (use --yes when not at a terminal).' });
      }
      watch.onProgress(progressPrinter(io, json));
      const outcome = await watch.restartNow();
      endProgress(io, json);
      if (json) writeJson(io, outcome);
      else io.stdout.write(`${outcome.message}\n`);
      if (outcome.code === 'update-not-verified') return FLOW_EXIT.attention;
      if (outcome.code === 'nothing-staged' || outcome.code === 'host-busy') return FLOW_EXIT.blocked;
      return outcome.ok ? EXIT.ok : EXIT.failure;
    });
  },
};
