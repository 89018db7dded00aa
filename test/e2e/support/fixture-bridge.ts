// A test double of main for renderer-level tests: an in-page `window.vespera` that answers from
// fixtures, scripts progress and holds, records every invocation, and lets the test push events.
//
// Only for tests of the renderer on its own. The end-to-end tests use the real web bridge instead.

import type { Page } from 'playwright-core';
import type {
  CommandName,
  EventName,
  Events,
  ProgressEvent,
  Settings,
  StatusSnapshot,
} from '../../../preload/contract.ts';

/** How the double answers one command. */
export interface CommandScript {
  /** The answer, unless one of `replies` matches the input. */
  readonly output?: unknown;
  /** Answers chosen by input: the first whose every `when` field equals the input's. */
  readonly replies?: ReadonlyArray<{ readonly when: Readonly<Record<string, unknown>>; readonly output: unknown }>;
  /** Rejects instead, as a failed InvokeResult does. */
  readonly failure?: { readonly code: string; readonly message: string };
  /** Pushed as `operation.progress`, in order, before the answer. */
  readonly progress?: readonly ProgressEvent[];
  /** Pushed as `status.changed` right after the answer. */
  readonly statusAfter?: StatusSnapshot;
  /**
   * Keeps the answer back until the test calls `release(command)` (a release that comes first lets
   * the next call through); progress is pushed at once.
   */
  readonly hold?: boolean;
}

export interface FixtureScenario {
  readonly status: StatusSnapshot;
  readonly settings?: Settings;
  readonly commands?: Partial<Record<CommandName, CommandScript>>;
}

export interface Invocation {
  readonly command: CommandName;
  readonly input: unknown;
}

/** What the page exposes to the test, as `window.__vesperaFixture`. */
interface FixtureControl {
  readonly invocations: Invocation[];
  emit(event: string, payload: unknown): void;
  release(command: string): void;
}

/**
 * Runs in the page before any of its scripts (Playwright serialises it), so it must not use anything
 * from outside its own body.
 */
function installFixtureBridge(scenario: FixtureScenario): void {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const held = new Map<string, Array<() => void>>();
  /** Releases that came before the call reached its hold: the hold then passes at once. */
  const early = new Map<string, number>();
  const invocations: Invocation[] = [];
  let settings: Settings = scenario.settings ?? { autostart: false, automaticStaging: false };

  const emit = (event: string, payload: unknown): void => {
    for (const listener of [...(listeners.get(event) ?? [])]) listener(payload);
  };
  const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));
  const matches = (when: Readonly<Record<string, unknown>>, input: unknown): boolean =>
    typeof input === 'object' && input !== null && Object.entries(when).every(([key, value]) => (input as Record<string, unknown>)[key] === value);

  const api = {
    async invoke(command: CommandName, input: unknown): Promise<unknown> {
      // A structured clone, as IPC and JSON would make: the renderer must not rely on sharing objects.
      invocations.push({ command, input: structuredClone(input) });
      const script = scenario.commands?.[command];
      await tick();
      for (const event of script?.progress ?? []) {
        emit('operation.progress', event);
        if (!script?.hold) await tick();
      }
      if (script?.hold && (early.get(command) ?? 0) > 0) {
        early.set(command, (early.get(command) ?? 0) - 1);
      } else if (script?.hold) {
        await new Promise<void>((resolve) => {
          const waiting = held.get(command) ?? [];
          waiting.push(resolve);
          held.set(command, waiting);
        });
      }
      if (script?.failure) {
        const error = new Error(script.failure.message) as Error & { code: string };
        error.code = script.failure.code;
        throw error;
      }
      let output: unknown;
      if (script) {
        output = script.replies?.find((reply) => matches(reply.when, input))?.output ?? script.output;
      } else if (command === 'status.get') {
        output = scenario.status;
      } else if (command === 'settings.get') {
        output = settings;
      } else if (command === 'settings.set') {
        settings = { ...settings, ...(input as Partial<Settings>) };
        output = settings;
      } else {
        const error = new Error(`The fixture has no answer for ${command}.`) as Error & { code: string };
        error.code = 'fixture-missing';
        throw error;
      }
      if (script?.statusAfter) {
        const after = script.statusAfter;
        setTimeout(() => emit('status.changed', after), 0);
      }
      return structuredClone(output);
    },
    on(event: EventName, listener: (payload: unknown) => void): () => void {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      const wrapper = (payload: unknown): void => listener(payload);
      set.add(wrapper);
      return () => set.delete(wrapper);
    },
  };

  const control: FixtureControl = {
    invocations,
    emit,
    release(command: string) {
      const waiting = held.get(command) ?? [];
      if (waiting.length === 0) early.set(command, (early.get(command) ?? 0) + 1);
      for (const resolve of waiting) resolve();
      held.delete(command);
    },
  };
  Object.assign(globalThis, { vespera: api, __vesperaFixture: control });
}

/** Installs the double in every document the page loads from now on. */
export async function installFixture(page: Page, scenario: FixtureScenario): Promise<FixtureDriver> {
  await page.addInitScript(installFixtureBridge, scenario);
  return new FixtureDriver(page);
}

/** The test's handle on the double inside the page. */
export class FixtureDriver {
  readonly #page: Page;

  constructor(page: Page) {
    this.#page = page;
  }

  invocations(): Promise<Invocation[]> {
    return this.#page.evaluate(() => (globalThis as unknown as { __vesperaFixture: FixtureControl }).__vesperaFixture.invocations);
  }

  async invocationsOf(command: CommandName): Promise<unknown[]> {
    return (await this.invocations()).filter((entry) => entry.command === command).map((entry) => entry.input);
  }

  emit<E extends EventName>(event: E, payload: Events[E]): Promise<void> {
    return this.#page.evaluate(
      ([name, value]) => (globalThis as unknown as { __vesperaFixture: FixtureControl }).__vesperaFixture.emit(name, value),
      [event, payload] as const,
    );
  }

  release(command: CommandName): Promise<void> {
    return this.#page.evaluate((name) => (globalThis as unknown as { __vesperaFixture: FixtureControl }).__vesperaFixture.release(name), command);
  }
}
