// `vespera-updates policy`: show what the host's signature policy does with an image, plan and apply
// key-enforced mode through the privileged helper, and restore a backup.

import { familyFor, loadConfig, type Config } from '../../shared/config.ts';
import { imageOf } from '../../flows/image-checks.ts';
import { connectHost } from '../../host/index.ts';
import { readFileLimited } from '../../shared/bounded.ts';
import { describeError } from '../../shared/errors.ts';
import { parseDockerReference, variantFamily, type DockerReference } from '../../shared/image-reference.ts';
import { PolicyHelperError, runPolicyHelper, type HelperReply } from '../../policy/helper-client.ts';
import { policyPaths, readPolicyHostState } from '../../policy/host-files.ts';
import { appEnforcedStatement, checkFamily, defaultKeyName, helperPlanOf, planKeyEnforced, PlanError, type HelperPlan, type KeyEnforcedPlan } from '../../policy/plan.ts';
import { parseHelperPlan } from '../../policy/policy-transaction.ts';
import { inspectPolicy, type PolicyReport } from '../../policy/policy-report.ts';
import { MAX_KEY_CHARS } from '../../policy/public-key.ts';
import { parseCommandArgs, UsageError, writeJson, type Command, type CommandIO } from '../command.ts';
import { confirm, FLOW_EXIT, refuse } from '../terminal.ts';
import { exitCodesHelp } from '../exit-codes.ts';

/** Exit code of `policy show` when policy.json (or registries.d) would not load. */
export const EXIT_POLICY_INVALID = 3;

/** The image this host boots, as rpm-ostreed says (a seam tests may replace). */
export type BootedImageLookup = (env: NodeJS.ProcessEnv, command: string) => Promise<DockerReference>;

/** Asks rpm-ostreed which registry image the host boots; a UsageError says how to name one instead. */
export const bootedImageOfHost: BootedImageLookup = async (env, command) => {
  const nameIt = (why: string): UsageError => new UsageError(`${command}: name the image, e.g. ghcr.io/OWNER/IMAGE:latest (${why})`);
  let client;
  try {
    client = await connectHost({ reactivate: false, ...(env.DBUS_SYSTEM_BUS_ADDRESS ? { busAddress: env.DBUS_SYSTEM_BUS_ADDRESS } : {}) });
  } catch (error) {
    throw nameIt(`rpm-ostreed could not be asked which image this host boots: ${describeError(error)}`);
  }
  try {
    const image = imageOf(client.state.booted);
    if (!image) throw nameIt('this host does not boot a registry image');
    return image;
  } finally {
    await client.close();
  }
};

const HELP = `usage: vespera-updates policy <show|plan|apply|restore> [options]

  policy show [--policy FILE] [--registries-d DIR] [--json] [IMAGE_REF]
      Is the signature policy valid, and what applies to IMAGE_REF and why: which scope wins,
      what ostree-image-signed: and ostree-unverified-registry: do, whether signatures are fetched.
      IMAGE_REF is ghcr.io/OWNER/IMAGE[:TAG], optionally with an ostree-image-signed:docker://
      or ostree-unverified-registry: prefix; default: the image this host boots.

  policy plan --mode key --key FILE [--family REPO,REPO...] [--scope image|per-variant|namespace]
              [--image REPO] [--default reject|keep] [--key-name NAME] [--replace] [--json]
      The changes key-enforced mode makes, as a unified diff, and what they mean. Nothing is written.
      --family   the repositories (default: every variant of the image this host boots, as
                 migrate plans it: IMAGE, IMAGE-nvidia, … IMAGE-dx-nvidia-open)
      --scope    per-variant: one rule per repository of the family (default); image: one rule for
                 the --image REPO only; namespace: one rule for their common namespace
      --default  reject: the global default becomes reject and each transport keeps today's
                 behaviour through a catch-all "" rule (needed when today's default is
                 insecureAcceptAnything); keep: leave the default as it is
      --replace  replace existing accept-anything rules for the same scopes (kept in the backup)
      A plan only ever tightens: it refuses a rule that would let through images a broader rule
      or the default refuses today.
  policy plan --mode app [--family ...]
      Why app-enforced mode writes no policy: no policy can express a GitHub keyless identity.

  policy apply [same options as plan] | --plan FILE
      Makes the planned changes through the privileged helper (pkexec asks for a password). FILE
      is the output of \`policy plan --json\`, applied only if the files did not change since.

  policy restore [BACKUP-ID] [--yes] [--json]
      Without an id, lists the backups; with one, puts those files back (itself undoable). When the
      backup's policy is looser than today's, it says what would be let through and asks first;
      --yes restores it anyway without asking.

Paths are under /etc, or the test world's etc root when the config has a world section.

${exitCodesHelp('policy show', 'policy plan', 'policy apply', 'policy restore')}`;

const PLAN_OPTIONS = {
  mode: { type: 'string' },
  key: { type: 'string' },
  family: { type: 'string' },
  scope: { type: 'string' },
  image: { type: 'string' },
  default: { type: 'string' },
  'key-name': { type: 'string' },
  replace: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

function etcRootOf(config: Config): string {
  return config.world?.etcRoot ?? '/etc';
}

/** Accepts a plain reference or the ostree prefixes rpm-ostree stores in an origin. */
export function parseImageArgument(text: string): { ref: DockerReference; prefix?: 'image-signed' | 'unverified' | 'remote' } {
  const prefixes: [RegExp, 'image-signed' | 'unverified' | 'remote' | undefined][] = [
    [/^ostree-image-signed:(?:docker:\/\/|registry:)/, 'image-signed'],
    [/^ostree-unverified-image:(?:docker:\/\/|registry:)/, 'unverified'],
    [/^ostree-unverified-registry:/, 'unverified'],
    [/^ostree-remote-image:[^:]+:(?:docker:\/\/|registry:)/, 'remote'],
    [/^ostree-remote-registry:[^:]+:/, 'remote'],
    [/^docker:\/\//, undefined],
  ];
  for (const [re, prefix] of prefixes) {
    const match = re.exec(text);
    if (match) return { ref: parseDockerReference(text.slice(match[0].length)), ...(prefix ? { prefix } : {}) };
  }
  return { ref: parseDockerReference(text) };
}

function renderReport(report: PolicyReport, prefix: string | undefined): string {
  const lines: string[] = [];
  const p = report.policy;
  if (p.valid) {
    lines.push(`${p.file}: valid; loads with ${p.requiresText}.`);
    for (const w of p.warnings) lines.push(`  warning, line ${w.at.line}: ${w.message}`);
  } else {
    lines.push(`${p.file}: INVALID.`, `  ${p.error.message}`);
  }
  const r = report.registries;
  if (r.valid) {
    lines.push(`${r.dir}: loads (${r.files.length} file${r.files.length === 1 ? '' : 's'}).`);
    for (const w of r.warnings) lines.push(`  warning, ${w.file}${w.line !== undefined ? ` line ${w.line}` : ''}: ${w.message}`);
  } else {
    lines.push(`${r.dir}: ${r.error.code === 'registries-unsupported' ? 'NOT READ (Vespera Updates cannot tell what it means)' : 'INVALID'}.`, `  ${r.error.message}`);
  }
  const image = report.image;
  if (image) {
    const at = image.applied.source === 'global-default' ? `the global default (line ${image.applied.at.line})` : `docker scope "${image.applied.scope ?? ''}" (line ${image.applied.at.line})`;
    lines.push('', `Image ${image.identity}`, `  Rule:      ${at}`);
    for (const req of image.requirements) lines.push(`  Requires:  ${req}`);
    lines.push(`  Why:       ${image.why}`);
    if (image.shadowed.length > 0) {
      lines.push(`  Ignored:   ${image.shadowed.map((s) => (s.kind === 'global-default' ? `default (line ${s.at.line})` : `"${s.scope}" (line ${s.at.line})`)).join(', ')} — less specific`);
    }
    if (image.attachments) lines.push(`  Signatures: ${image.attachments.explanation}`);
    const mark = (which: string) => (prefix === which ? '  (the prefix you named)' : '');
    lines.push(`  ostree-image-signed:        ${image.imageSigned.message}${mark('image-signed')}`);
    lines.push(`  ostree-unverified-registry: ${image.unverified.message}${mark('unverified')}`);
    if (prefix === 'remote') lines.push('  ostree-remote-registry: verifies the ostree commit with the remote\'s keys, not container signatures; it refuses layered images.');
    for (const note of image.notes) lines.push(`  Note: ${note}`);
  }
  if (p.valid && p.loopholes.length > 0) {
    lines.push('', 'Rules that let unsigned images through:');
    for (const l of p.loopholes) lines.push(`  line ${l.at.line}: ${l.message}`);
  }
  return `${lines.join('\n')}\n`;
}

function reportJson(report: PolicyReport): unknown {
  return {
    policy: report.policy.valid ? report.policy : { valid: false, file: report.policy.file, error: report.policy.error.toJSON() },
    registries: report.registries.valid ? report.registries : { valid: false, dir: report.registries.dir, error: report.registries.error.toJSON() },
    ...(report.image ? { image: report.image } : {}),
  };
}

async function show(argv: string[], io: CommandIO, booted: BootedImageLookup): Promise<number> {
  const { values, positionals } = parseCommandArgs('policy show', argv, { policy: { type: 'string' }, 'registries-d': { type: 'string' }, json: { type: 'boolean' } }, { max: 1 });
  const config = await loadConfig(io.env);
  let image;
  if (positionals[0] === undefined) {
    image = { ref: await booted(io.env, 'policy show'), prefix: '' };
  } else {
    try {
      image = parseImageArgument(positionals[0]);
    } catch (error) {
      throw new UsageError(`policy show: ${describeError(error)}`);
    }
  }
  const paths = policyPaths(etcRootOf(config));
  const report = await inspectPolicy({ policyFile: values.policy ?? paths.policyFile, registriesDir: values['registries-d'] ?? paths.registriesDir }, image.ref);
  if (values.json) writeJson(io, reportJson(report));
  else io.stdout.write(renderReport(report, image.prefix));
  return report.policy.valid && report.registries.valid ? 0 : EXIT_POLICY_INVALID;
}

type PlanValues = { [K in keyof typeof PLAN_OPTIONS]?: (typeof PLAN_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** The family a plan covers: --family, else every variant of the booted image, as `migrate` plans it. */
async function familyFrom(values: PlanValues, config: Config, env: NodeJS.ProcessEnv, command: string, booted: BootedImageLookup): Promise<{ family: string[]; key?: string; repository?: string }> {
  const listed = values.family?.split(',').map((s) => s.trim()).filter(Boolean);
  const image = listed ? undefined : await booted(env, command);
  const family = listed ?? variantFamily(image as DockerReference);
  const configured = familyFor(config, family[0] ?? '');
  return { family, ...(configured?.key ? { key: configured.key } : {}), ...(configured?.repository ? { repository: configured.repository } : {}) };
}

async function makePlan(values: PlanValues, io: CommandIO, command: string, booted: BootedImageLookup): Promise<{ config: Config; plan?: KeyEnforcedPlan; app?: string[] }> {
  const config = await loadConfig(io.env);
  const mode = values.mode ?? 'key';
  if (mode !== 'key' && mode !== 'app') throw new UsageError(`${command}: --mode is key or app`);
  const chosen = await familyFrom(values, config, io.env, command, booted);
  if (mode === 'app') return { config, app: appEnforcedStatement(checkFamily(chosen.family), chosen.repository) };
  const keyFile = values.key ?? chosen.key;
  if (!keyFile) throw new UsageError(`${command}: --key FILE is needed: the publisher's cosign public key (cosign.pub)`);
  if (values.scope !== undefined && values.scope !== 'image' && values.scope !== 'per-variant' && values.scope !== 'namespace') throw new UsageError(`${command}: --scope is image, per-variant or namespace`);
  if (values.image !== undefined && values.scope !== 'image') throw new UsageError(`${command}: --image goes with --scope image`);
  if (values.default !== undefined && values.default !== 'reject' && values.default !== 'keep') throw new UsageError(`${command}: --default is reject or keep`);
  let keyText: string;
  try {
    keyText = (await readFileLimited(keyFile, MAX_KEY_CHARS)).toString('utf8');
  } catch (error) {
    throw new UsageError(`${command}: the key file ${keyFile} cannot be read (${describeError(error)})`);
  }
  const family = checkFamily(chosen.family);
  const keyName = values['key-name'] ?? defaultKeyName(family);
  const state = await readPolicyHostState(policyPaths(etcRootOf(config)), [keyName]);
  try {
    const plan = planKeyEnforced(state, {
      family,
      scope: values.scope ?? 'per-variant',
      ...(values.image ? { image: values.image } : {}),
      ...(values.default ? { default: values.default } : {}),
      keyText,
      keyName,
      ...(values.replace ? { replace: true } : {}),
    });
    return { config, plan };
  } catch (error) {
    // The planner words the way out for the app too; at the command line, name the option that takes it.
    if (error instanceof PlanError && error.cliHint) throw new PlanError(error.code, `${error.message} (${error.cliHint})`, { cause: error });
    throw error;
  }
}

function planJson(plan: KeyEnforcedPlan): unknown {
  return {
    mode: plan.mode,
    family: plan.family,
    scopes: plan.scopes,
    default: plan.default,
    key: { name: plan.key.name, path: plan.key.hostPath, algorithm: plan.key.algorithm, fingerprint: plan.key.fingerprint },
    statements: plan.statements,
    replaced: plan.replaced,
    diff: plan.diff,
    helperPlan: helperPlanOf(plan),
  };
}

function renderPlan(plan: KeyEnforcedPlan): string {
  if (plan.changes.length === 0) return `Nothing to change: the host already enforces the key ${plan.key.hostPath} for ${plan.scopes.join(', ')}.\n`;
  return `${plan.statements.map((s) => `* ${s}`).join('\n')}\n\n${plan.diff}`;
}

async function planCommand(argv: string[], io: CommandIO, booted: BootedImageLookup): Promise<number> {
  const { values } = parseCommandArgs('policy plan', argv, PLAN_OPTIONS, { max: 0 });
  const { plan, app } = await makePlan(values, io, 'policy plan', booted);
  if (app) {
    if (values.json) writeJson(io, { mode: 'app', statements: app, changes: [] });
    else io.stdout.write(`${app.map((s) => `* ${s}`).join('\n')}\n`);
    return 0;
  }
  if (!plan) return 0;
  if (values.json) writeJson(io, planJson(plan));
  else io.stdout.write(renderPlan(plan));
  return 0;
}

async function applyCommand(argv: string[], io: CommandIO, booted: BootedImageLookup): Promise<number> {
  const { values } = parseCommandArgs('policy apply', argv, { ...PLAN_OPTIONS, plan: { type: 'string' } }, { max: 0 });
  let helperPlan: HelperPlan;
  let config: Config;
  if (values.plan) {
    config = await loadConfig(io.env);
    let saved: unknown;
    try {
      saved = JSON.parse((await readFileLimited(values.plan, 16 * 1024 * 1024)).toString('utf8'));
    } catch (error) {
      throw new UsageError(`policy apply: --plan ${values.plan} is not a readable plan (${describeError(error)})`);
    }
    const inner = (saved as { helperPlan?: unknown } | null)?.helperPlan ?? saved;
    try {
      helperPlan = parseHelperPlan(JSON.stringify(inner));
    } catch (error) {
      throw new UsageError(`policy apply: --plan ${values.plan}: ${describeError(error)}`);
    }
  } else {
    const made = await makePlan(values, io, 'policy apply', booted);
    config = made.config;
    if (made.app) throw new UsageError('policy apply: app-enforced mode writes no policy; see vespera-updates policy plan --mode app');
    const plan = made.plan as KeyEnforcedPlan;
    if (plan.changes.length === 0) {
      io.stdout.write(renderPlan(plan));
      return 0;
    }
    if (!values.json) io.stderr.write(renderPlan(plan));
    helperPlan = helperPlanOf(plan);
  }
  const reply = await runPolicyHelper(config, 'apply', { plan: helperPlan });
  if (values.json) writeJson(io, reply);
  else io.stdout.write(`${reply.message}\n`);
  return 0;
}

/**
 * Restores a backup; one whose policy is looser than today's is shown first and restored only once the
 * person confirms (or gave --yes), with the helper's consent for exactly the files it looked at.
 */
async function restoreWithConsent(config: Config, id: string, io: CommandIO, values: { yes?: boolean; json?: boolean }): Promise<HelperReply | number> {
  try {
    return await runPolicyHelper(config, 'restore', { backupId: id });
  } catch (error) {
    if (!(error instanceof PolicyHelperError) || error.code !== 'helper-restore-loosens' || !error.consent) throw error;
    const loosenings = error.loosenings ?? [];
    if (!values.json) io.stderr.write(`Restoring backup ${id} would loosen the signature policy:\n${loosenings.map((l) => `  - ${l}\n`).join('')}`);
    if (!values.yes && !(await confirm(io, 'Restore it anyway?'))) {
      const message = process.stdin.isTTY ? 'Not restored: you did not confirm. Nothing was changed.' : 'Not restored, nothing was changed: it loosens the policy; confirm with --yes when not at a terminal.';
      return refuse(io, values.json === true, FLOW_EXIT.declined, { code: 'not-confirmed', message, loosenings });
    }
    return await runPolicyHelper(config, 'restore', { backupId: id, looseningConfirmed: error.consent });
  }
}

async function restoreCommand(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseCommandArgs('policy restore', argv, { json: { type: 'boolean' }, yes: { type: 'boolean' } }, { max: 1 });
  const config = await loadConfig(io.env);
  const id = positionals[0];
  const reply = id === undefined ? await runPolicyHelper(config, 'backups') : await restoreWithConsent(config, id, io, values);
  if (typeof reply === 'number') return reply;
  if (values.json) writeJson(io, id === undefined ? reply.backups ?? [] : reply);
  else if (id === undefined) {
    const backups = reply.backups ?? [];
    if (backups.length === 0) io.stdout.write('No backups yet: the policy helper has not changed anything on this host.\n');
    for (const b of backups) {
      io.stdout.write(`${b.id}  ${b.created}  ${b.reason}${b.outcome ? ` (${b.outcome})` : ' (interrupted)'}  ${b.files.map((f) => f.hostPath).join(', ')}\n`);
    }
  } else io.stdout.write(`${reply.message}\n`);
  return 0;
}

/** The command; `bootedImage` is where the booted image comes from (rpm-ostreed, unless a test says otherwise). */
export function policyCommand(deps: { bootedImage?: BootedImageLookup } = {}): Command {
  const booted = deps.bootedImage ?? bootedImageOfHost;
  return {
    name: 'policy',
    summary: 'show, plan, apply and restore the OS signature policy (policy.json, registries.d)',
    help: HELP,
    async run(argv: string[], io: CommandIO): Promise<number> {
      const [verb, ...rest] = argv;
      switch (verb) {
        case 'show':
          return await show(rest, io, booted);
        case 'plan':
          return await planCommand(rest, io, booted);
        case 'apply':
          return await applyCommand(rest, io, booted);
        case 'restore':
          return await restoreCommand(rest, io);
        default:
          throw new UsageError(verb === undefined ? 'policy: name a subcommand (show, plan, apply, restore)' : `policy: unknown subcommand "${verb}"`);
      }
    },
  };
}
