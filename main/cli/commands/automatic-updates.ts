// `vespera-updates automatic-updates`: host-wide verified automatic updates, turned on and off through
// the privileged helper (the change shown first), their state, and `run`, what the root service runs.

import { automaticUpdatesState, journalTo, planAutomaticUpdates, runAutomaticUpdate } from '../../flows/automatic-updates.ts';
import { hostStateDirOf, openSession } from '../../flows/session.ts';
import { runPolicyHelper } from '../../policy/helper-client.ts';
import { policyPaths } from '../../policy/host-files.ts';
import { loadConfig } from '../../shared/config.ts';
import { EXIT, parseCommandArgs, UsageError, writeJson, type Command, type CommandIO } from '../command.ts';
import { confirm, FLOW_EXIT, refuse } from '../terminal.ts';
import { exitCodesHelp } from '../exit-codes.ts';

const HELP = `usage: vespera-updates automatic-updates <status|on|off|run> [options]

Keeps updates verified on this host with no one logged in: the vespera-updates-automatic timer (root,
no polkit prompt, no user session) checks the image this host follows, verifies the exact digest and
stages it finalization-locked (app-enforced hosts) or through rpm-ostree (key-enforced hosts).

  status [--json]       on or off, rpm-ostree's own AutomaticUpdatePolicy, what the last run decided
  on [--yes] [--json]   turn them on: shows the change first (a diff of /etc/vespera-updates/
                        automatic-updates.json and, when rpm-ostree stages updates itself, of
                        /etc/rpm-ostreed.conf, which is held at AutomaticUpdatePolicy=check so nothing
                        unverified is staged behind the check), then makes it through the privileged
                        helper (pkexec; the previous files are kept as a backup: policy restore)
  off [--yes] [--json]  turn them off; rpm-ostree's policy goes back to what it was, if still ours
  run                   one run, as the service does it; its lines carry journal priorities (<3> a
                        refused update or a policy that does not load, <4> could not check,
                        <5> staged, <6> nothing to do)

${exitCodesHelp('automatic-updates')}`;

async function toggle(on: boolean, argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseCommandArgs(`automatic-updates ${on ? 'on' : 'off'}`, argv, { yes: { type: 'boolean' }, json: { type: 'boolean' } }, { max: 0 });
  const json = values.json === true;
  const config = await loadConfig(io.env);
  const plan = await planAutomaticUpdates(policyPaths(config.world?.etcRoot ?? '/etc'), on, new Date());
  if (plan.changed.length === 0) {
    const message = on ? 'Automatic updates are already on.' : 'Automatic updates are already off.';
    if (json) writeJson(io, { ok: true, message, changed: [] });
    else io.stdout.write(`${message}\n`);
    return EXIT.ok;
  }
  if (!json) io.stderr.write(plan.diff);
  if (!values.yes && !(await confirm(io, `Make this change to ${plan.changed.join(' and ')}?`))) {
    return refuse(io, json, FLOW_EXIT.declined, { code: 'not-confirmed', message: 'Nothing was changed: you did not confirm (use --yes when not at a terminal).', diff: plan.diff });
  }
  const reply = await runPolicyHelper(config.world ? { world: config.world } : {}, 'automatic-updates', { args: [on ? 'on' : 'off', '--expect', plan.expect] });
  if (json) writeJson(io, { ok: true, ...reply, diff: plan.diff });
  else io.stdout.write(`${reply.message}\n`);
  return EXIT.ok;
}

async function status(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseCommandArgs('automatic-updates status', argv, { json: { type: 'boolean' } }, { max: 0 });
  const config = await loadConfig(io.env);
  const state = await automaticUpdatesState({ policy: policyPaths(config.world?.etcRoot ?? '/etc'), helperSite: config.world ? { world: config.world } : {}, hostStateDir: hostStateDirOf(config) });
  if (values.json) {
    writeJson(io, { enabled: state.setting !== undefined, since: state.setting?.since ?? null, rpmOstreedPolicy: state.rpmOstreedPolicy, lastRun: state.lastRun ?? null });
    return EXIT.ok;
  }
  const lines = [
    state.setting ? `Automatic updates: on since ${state.setting.since}` : 'Automatic updates: off',
    `rpm-ostree's own AutomaticUpdatePolicy: ${state.rpmOstreedPolicy}${state.rpmOstreedPolicy === 'stage' || state.rpmOstreedPolicy === 'apply' ? ' (stages updates without the check)' : ''}`,
    state.lastRun ? `Last run: ${state.lastRun.at} ${state.lastRun.outcome}: ${state.lastRun.message}` : 'Last run: never',
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  parseCommandArgs('automatic-updates run', argv, {}, { max: 0 });
  const journal = journalTo(io.stderr);
  let session;
  try {
    session = await openSession({ env: io.env, clientId: 'vespera-updates-automatic' });
  } catch (error) {
    journal('warning', `Could not start: ${(error as Error).message} Nothing was checked or changed; the next run tries again.`);
    return EXIT.failure;
  }
  try {
    const outcome = await runAutomaticUpdate(session, journal);
    switch (outcome) {
      case undefined:
      case 'staged':
      case 'up-to-date':
        return EXIT.ok;
      case 'could-not-check':
        return EXIT.failure;
      default:
        return FLOW_EXIT.attention;
    }
  } finally {
    await session.close();
  }
}

export const automaticUpdatesCommand: Command = {
  name: 'automatic-updates',
  summary: 'host-wide verified automatic updates: status, on, off, run (the service)',
  help: HELP,
  async run(argv, io) {
    const [verb, ...rest] = argv;
    switch (verb) {
      case 'status':
        return await status(rest, io);
      case 'on':
        return await toggle(true, rest, io);
      case 'off':
        return await toggle(false, rest, io);
      case 'run':
        return await run(rest, io);
      default:
        throw new UsageError(verb === undefined ? 'automatic-updates: name a subcommand (status, on, off, run)' : `automatic-updates: unknown subcommand "${verb}"`);
    }
  },
};
