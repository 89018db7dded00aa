// The watch's signature answers, one per repository and manifest digest: each check started once (or
// afresh when asked), awaitable by the operation that needs it, and a verified answer remembered on disk.

import { repositoryName, type DockerReference } from '../shared/image-reference.ts';
import { isVerified, verdictOfCode } from '../trust/index.ts';
import { failureOf, type Expectation, type ImageChecks } from './image-checks.ts';
import type { FlowSession } from './session.ts';
import { VerdictMemory, verdictKey } from './verdict-memory.ts';
import { signatureView, signedBy, type CheckState } from './views.ts';

/** The key of one check: the repository and the manifest digest that is (or would be) booted. */
export function checkKey(image: DockerReference, platformDigest: string): string {
  return `${repositoryName(image)}@${platformDigest}`;
}

type CheckRun = () => Promise<Awaited<ReturnType<ImageChecks['checkDeployment']>>>;

export interface DigestCheckHooks {
  /** The watch's work in flight (what `settle` waits on); a check is in it while it runs. */
  readonly pending: Pick<Set<Promise<unknown>>, 'add' | 'delete'>;
  /** A check has its answer (or failed to get one). */
  readonly ended: () => void;
}

export class DigestChecks {
  readonly #session: FlowSession;
  readonly #checks: ImageChecks;
  readonly #hooks: DigestCheckHooks;
  readonly #states = new Map<string, CheckState>();
  readonly #expectations = new Map<string, Expectation>();
  /** The running check per digest, so an operation can wait for the one it needs (never for itself). */
  readonly #running = new Map<string, Promise<void>>();
  readonly #memory: VerdictMemory;
  /** Bumped when every answer is forgotten, so checks started before cannot write stale ones. */
  #generation = 0;

  constructor(session: FlowSession, checks: ImageChecks, hooks: DigestCheckHooks) {
    this.#session = session;
    this.#checks = checks;
    this.#hooks = hooks;
    this.#memory = new VerdictMemory(session.stateDir);
  }

  stateOf(key: string): CheckState | undefined {
    return this.#states.get(key);
  }

  /** What a signature of this repository must show, once it has been worked out. */
  expectationOf(image: DockerReference): Expectation | undefined {
    return this.#expectations.get(repositoryName(image));
  }

  /** Works out (once per repository) what a signature of this image's repository must show. */
  async expect(image: DockerReference): Promise<Expectation> {
    const key = repositoryName(image);
    let expectation = this.#expectations.get(key);
    if (!expectation) {
      expectation = await this.#checks.expectationFor(image);
      this.#expectations.set(key, expectation);
    }
    return expectation;
  }

  /** Waits for the check of one digest, if one is running. */
  async checked(key: string): Promise<CheckState | undefined> {
    await this.#running.get(key);
    return this.#states.get(key);
  }

  /** Forgets every answer; checks still running are ignored when they end. */
  forgetAll(): void {
    this.#generation++;
    this.#states.clear();
  }

  /** Starts the check of one digest, unless it has an answer already (or `fresh` asks for a new one). */
  start(key: string, run: CheckRun, fresh = false): void {
    const known = this.#states.get(key);
    if (known && !fresh) return;
    this.#states.set(key, { status: 'checking' });
    const generation = this.#generation;
    const work = run()
      .then(async (result) => {
        const state: CheckState = result ? await this.#remembered(key, { status: 'done', result, at: this.#session.now() }) : { status: 'not-applicable', why: 'not a registry image' };
        if (generation === this.#generation) this.#states.set(key, state);
      })
      .catch((error: unknown) => {
        if (generation === this.#generation) this.#states.set(key, { status: 'done', result: failureOf({ registry: '', repository: key }, error), at: this.#session.now() });
      })
      .finally(() => {
        this.#hooks.pending.delete(work);
        if (this.#running.get(key) === work) this.#running.delete(key);
        this.#hooks.ended();
      });
    this.#hooks.pending.add(work);
    this.#running.set(key, work);
  }

  /**
   * Keeps the last good verdict: a verified check is remembered for this digest and expectation; a
   * check that could not be made carries the time it last verified, if it ever did.
   */
  async #remembered(key: string, check: Extract<CheckState, { status: 'done' }>): Promise<CheckState> {
    const at = key.lastIndexOf('@');
    const repository = key.slice(0, at);
    const memoryKey = verdictKey(repository, key.slice(at + 1), this.#expectations.get(repository)?.description ?? '');
    try {
      if (isVerified(check.result)) {
        await this.#memory.remember(memoryKey, { checkedAt: check.at.toISOString(), signedBy: signedBy(signatureView(check)) });
        return check;
      }
      if (verdictOfCode(check.result.code) !== 'unchecked') return check;
      const last = await this.#memory.get(memoryKey);
      return last ? { ...check, lastVerified: last } : check;
    } catch {
      return check;
    }
  }
}
