// `vespera-updates migrate`: move this host from an unverified image reference to a signed one (or, with
// --to unverified, back for a while): show the plan, ask, run it with progress, say where the host stands.

import { migrationPreview, planMigration, type MigrationPlan } from '../../flows/migration.ts';
import { runMigration } from '../../flows/migration-run.ts';
import { ImageChecks } from '../../flows/image-checks.ts';
import { EXIT, parseCommandArgs, UsageError, writeJson, type Command, type CommandIO } from '../command.ts';
import { confirm, endProgress, FLOW_EXIT, openCliSession, progressPrinter, refuse } from '../terminal.ts';

const HELP = `usage: vespera-updates migrate [--mode auto|key|app] [--key FILE] [--scope per-variant|namespace]
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
  --scope S      per-variant (default: one rule per image variant) or namespace (one rule for the owner)
  --default D    reject (strict: only listed images and catch-all rules) or keep the current default
  --target IMAGE migrate to this image (default: the booted image's repository and tag)
  --to unverified  the temporary way back IMAGE-SIGNING.md describes (with a warning)
  --yes          do not ask for confirmation (non-interactive use)
  --json         print the plan and the outcome as JSON

Exit codes: 0 migrated (reboot to apply), 1 failed (the message says where the host stands),
            2 wrong usage, 3 nothing to do or cannot run (the plan says why), 4 not confirmed.
`;

function printPlan(io: CommandIO, plan: MigrationPlan): void {
  const lines = [`From: ${plan.from}`, `To:   ${plan.to}`, `Mode: ${plan.mode} — ${plan.modeReason}`];
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
    const scope = oneOf(values.scope, ['per-variant', 'namespace'] as const, '--scope');
    const defaultPolicy = oneOf(values.default, ['reject', 'keep'] as const, '--default');
    const to = oneOf(values.to, ['signed', 'unverified'] as const, '--to');
    const json = values.json === true;

    const session = await openCliSession(io);
    try {
      const checks = new ImageChecks(session.config, session.trust);
      const plan = await planMigration(session, checks, {
        ...(mode ? { mode } : {}),
        ...(scope ? { scope } : {}),
        ...(defaultPolicy ? { defaultPolicy } : {}),
        ...(values.key ? { keyFile: values.key } : {}),
        ...(values.target ? { target: values.target } : {}),
        ...(to ? { to } : {}),
      });
      if (!json) printPlan(io, plan);
      // The plan printed above already says why it cannot run; JSON readers get it here.
      if (!plan.canRun) return json ? refuse(io, json, FLOW_EXIT.attention, { code: 'migration-blocked', message: plan.blockedBy ?? '', mode: plan.mode, plan: migrationPreview(plan) }) : FLOW_EXIT.attention;
      if (!values.yes && !(await confirm(io, plan.mode === 'unverified' ? 'Go back to the unverified image?' : 'Migrate this host?'))) {
        const message = process.stdin.isTTY ? 'Not migrated: you did not confirm.' : 'Not migrated: confirm with --yes when not at a terminal.';
        return refuse(io, json, FLOW_EXIT.declined, { code: 'not-confirmed', message, mode: plan.mode, plan: migrationPreview(plan) });
      }
      const outcome = await runMigration(session, checks, plan, progressPrinter(io, json));
      endProgress(io, json);
      if (json) writeJson(io, { ...outcome, plan: migrationPreview(plan) });
      else io.stdout.write(`${outcome.message}\n`);
      return outcome.ok ? EXIT.ok : EXIT.failure;
    } finally {
      await session.close();
    }
  },
};
