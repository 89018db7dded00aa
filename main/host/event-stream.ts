// A replayable event stream: every event is kept (up to a cap) and handed to listeners and to each async
// iterator from the start, so a consumer that attaches late still sees the whole transaction.

export class EventStream<T> {
  readonly #events: T[] = [];
  readonly #listeners = new Set<(event: T) => void>();
  readonly #waiters = new Set<() => void>();
  readonly #cap: number;
  #dropped = 0;
  #closed = false;

  constructor(cap = 10_000) {
    this.#cap = cap;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get events(): readonly T[] {
    return this.#events;
  }

  push(event: T): void {
    if (this.#closed) return;
    if (this.#events.length >= this.#cap) {
      // Keep the beginning and let go of the oldest progress lines beyond it.
      this.#events.splice(1, 1);
      this.#dropped += 1;
    }
    this.#events.push(event);
    for (const listener of this.#listeners) listener(event);
    this.#wake();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake();
  }

  /** Calls `listener` for every event already seen and every later one; returns an unsubscribe function. */
  subscribe(listener: (event: T) => void): () => void {
    for (const event of this.#events) listener(event);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    let index = 0;
    let seenDropped = this.#dropped;
    for (;;) {
      // Events dropped while we waited shifted the buffer left (all but the first); follow them.
      const lost = this.#dropped - seenDropped;
      if (lost > 0) index = Math.max(1, index - lost);
      seenDropped = this.#dropped;
      while (index < this.#events.length) yield this.#events[index++] as T;
      if (this.#closed) return;
      await new Promise<void>((resolve) => this.#waiters.add(resolve));
    }
  }

  #wake(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }
}
