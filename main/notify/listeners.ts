// A typed list of callbacks for one kind of event, with unsubscribe; what the notification client
// and the notifier use instead of string-keyed EventEmitters.

export class Listeners<Event> {
  readonly #callbacks = new Set<(event: Event) => void>();

  /** Adds `callback`; the returned function removes it again. */
  add(callback: (event: Event) => void): () => void {
    this.#callbacks.add(callback);
    return () => this.#callbacks.delete(callback);
  }

  /** Calls every callback; one that throws does not keep the others from hearing the event. */
  emit(event: Event, onError: (error: unknown) => void = reportUncaught): void {
    for (const callback of [...this.#callbacks]) {
      try {
        callback(event);
      } catch (error) {
        onError(error);
      }
    }
  }

  clear(): void {
    this.#callbacks.clear();
  }
}

// A listener's bug must not break delivery to the rest or the D-Bus message loop: it is reported as a
// process warning (stderr, Electron's log) instead of being thrown into the caller.
function reportUncaught(error: unknown): void {
  process.emitWarning(error instanceof Error ? error : new Error(String(error)), { code: 'VESPERA_LISTENER_FAILED' });
}
