// The last good verdict per digest, kept for this user across runs: when a signature cannot be checked
// (offline, registry down) the app says so and shows when that exact digest last verified, and by whom.
//
// $XDG_STATE_HOME/vespera-updates/verdicts.json. A digest's content never changes, so "verified at T
// for this expectation" stays true of it; a damaged file only loses the memory, never invents a verdict.

import { join } from 'node:path';
import { readFileLimited } from '../shared/bounded.ts';
import { writeUserFile } from '../shared/user-files.ts';

export interface RememberedVerdict {
  readonly checkedAt: string;
  readonly signedBy: string;
}

const VERSION = 1;
const MAX_BYTES = 256 * 1024;
const MAX_ENTRIES = 64;

/** The question a verdict answered: which image digest, against which expected signer. */
export function verdictKey(repository: string, digest: string, expectation: string): string {
  return `${repository}@${digest}#${expectation}`;
}

export class VerdictMemory {
  readonly #file: string;
  #entries = new Map<string, RememberedVerdict>();
  #loaded: Promise<void> | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.#file = join(stateDir, 'verdicts.json');
  }

  async #load(): Promise<void> {
    this.#loaded ??= (async () => {
      try {
        const data = JSON.parse((await readFileLimited(this.#file, MAX_BYTES)).toString('utf8')) as { version?: unknown; entries?: unknown };
        if (data.version !== VERSION || !Array.isArray(data.entries)) return;
        for (const entry of data.entries.slice(-MAX_ENTRIES) as unknown[]) {
          const e = entry as { key?: unknown; checkedAt?: unknown; signedBy?: unknown };
          if (typeof e.key !== 'string' || typeof e.checkedAt !== 'string' || typeof e.signedBy !== 'string') continue;
          if (e.key.length > 1024 || e.signedBy.length > 1024 || Number.isNaN(Date.parse(e.checkedAt))) continue;
          this.#entries.set(e.key, { checkedAt: e.checkedAt, signedBy: e.signedBy });
        }
      } catch {
        // No memory yet, or a damaged one: start empty.
      }
    })();
    await this.#loaded;
  }

  async get(key: string): Promise<RememberedVerdict | undefined> {
    await this.#load();
    return this.#entries.get(key);
  }

  /** Remembers a verification; writes are serialised and a failed write only costs the memory. */
  async remember(key: string, verdict: RememberedVerdict): Promise<void> {
    await this.#load();
    this.#entries.delete(key);
    this.#entries.set(key, verdict);
    while (this.#entries.size > MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value as string);
    const entries = [...this.#entries].map(([k, v]) => ({ key: k, ...v }));
    this.#writing = this.#writing.then(() => writeUserFile(this.#file, `${JSON.stringify({ version: VERSION, entries })}\n`)).catch(() => {});
    await this.#writing;
  }
}
