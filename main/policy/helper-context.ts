// What every verb of the privileged helper shares: its coded errors and exit codes, where it works (the
// root, the files it may write and their limits), reading a target safely, and the one-change-at-a-time lock.

import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { CodedError } from '../shared/errors.ts';
import { diskPathOf, policyPaths, type HelperTarget, type PolicyPaths } from './host-files.ts';
import { MAX_ENFORCEMENT_CHARS } from './host-enforcement.ts';
import { MAX_RPM_OSTREED_CONF_BYTES } from './rpm-ostreed-conf.ts';
import { MAX_POLICY_CHARS } from './policy-parse.ts';
import { MAX_KEY_CHARS } from './public-key.ts';
import { checkTarget, readRegular, removeFile, type WriteFaults } from './safe-files.ts';

/** Exit codes of the helper program; each failure code says whether anything changed. */
export const HELPER_EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  refusedInput: 3,
  stalePlan: 4,
  unsafeTarget: 5,
  revalidationFailed: 6,
  writeFailed: 7,
  restoreFailed: 8,
  notAuthorized: 9,
  notFound: 10,
  restoreLoosens: 11,
} as const;

export type HelperCode =
  | 'helper-failure'
  | 'helper-usage'
  | 'helper-refused-input'
  | 'helper-stale-plan'
  | 'helper-unsafe-target'
  | 'helper-revalidation-failed'
  | 'helper-write-failed'
  | 'helper-restore-failed'
  | 'helper-not-authorized'
  | 'helper-not-found'
  | 'helper-restore-loosens';

const EXIT_OF: Record<HelperCode, number> = {
  'helper-failure': HELPER_EXIT.failure,
  'helper-usage': HELPER_EXIT.usage,
  'helper-refused-input': HELPER_EXIT.refusedInput,
  'helper-stale-plan': HELPER_EXIT.stalePlan,
  'helper-unsafe-target': HELPER_EXIT.unsafeTarget,
  'helper-revalidation-failed': HELPER_EXIT.revalidationFailed,
  'helper-write-failed': HELPER_EXIT.writeFailed,
  'helper-restore-failed': HELPER_EXIT.restoreFailed,
  'helper-not-authorized': HELPER_EXIT.notAuthorized,
  'helper-not-found': HELPER_EXIT.notFound,
  'helper-restore-loosens': HELPER_EXIT.restoreLoosens,
};

export class HelperError extends CodedError<HelperCode> {
  /** Extra fields of the JSON reply (e.g. what a restore would loosen), for the app to show. */
  readonly details?: Readonly<Record<string, unknown>>;

  constructor(code: HelperCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(code, message, options);
    if (options?.details) this.details = options.details;
  }

  get exitCode(): number {
    return EXIT_OF[this.code];
  }
}

export function exitCodeOf(code: HelperCode): number {
  return EXIT_OF[code];
}

export interface HelperContext {
  /** `/` on a host; a temp folder in tests. etc is `root/etc`, backups `root/var/lib/…`. */
  readonly root: string;
  readonly faults?: WriteFaults;
  /** Who asked (PKEXEC_UID), recorded in the backup. */
  readonly requestedBy?: string;
}

export interface HelperResult {
  readonly message: string;
  readonly backup?: string;
  readonly changed: readonly string[];
}

/**
 * Per kind of file the helper may write: the order changes are written in (what others refer to goes
 * first: a key before the policy that trusts it), its size limit, and its file mode. A new target kind
 * (host-files.ts's HelperTarget) adds one row here.
 */
export const TARGET_RULES: Readonly<Record<HelperTarget['kind'], { readonly order: number; readonly maxBytes: number; readonly mode: number }>> = {
  key: { order: 0, maxBytes: MAX_KEY_CHARS, mode: 0o644 },
  registries: { order: 1, maxBytes: MAX_POLICY_CHARS, mode: 0o644 },
  policy: { order: 2, maxBytes: MAX_POLICY_CHARS, mode: 0o644 },
  enforcement: { order: 3, maxBytes: MAX_ENFORCEMENT_CHARS, mode: 0o644 },
  'automatic-updates': { order: 4, maxBytes: 64 * 1024, mode: 0o644 },
  'rpm-ostreed-conf': { order: 5, maxBytes: MAX_RPM_OSTREED_CONF_BYTES, mode: 0o644 },
};

export function pathsOf(ctx: HelperContext): PolicyPaths {
  return policyPaths(join(ctx.root, 'etc'));
}

export function refuse(message: string): never {
  throw new HelperError('helper-refused-input', `Refused, nothing was changed: ${message}`);
}

/** The target's current text (null when absent), read without following links. */
export async function currentText(ctx: HelperContext, target: HelperTarget, create: boolean): Promise<string | null> {
  const path = diskPathOf(pathsOf(ctx), target);
  try {
    await checkTarget(ctx.root, path, create);
    const bytes = await readRegular(path, TARGET_RULES[target.kind].maxBytes);
    return bytes === null ? null : bytes.toString('utf8');
  } catch (error) {
    if (error instanceof CodedError && error.code === 'unsafe-target') throw new HelperError('helper-unsafe-target', `Refused, nothing was changed: ${error.message}`);
    throw error;
  }
}

/** One change at a time: a second apply or restore (a double click, the CLI and the app) waits its turn by refusing. */
export async function withLock<T>(ctx: HelperContext, work: () => Promise<T>): Promise<T> {
  const folder = join(ctx.root, 'var', 'lib', 'vespera-updates');
  await checkTarget(ctx.root, join(folder, 'x'), true);
  const lock = join(folder, 'policy-helper.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const holder = Number((await readRegular(lock, 64).catch(() => null))?.toString('utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
        throw new HelperError('helper-refused-input', `Refused, nothing was changed: another policy change (process ${holder}) is in progress; try again when it has finished.`);
      }
      await removeFile(lock);
    }
  }
  try {
    return await work();
  } finally {
    await removeFile(lock);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
