// Runs the privileged policy helper for the app and the CLI: through pkexec on a host, directly with
// --root in the test world and demo (when the app config has a `world` section). Parses its reply.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectLimited, withTimeout } from '../shared/bounded.ts';
import { CodedError } from '../shared/errors.ts';
import type { HelperPlan } from './plan.ts';
import type { BackupManifest, HelperCode } from './policy-transaction.ts';

/** Where the package installs the shim that pkexec runs (build/policy-helper); polkit matches this path. */
export const HELPER_SHIM = '/usr/libexec/vespera-updates/policy-helper';
export const POLKIT_ACTION = 'io.github.vespera.Updates.container-policy';

export type HelperClientCode = HelperCode | 'helper-cancelled' | 'helper-unavailable' | 'helper-bad-reply';

export class PolicyHelperError extends CodedError<HelperClientCode> {
  readonly exitCode?: number;
  /** For helper-restore-loosens: what the restore would loosen, and the consent to pass back once confirmed. */
  readonly loosenings?: readonly string[];
  readonly consent?: string;

  constructor(code: HelperClientCode, message: string, exitCode?: number, details: { loosenings?: readonly string[]; consent?: string } = {}) {
    super(code, message);
    if (exitCode !== undefined) this.exitCode = exitCode;
    if (details.loosenings) this.loosenings = details.loosenings;
    if (details.consent) this.consent = details.consent;
  }
}

export interface HelperReply {
  readonly message: string;
  readonly backup?: string;
  readonly changed?: readonly string[];
  readonly backups?: readonly BackupManifest[];
}

/** Where the helper works: the app config's `world` section (test world, demo) means a private root. */
export interface HelperSite {
  readonly world?: { readonly root: string; readonly etcRoot: string };
}

export interface HelperCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** True when the helper runs through pkexec (a password prompt may appear). */
  readonly privileged: boolean;
}

const MAX_REPLY_BYTES = 1024 * 1024;
/** pkexec waits for the person at the password prompt; the helper itself takes seconds. */
const PKEXEC_TIMEOUT_MS = 5 * 60_000;
const DIRECT_TIMEOUT_MS = 60_000;

/** The helper's own source (`.ts` when running from source, `.js` once built). */
function helperScript(): string {
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return fileURLToPath(new URL(`./helper.${extension}`, import.meta.url));
}

/** The helper's fixed verbs (main/policy/helper.ts). */
export type HelperVerb = 'apply' | 'backups' | 'restore' | 'enforce' | 'automatic-updates';

export function helperCommand(config: HelperSite, verb: HelperVerb, extra: readonly string[] = []): HelperCommand {
  if (config.world) {
    if (config.world.etcRoot !== join(config.world.root, 'etc')) {
      throw new PolicyHelperError('helper-unavailable', `The test world's etc root must be ${join(config.world.root, 'etc')} for the policy helper; fix the world section of the config.`);
    }
    return {
      command: process.execPath,
      args: ['--disable-warning=ExperimentalWarning', helperScript(), verb, ...extra, '--root', config.world.root, '--json'],
      privileged: false,
    };
  }
  return { command: 'pkexec', args: [HELPER_SHIM, verb, ...extra, '--json'], privileged: true };
}

export interface HelperCallOptions {
  readonly plan?: HelperPlan;
  readonly backupId?: string;
  /** restore: the consent the helper named when it refused a loosening restore, once the person agreed. */
  readonly looseningConfirmed?: string;
  /** enforce: the repository and whether the app enforces it. */
  readonly enforce?: { readonly repository: string; readonly mode: 'app' | 'none' };
  /** Other verbs' arguments (automatic-updates on|off --expect …). */
  readonly args?: readonly string[];
}

/** Runs one helper verb and returns its reply, or throws a PolicyHelperError with its code and message. */
export async function runPolicyHelper(config: HelperSite, verb: HelperVerb, options: HelperCallOptions = {}): Promise<HelperReply> {
  const extra = [
    ...(options.backupId !== undefined ? [options.backupId] : options.enforce ? [options.enforce.repository, options.enforce.mode] : (options.args ?? [])),
    ...(options.looseningConfirmed !== undefined ? ['--loosening-confirmed', options.looseningConfirmed] : []),
  ];
  const cmd = helperCommand(config, verb, extra);
  const env = { ...process.env };
  // Test-only faults reach a helper working on a test world's root (it honours them only with --root).
  if (!config.world) delete env.VESPERA_POLICY_HELPER_FAULT;
  const child = spawn(cmd.command, cmd.args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  try {
    await spawned;
  } catch (error) {
    throw new PolicyHelperError(
      'helper-unavailable',
      cmd.privileged ? `pkexec could not be started (${(error as Error).message}); install polkit (the pkexec command) to change the container policy.` : `The policy helper could not be started (${(error as Error).message}).`,
    );
  }
  child.stdin.end(options.plan ? JSON.stringify(options.plan) : '');
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const timeout = cmd.privileged ? PKEXEC_TIMEOUT_MS : DIRECT_TIMEOUT_MS;
  let stdout: string;
  let stderr: string;
  let code: number | null;
  try {
    [stdout, stderr, code] = await withTimeout(
      Promise.all([
        collectLimited(child.stdout, MAX_REPLY_BYTES, 'the policy helper').then((b) => b.toString('utf8')),
        collectLimited(child.stderr, MAX_REPLY_BYTES, 'the policy helper').then((b) => b.toString('utf8')),
        exited,
      ]),
      timeout,
      'The policy helper',
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw new PolicyHelperError('helper-unavailable', (error as Error).message);
  }
  // pkexec's own exit codes: 126 = the person dismissed the prompt or was not authorised, 127 = not authenticated.
  if (cmd.privileged && (code === 126 || code === 127) && !stdout.trim()) {
    throw new PolicyHelperError('helper-cancelled', 'The change was not made: authentication was cancelled or refused.', code);
  }
  let reply: { ok?: unknown; code?: unknown; message?: unknown; loosenings?: unknown; consent?: unknown } & HelperReply;
  try {
    reply = JSON.parse(stdout.trim().split('\n').pop() ?? '') as typeof reply;
  } catch {
    const said = stderr.trim().split('\n')[0] ?? '';
    throw new PolicyHelperError('helper-bad-reply', `The policy helper failed without a readable answer (exit code ${String(code)})${said ? `: ${said}` : ''}.`, code ?? undefined);
  }
  if (typeof reply.message !== 'string') throw new PolicyHelperError('helper-bad-reply', 'The policy helper answered without a message.', code ?? undefined);
  if (reply.ok !== true || code !== 0) {
    const loosenings = Array.isArray(reply.loosenings) ? reply.loosenings.filter((l): l is string => typeof l === 'string') : undefined;
    const consent = typeof reply.consent === 'string' && /^[0-9a-f]{64}$/.test(reply.consent) ? reply.consent : undefined;
    throw new PolicyHelperError(typeof reply.code === 'string' ? (reply.code as HelperCode) : 'helper-failure', reply.message, code ?? undefined, { ...(loosenings ? { loosenings } : {}), ...(consent ? { consent } : {}) });
  }
  return reply;
}
