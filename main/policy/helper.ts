// The privileged policy helper: the one program Vespera Updates runs as root (pkexec, through the shim in
// build/). Fixed verbs only (the VERBS table): apply a plan read from stdin, list backups, restore a backup,
// record which images the app enforces, and turn host-wide automatic updates on or off.

import { stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { collectLimited, withTimeout } from '../shared/bounded.ts';
import { describeError } from '../shared/errors.ts';
import { diskPathOf, policyPaths, type HelperTarget } from './host-files.ts';
import { setAutomaticUpdates } from './automatic-updates-helper.ts';
import { applyPlan, exitCodeOf, HELPER_EXIT, HelperError, listBackups, recordEnforcement, restoreBackup, type HelperContext } from './policy-transaction.ts';
import type { WriteFaults } from './safe-files.ts';

const MAX_STDIN_BYTES = 4 * 1024 * 1024;
const STDIN_TIMEOUT_MS = 30_000;

interface VerbCall {
  readonly positionals: readonly string[];
  /** Values of the verb's options, by name without the dashes. */
  readonly options: ReadonlyMap<string, string>;
  /** Standard input, for verbs with `stdin`. */
  readonly input: string;
}

interface VerbReply {
  readonly reply: Record<string, unknown>;
  readonly lines: readonly string[];
}

/**
 * A verb: its arguments (checked before anything runs) and what it does. A verb that writes files does
 * it through policy-transaction.ts's commitChanges, which gives it the lock, the backup, atomic writes,
 * read-back and rollback; see that function.
 */
interface Verb {
  readonly usage: string;
  readonly positionals: number;
  /** Options taking one value (`--name VALUE`). */
  readonly options?: readonly string[];
  /** Reads a document from standard input (at most 4 MiB, within 30 s). */
  readonly stdin?: boolean;
  run(ctx: HelperContext, call: VerbCall): Promise<VerbReply>;
}

const VERBS: Readonly<Record<string, Verb>> = {
  apply: {
    usage: 'apply [--json]          (the plan as JSON on standard input)',
    positionals: 0,
    stdin: true,
    async run(ctx, call) {
      const result = await applyPlan(ctx, call.input);
      return { reply: { ok: true, ...result }, lines: [result.message] };
    },
  },
  backups: {
    usage: 'backups [--json]',
    positionals: 0,
    async run(ctx) {
      const backups = await listBackups(ctx);
      const lines = backups.length === 0 ? ['No backups yet.'] : backups.map((b) => `${b.id}  ${b.reason}${b.outcome ? ` (${b.outcome})` : ' (incomplete)'}  ${b.files.map((f) => f.hostPath).join(', ')}`);
      return { reply: { ok: true, message: `${backups.length} backup(s).`, backups }, lines };
    },
  },
  restore: {
    usage: 'restore BACKUP-ID [--loosening-confirmed CONSENT] [--json]',
    positionals: 1,
    options: ['loosening-confirmed'],
    async run(ctx, call) {
      const confirmed = call.options.get('loosening-confirmed');
      if (confirmed !== undefined && !/^[0-9a-f]{64}$/.test(confirmed)) throw new HelperError('helper-usage', `--loosening-confirmed takes the consent the helper named.\n${usage()}`);
      const result = await restoreBackup(ctx, call.positionals[0] ?? '', confirmed !== undefined ? { looseningConfirmed: confirmed } : {});
      return { reply: { ok: true, ...result }, lines: [result.message] };
    },
  },
  enforce: {
    usage: 'enforce REPOSITORY app|none [--json]   (whether Vespera Updates enforces this image itself)',
    positionals: 2,
    async run(ctx, call) {
      const [repository = '', mode] = call.positionals;
      if (mode !== 'app' && mode !== 'none') throw new HelperError('helper-usage', `enforce takes a repository and app or none.\n${usage()}`);
      const result = await recordEnforcement(ctx, repository, mode);
      return { reply: { ok: true, ...result }, lines: [result.message] };
    },
  },
  'automatic-updates': {
    usage: 'automatic-updates on|off --expect SHA256 [--json]',
    positionals: 1,
    options: ['expect'],
    async run(ctx, call) {
      const onOff = call.positionals[0];
      const expect = call.options.get('expect');
      if ((onOff !== 'on' && onOff !== 'off') || !expect || !/^[0-9a-f]{64}$/.test(expect)) {
        throw new HelperError('helper-usage', `automatic-updates takes on or off and --expect with the SHA-256 of the files as they were shown.\n${usage()}`);
      }
      const result = await setAutomaticUpdates(ctx, onOff === 'on', expect);
      return { reply: { ok: true, ...result }, lines: [result.message] };
    },
  },
};

function usage(): string {
  const lines = Object.values(VERBS).map((v, i) => `${i === 0 ? 'usage: ' : '       '}policy-helper ${v.usage}`);
  return `${lines.join('\n')}\nRun by Vespera Updates through pkexec. --root DIR works on DIR instead of / and is for tests only.`;
}

interface Invocation {
  readonly verb: Verb;
  readonly positionals: readonly string[];
  readonly options: ReadonlyMap<string, string>;
  readonly root?: string;
}

function parseInvocation(argv: readonly string[]): Invocation {
  const rest = [...argv];
  const name = rest.shift();
  const verb = name !== undefined && Object.hasOwn(VERBS, name) ? VERBS[name] : undefined;
  if (!verb || name === undefined) throw new HelperError('helper-usage', `Unknown or missing verb${name ? ` "${name}"` : ''}.\n${usage()}`);
  let root: string | undefined;
  const options = new Map<string, string>();
  const positionals: string[] = [];
  while (rest.length > 0) {
    const arg = rest.shift() as string;
    if (arg === '--json') continue;
    if (arg === '--root' || (arg.startsWith('--') && verb.options?.includes(arg.slice(2)))) {
      const value = rest.shift();
      if (value === undefined) throw new HelperError('helper-usage', `${arg} needs a value.\n${usage()}`);
      if (arg === '--root') root = value;
      else options.set(arg.slice(2), value);
    } else if (arg.startsWith('-')) throw new HelperError('helper-usage', `Unknown option "${arg}".\n${usage()}`);
    else positionals.push(arg);
  }
  if (positionals.length !== verb.positionals) {
    throw new HelperError('helper-usage', `${name} takes ${verb.positionals === 0 ? 'no argument' : verb.positionals === 1 ? 'one argument' : `${verb.positionals} arguments`}.\n${usage()}`);
  }
  return { verb, positionals, options, ...(root !== undefined ? { root } : {}) };
}

/** Test-only faults (VESPERA_POLICY_HELPER_FAULT=kind:target), honoured only with --root. */
function faultsFrom(spec: string | undefined, root: string): WriteFaults | undefined {
  if (!spec) return undefined;
  const [kind, targetKind] = spec.split(':');
  const paths = policyPaths(join(root, 'etc'));
  const matches = (path: string): boolean => {
    if (targetKind === 'key') return path.startsWith(`${paths.keyDir}/`);
    const target: HelperTarget | undefined =
      targetKind === 'policy' ? { kind: 'policy' } : targetKind === 'registries' ? { kind: 'registries' } : targetKind === 'enforcement' ? { kind: 'enforcement' } : undefined;
    return target !== undefined && diskPathOf(paths, target) === path;
  };
  switch (kind) {
    case 'pause-until-released': {
      // A test holds the helper in the middle of its step: it says so in ROOT/helper-paused and waits
      // until ROOT/helper-released exists; once released, later runs (an undo) do not pause again.
      const released = join(root, 'helper-released');
      const exists = async (path: string): Promise<boolean> => (await stat(path).catch(() => undefined)) !== undefined;
      return {
        beforeRename: async (path) => {
          if (!matches(path) || (await exists(released))) return;
          await writeFile(join(root, 'helper-paused'), `${process.pid}\n`);
          for (let waited = 0; waited < 120_000 && !(await exists(released)); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
        },
      };
    }
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

async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<VerbReply> {
  const invocation = parseInvocation(argv);
  const ctx = await context(invocation, env);
  let input = '';
  if (invocation.verb.stdin) {
    try {
      input = (await withTimeout(collectLimited(process.stdin, MAX_STDIN_BYTES, 'the plan on standard input'), STDIN_TIMEOUT_MS, 'the plan on standard input')).toString('utf8');
    } catch (error) {
      throw new HelperError('helper-refused-input', `Refused, nothing was changed: ${describeError(error)}`);
    }
  }
  return await invocation.verb.run(ctx, { positionals: invocation.positionals, options: invocation.options, input });
}

async function main(): Promise<number> {
  process.umask(0o022);
  // Ctrl-C reaches every process of the terminal's job, this one too: the helper finishes its step
  // (it is short, and its own backup puts everything back if it fails) rather than stop half-way.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
  const argv = process.argv.slice(2);
  const json = argv.includes('--json');
  try {
    const { reply, lines } = await run(argv, process.env);
    process.stdout.write(json ? `${JSON.stringify(reply)}\n` : `${lines.join('\n')}\n`);
    return HELPER_EXIT.ok;
  } catch (error) {
    const helperError = error instanceof HelperError ? error : new HelperError('helper-failure', `Unexpected failure: ${describeError(error)}`);
    const message = helperError.message.split('\n')[0] ?? helperError.message;
    if (json) process.stdout.write(`${JSON.stringify({ ...helperError.details, ok: false, code: helperError.code, message })}\n`);
    process.stderr.write(`${helperError.code === 'helper-usage' ? helperError.message : message}\n`);
    return exitCodeOf(helperError.code);
  }
}

process.exitCode = await main();
