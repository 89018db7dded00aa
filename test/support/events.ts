// Waiting in tests for the next event from a subscribe-style API (`onAction(cb) → unsubscribe`),
// with a deadline so a missing event fails the test instead of hanging it.

export function nextEvent<T>(
  subscribe: (callback: (event: T) => void) => () => void,
  what: string,
  options: { timeoutMs?: number; where?: (event: T) => boolean } = {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no ${what} within ${options.timeoutMs ?? 5000} ms`));
    }, options.timeoutMs ?? 5000);
    const unsubscribe = subscribe((event) => {
      if (options.where && !options.where(event)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(event);
    });
  });
}

/** Resolves after `ms`; for proving that something does *not* arrive within a short window. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
