// Every run that changes the host writes down what it means to do before it changes anything, and each
// step as it completes, so that whatever stops it (Ctrl-C, SIGTERM, a crash, a reboot) the next run,
// any user's, can find the unfinished run and finish or undo it.
//
// Records live in the host's runs folder (/var/lib/vespera-updates/runs: sticky and writable by every
// user, so a record belongs to whoever started the run and anyone can read it). A record is deleted by
// its owner when the run ends; another user who resolves it leaves a `.resolved` marker instead.

import { randomBytes } from 'node:crypto';
import { readdir, stat, unlink } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { readFileLimited } from '../shared/bounded.ts';
import { isSha256Digest, type Sha256Digest } from '../shared/image-reference.ts';
import { writeUserFile } from '../shared/user-files.ts';

export const RUN_FORMAT = 'vespera-run/1';
const MAX_RECORD_BYTES = 64 * 1024;
const MAX_RECORDS = 32;
const RECORD = /^run-[0-9a-f]{16}\.json$/;

/** What a migration set out to do, in terms the host can be checked against. */
export interface MigrationIntent {
  readonly kind: 'migrate';
  readonly mode: 'key-enforced' | 'app-enforced' | 'unverified';
  /** The origin the host followed before, and the one it should follow. */
  readonly from: string;
  readonly to: string;
  readonly repository: string;
  readonly verifiedDigest?: Sha256Digest;
  readonly platformDigest?: Sha256Digest;
  /** sha256 of policy.json and of the enforcement record before the run (null: the file did not exist). */
  readonly policyBefore: string | null;
  readonly enforcementBefore: string | null;
  readonly writesPolicy: boolean;
  /** What the policy step writes (host path and SHA-256): undoing restores over exactly these files. */
  readonly policyWrites?: readonly { readonly hostPath: string; readonly sha256: string }[];
  readonly recordsEnforcement?: 'app' | 'none';
}

export interface RollbackIntent {
  readonly kind: 'rollback';
  readonly discardStaged: boolean;
  /** The deployment that should boot next, and what boots now. */
  readonly targetId: string;
  readonly targetVersion?: string;
  readonly bootedId?: string;
}

export type RunStep =
  | { readonly step: 'policy-written'; readonly backup?: string }
  | { readonly step: 'transaction-started'; readonly what: string }
  | { readonly step: 'staged'; readonly deploymentId?: string; readonly digest?: string; readonly locked: boolean }
  | { readonly step: 'enforcement-recorded'; readonly backup?: string }
  | { readonly step: 'staged-discarded' }
  | { readonly step: 'rolled-back' };

export interface RunRecord {
  readonly format: typeof RUN_FORMAT;
  readonly id: string;
  readonly uid: number;
  readonly user?: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly intent: MigrationIntent | RollbackIntent;
  /** Steps completed, in order, with what undoing them needs. */
  readonly done: readonly RunStep[];
  /** The step under way when the record was last written. */
  readonly current?: string;
}

/** The runs folder of a host state folder. */
export function runsDir(hostStateDir: string): string {
  return join(hostStateDir, 'runs');
}

function who(): { uid: number; user?: string } {
  const uid = process.getuid?.() ?? -1;
  try {
    return { uid, user: userInfo().username };
  } catch {
    return { uid };
  }
}

/** One run's record, kept current as the run goes. */
export class RunJournal {
  readonly file: string;
  #record: RunRecord;

  private constructor(file: string, record: RunRecord) {
    this.file = file;
    this.#record = record;
  }

  /** Writes the intent before anything changes; a run that cannot write it does not start. */
  static async begin(hostStateDir: string, intent: RunRecord['intent'], now: Date): Promise<RunJournal> {
    const id = randomBytes(8).toString('hex');
    const record: RunRecord = { format: RUN_FORMAT, id, ...who(), pid: process.pid, startedAt: now.toISOString(), intent, done: [] };
    const journal = new RunJournal(join(runsDir(hostStateDir), `run-${id}.json`), record);
    await journal.#write();
    return journal;
  }

  get record(): RunRecord {
    return this.#record;
  }

  async starting(step: string): Promise<void> {
    this.#record = { ...this.#record, current: step };
    await this.#write();
  }

  async completed(step: RunStep): Promise<void> {
    const { current: _, ...rest } = this.#record;
    this.#record = { ...rest, done: [...rest.done, step] };
    await this.#write();
  }

  has(step: RunStep['step']): boolean {
    return this.#record.done.some((s) => s.step === step);
  }

  /** The run is over (as planned or undone): its record goes. */
  async finish(): Promise<void> {
    await unlink(this.file).catch(() => {});
  }

  async #write(): Promise<void> {
    await writeUserFile(this.file, `${JSON.stringify(this.#record, null, 1)}\n`, { mode: 0o644 });
  }
}

function parseRecord(text: string, name: string): RunRecord | undefined {
  let r: Partial<RunRecord>;
  try {
    r = JSON.parse(text) as Partial<RunRecord>;
  } catch {
    return undefined;
  }
  if (r.format !== RUN_FORMAT || typeof r.id !== 'string' || name !== `run-${r.id}.json` || typeof r.uid !== 'number' || typeof r.pid !== 'number') return undefined;
  if (typeof r.startedAt !== 'string' || Number.isNaN(Date.parse(r.startedAt)) || !Array.isArray(r.done) || typeof r.intent !== 'object' || r.intent === null) return undefined;
  const intent = r.intent as { kind?: unknown; to?: unknown; from?: unknown; repository?: unknown; platformDigest?: unknown; targetId?: unknown };
  if (intent.kind === 'migrate') {
    if (typeof intent.to !== 'string' || typeof intent.from !== 'string' || typeof intent.repository !== 'string') return undefined;
    if (intent.platformDigest !== undefined && !isSha256Digest(intent.platformDigest)) return undefined;
  } else if (intent.kind === 'rollback') {
    if (typeof intent.targetId !== 'string') return undefined;
  } else return undefined;
  return r as RunRecord;
}

/** Records of runs that did not finish (none is running: the caller holds the host lock). */
export async function unfinishedRuns(hostStateDir: string): Promise<Array<{ record: RunRecord; file: string; ownedByMe: boolean }>> {
  const dir = runsDir(hostStateDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const resolved = new Set(names.filter((n) => n.endsWith('.resolved')).map((n) => n.slice(0, -'.resolved'.length)));
  const me = process.getuid?.() ?? -1;
  const out: Array<{ record: RunRecord; file: string; ownedByMe: boolean }> = [];
  for (const name of names.filter((n) => RECORD.test(n) && !resolved.has(n)).sort().slice(0, MAX_RECORDS)) {
    const file = join(dir, name);
    try {
      const info = await stat(file);
      const record = parseRecord((await readFileLimited(file, MAX_RECORD_BYTES)).toString('utf8'), name);
      // A record claims a uid; the file's owner is what the kernel says.
      if (record && (info.uid === record.uid || info.uid === 0)) out.push({ record, file, ownedByMe: info.uid === me });
    } catch {
      // Gone meanwhile, or unreadable: nothing to resolve from it.
    }
  }
  return out;
}

/** Marks a record resolved: its owner deletes it; anyone else leaves a marker beside it. */
export async function markResolved(entry: { file: string; ownedByMe: boolean }): Promise<void> {
  if (entry.ownedByMe) {
    await unlink(entry.file).catch(() => {});
    return;
  }
  await writeUserFile(`${entry.file}.resolved`, `${new Date().toISOString()}\n`, { mode: 0o644 });
}
