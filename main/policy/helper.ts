// The privileged policy helper: the one program Vespera Updates runs as root (pkexec, through the shim in
// build/). Fixed verbs only: apply a plan read from stdin, list backups, restore a backup, and record
// which images the app enforces itself (/etc/vespera-updates/enforcement.json).

import { stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { collectLimited, withTimeout } from '../shared/bounded.ts';
import { describeError } from '../shared/errors.ts';
import { diskPathOf, policyPaths, type PlanTarget } from './host-files.ts';
import { applyPlan, exitCodeOf, HELPER_EXIT, HelperError, listBackups, recordEnforcement, restoreBackup, type HelperContext, type HelperResult } from './policy-transaction.ts';
import type { WriteFaults } from './safe-files.ts';

const USAGE = `usage: policy-helper apply [--json]          (the plan as JSON on standard input)
       policy-helper backups [--json]
       policy-helper restore BACKUP-ID [--json]
       policy-helper enforce REPOSITORY app|none [--json]
Run by Vespera Updates through pkexec. --root DIR works on DIR instead of / and is for tests only.`;

const MAX_PLAN_BYTES = 4 * 1024 * 1024;
const STDIN_TIMEOUT_MS = 30_000;

interface Invocation {
  readonly verb: 'apply' | 'backups' | 'restore' | 'enforce';
  readonly id?: string;
  readonly enforce?: { readonly repository: string; readonly mode: 'app' | 'none' };
  readonly root?: string;
  readonly json: boolean;
}

function parseInvocation(argv: readonly string[]): Invocation {
  const rest = [...argv];
  const verb = rest.shift();
  if (verb !== 'apply' && verb !== 'backups' && verb !== 'restore' && verb !== 'enforce') throw new HelperError('helper-usage', `Unknown or missing verb${verb ? ` "${verb}"` : ''}.\n${USAGE}`);
  let root: string | undefined;
  let json = false;
  const positional: string[] = [];
  while (rest.length > 0) {
    const arg = rest.shift() as string;
    if (arg === '--json') json = true;
    else if (arg === '--root') {
      root = rest.shift();
      if (!root) throw new HelperError('helper-usage', `--root needs a folder.\n${USAGE}`);
    } else if (arg.startsWith('-')) throw new HelperError('helper-usage', `Unknown option "${arg}".\n${USAGE}`);
    else positional.push(arg);
  }
  if (verb === 'restore' && positional.length !== 1) throw new HelperError('helper-usage', `restore needs one backup id.\n${USAGE}`);
  if (verb === 'enforce') {
    const [repository, mode] = positional;
    if (positional.length !== 2 || !repository || (mode !== 'app' && mode !== 'none')) throw new HelperError('helper-usage', `enforce needs a repository and app or none.\n${USAGE}`);
    return { verb, json, ...(root !== undefined ? { root } : {}), enforce: { repository, mode } };
  }
  if (verb !== 'restore' && positional.length > 0) throw new HelperError('helper-usage', `${verb} takes no argument.\n${USAGE}`);
  return { verb, json, ...(root !== undefined ? { root } : {}), ...(verb === 'restore' ? { id: positional[0] } : {}) };
}

/** Test-only faults (VESPERA_POLICY_HELPER_FAULT=kind:target), honoured only with --root. */
function faultsFrom(spec: string | undefined, root: string): WriteFaults | undefined {
  if (!spec) return undefined;
  const [kind, targetKind] = spec.split(':');
  const paths = policyPaths(join(root, 'etc'));
  const matches = (path: string): boolean => {
    if (targetKind === 'key') return path.startsWith(`${paths.keyDir}/`);
    const target: PlanTarget | undefined = targetKind === 'policy' ? { kind: 'policy' } : targetKind === 'registries' ? { kind: 'registries' } : undefined;
    return target !== undefined && diskPathOf(paths, target) === path;
  };
  switch (kind) {
    case 'pause-before-rename':
      return {
        beforeRename: async (path) => {
          if (!matches(path)) return;
          process.stderr.write(`paused before renaming onto ${path}\n`);
          await new Promise((resolve) => setTimeout(resolve, 60_000));
        },
      };
    case 'corrupt-after-write':
      return { afterRename: async (path) => (matches(path) ? await writeFile(path, '{ "default": [ corrupted by a concurrent writer\n') : undefined) };
    case 'fail-write':
      return {
        beforeWrite: async (path) => {
          if (matches(path)) await Promise.reject(new Error(`simulated I/O error writing ${path}`));
        },
      };
    default:
      throw new HelperError('helper-usage', `Unknown fault "${spec}".`);
  }
}

async function context(invocation: Invocation, env: NodeJS.ProcessEnv): Promise<HelperContext> {
  if (invocation.root !== undefined) {
    // A test root must never be reachable with root privileges granted by polkit.
    if (env.PKEXEC_UID !== undefined) throw new HelperError('helper-not-authorized', '--root is for tests only and is refused when run through pkexec.');
    if (!isAbsolute(invocation.root) || !(await stat(invocation.root).catch(() => undefined))?.isDirectory()) {
      throw new HelperError('helper-usage', `--root ${invocation.root} is not an existing absolute folder.`);
    }
    const faults = faultsFrom(env.VESPERA_POLICY_HELPER_FAULT, invocation.root);
    return { root: invocation.root, ...(faults ? { faults } : {}) };
  }
  if (process.getuid?.() !== 0) throw new HelperError('helper-not-authorized', 'The policy helper must run as root; Vespera Updates starts it through pkexec.');
  return { root: '/', ...(env.PKEXEC_UID ? { requestedBy: `uid ${env.PKEXEC_UID}` } : {}) };
}

async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; reply: Record<string, unknown>; lines: string[] }> {
  const invocation = parseInvocation(argv);
  const ctx = await context(invocation, env);
  if (invocation.verb === 'backups') {
    const backups = await listBackups(ctx);
    const lines = backups.length === 0 ? ['No backups yet.'] : backups.map((b) => `${b.id}  ${b.reason}${b.outcome ? ` (${b.outcome})` : ' (incomplete)'}  ${b.files.map((f) => f.hostPath).join(', ')}`);
    return { code: HELPER_EXIT.ok, reply: { ok: true, message: `${backups.length} backup(s).`, backups }, lines };
  }
  let result: HelperResult;
  if (invocation.verb === 'restore') result = await restoreBackup(ctx, invocation.id as string);
  else if (invocation.enforce) result = await recordEnforcement(ctx, invocation.enforce.repository, invocation.enforce.mode);
  else {
    let text: string;
    try {
      text = (await withTimeout(collectLimited(process.stdin, MAX_PLAN_BYTES, 'the plan on standard input'), STDIN_TIMEOUT_MS, 'the plan on standard input')).toString('utf8');
    } catch (error) {
      throw new HelperError('helper-refused-input', `Refused, nothing was changed: ${describeError(error)}`);
    }
    result = await applyPlan(ctx, text);
  }
  return { code: HELPER_EXIT.ok, reply: { ok: true, ...result }, lines: [result.message] };
}

async function main(): Promise<number> {
  process.umask(0o022);
  const argv = process.argv.slice(2);
  const json = argv.includes('--json');
  try {
    const { code, reply, lines } = await run(argv, process.env);
    process.stdout.write(json ? `${JSON.stringify(reply)}\n` : `${lines.join('\n')}\n`);
    return code;
  } catch (error) {
    const helperError = error instanceof HelperError ? error : new HelperError('helper-failure', `Unexpected failure: ${describeError(error)}`);
    const message = helperError.message.split('\n')[0] ?? helperError.message;
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, code: helperError.code, message })}\n`);
    process.stderr.write(`${helperError.code === 'helper-usage' ? helperError.message : message}\n`);
    return exitCodeOf(helperError.code);
  }
}

process.exitCode = await main();
