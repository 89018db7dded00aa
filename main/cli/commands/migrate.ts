// `vespera-updates migrate`: move this host from an unverified image reference to a signed one (or, with
// --to unverified, back for a while): show the plan, ask, run it with progress, say where the host stands.

import { HostBusyError } from '../../flows/host-lock.ts';
import { withHostRun } from '../../flows/host-run.ts';
import { migrationPreview, planMigration, type MigrationPlan, type MigrationRequest } from '../../flows/migration.ts';
import type { FlowSession } from '../../flows/session.ts';
import { runMigration } from '../../flows/migration-run.ts';
import { ImageChecks } from '../../flows/image-checks.ts';
import { EXIT, parseCommandArgs, UsageError, writeJson, type Command, type CommandIO } from '../command.ts';
import { confirm, endProgress, FLOW_EXIT, interruptible, openCliSession, progressPrinter, refuse, SIGNAL_EXIT } from '../terminal.ts';
import { exitCodesHelp } from '../exit-codes.ts';

const HELP = `usage: vespera-updates migrate [--mode auto|key|app] [--key FILE] [--scope image|per-variant|namespace]
                               [--default reject|keep] [--target IMAGE] [--to signed|unverified]
                               [--yes] [--json]

Moves this host from an unverified image reference to a signed one, verifying the target first:
  key mode  the OS enforces the publisher's key: the key is installed, containers-policy.json and
            registries.d require it (through the privileged helper), and the host rebases to
            ostree-image-signed:docker://IMAGE.
  app mode  for images signed keyless only (the OS cannot enforce a GitHub identity): the verified
            digest is deployed, held until you restart from Vespera Updates, and every later update is
            verified by the app before it is staged.
If any step fails, everything this migration changed is undone. Reboot afterwards to apply.

Options:
  --mode M       auto (default: key mode when a publisher key signed the image), key or app
  --key FILE     the publisher's cosign public key (default: the configured one)
  --scope S      which images must carry the key's signature: image (only the one this host runs),
                 per-variant (default: it and its variants, one rule each) or namespace (every image
                 of the owner)
  --default D    reject: the global default becomes reject, other images keep today's treatment
                 through catch-all rules (needed when today's default accepts anything); or keep it
  --target IMAGE migrate to this image (default: the booted image's repository and tag)
  --to unverified  the temporary way back IMAGE-SIGNING.md describes (with a warning)
  --yes          do not ask for confirmation (non-interactive use)
  --json         print the plan and the outcome as JSON

${exitCodesHelp('migrate')}`;

function printPlan(io: CommandIO, plan: MigrationPlan): void {
  const lines = [`From: ${plan.from}`, ...(plan.to ? [`To:   ${plan.to}`] : []), ...(plan.modeReason ? [`Mode: ${plan.mode} — ${plan.modeReason}`] : [])];
  if (plan.target) lines.push(`Target digest: ${plan.target.platformDigest}${plan.target.version ? ` (${plan.target.version})` : ''}`);
  for (const s of plan.statements) lines.push(`  • ${s}`);
  if (plan.keyPlan && plan.keyPlan.diff) lines.push('', plan.keyPlan.diff.trimEnd());
  if (plan.steps.length > 0) lines.push('', 'Steps:', ...plan.steps.map((s, i) => `  ${i + 1}. ${s}`));
  for (const w of plan.warnings) lines.push(`! ${w}`);
  if (!plan.canRun) lines.push('', `Cannot migrate: ${plan.blockedBy ?? ''}`);
  io.stdout.write(`${lines.join('\n')}\n`);
}

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'move this host to a signed image (key- or app-enforced), or back',
  help: HELP,
  async run(argv, io) {
    const { values } = parseCommandArgs('migrate', argv, {
      mode: { type: 'string' },
      key: { type: 'string' },
      scope: { type: 'string' },
      default: { type: 'string' },
      target: { type: 'string' },
      to: { type: 'string' },
      yes: { type: 'boolean' },
      json: { type: 'boolean' },
    }, { max: 0 });
    const oneOf = <T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined => {
      if (value === undefined) return undefined;
      if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`migrate: ${flag} must be one of ${allowed.join(', ')}`);
      return value as T;
    };
    const mode = oneOf(values.mode, ['auto', 'key', 'app'] as const, '--mode');
    const scope = oneOf(values.scope, ['image', 'per-variant', 'namespace'] as const, '--scope');
    const defaultPolicy = oneOf(values.default, ['reject', 'keep'] as const, '--default');
    const to = oneOf(values.to, ['signed', 'unverified'] as const, '--to');
    const json = values.json === true;

    const session = await openCliSession(io);
    const checks = new ImageChecks(session.config, session.trust);
    try {
      return await withHostRun(session, checks, 'migrate', () => migrate(io, session, checks, json, values, { ...(mode ? { mode } : {}), ...(scope ? { scope } : {}), ...(defaultPolicy ? { defaultPolicy } : {}), ...(to ? { to } : {}) }), {
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

/** Plans, asks and runs, holding the host lock; the exit code follows the README's table. */
async function migrate(
  io: CommandIO,
  session: FlowSession,
  checks: ImageChecks,
  json: boolean,
  values: { key?: string | undefined; target?: string | undefined; yes?: boolean | undefined },
  choices: Pick<MigrationRequest, 'mode' | 'scope' | 'defaultPolicy' | 'to'>,
): Promise<number> {
  const plan = await planMigration(session, checks, {
    ...choices,
    ...(values.key ? { keyFile: values.key } : {}),
    ...(values.target ? { target: values.target } : {}),
  });
  if (!json) printPlan(io, plan);
  // The plan printed above already says why it cannot run; JSON readers get it here.
  if (!plan.canRun) {
    const exit = plan.blockedKind === 'evidence' ? FLOW_EXIT.attention : plan.blockedKind === 'unchecked' ? EXIT.failure : FLOW_EXIT.blocked;
    return json ? refuse(io, json, exit, { code: 'migration-blocked', message: plan.blockedBy ?? '', mode: plan.mode, plan: migrationPreview(plan) }) : exit;
  }
  if (!values.yes && !(await confirm(io, plan.mode === 'unverified' ? 'Go back to the unverified image?' : 'Migrate this host?'))) {
    const message = process.stdin.isTTY ? 'Not migrated: you did not confirm.' : 'Not migrated: confirm with --yes when not at a terminal.';
    return refuse(io, json, FLOW_EXIT.declined, { code: 'not-confirmed', message, mode: plan.mode, plan: migrationPreview(plan) });
  }
  const { result: outcome, interruptedBy } = await interruptible(io, (signal) => runMigration(session, checks, plan, progressPrinter(io, json), { signal }));
  endProgress(io, json);
  if (json) writeJson(io, { ...outcome, plan: migrationPreview(plan) });
  else io.stdout.write(`${outcome.message}\n`);
  // Interrupted and undone: the status a shell gives a program the signal stopped. Finished anyway: done.
  if (interruptedBy && !outcome.ok) return SIGNAL_EXIT[interruptedBy];
  return outcome.ok ? EXIT.ok : EXIT.failure;
}
