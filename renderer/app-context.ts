// What every view shares: the bridge to main, the latest status snapshot, navigation, a polite
// announcer for screen readers, and the hooks that run commands and follow their progress.

import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import type {
  CommandInput,
  CommandName,
  CommandOutput,
  OperationOutcome,
  ProgressEvent,
  StatusSnapshot,
  VesperaApi,
  View,
} from '../preload/contract.ts';
import { errorMessage } from './format.ts';

export interface AppContextValue {
  readonly api: VesperaApi;
  readonly snapshot: StatusSnapshot | null;
  readonly go: (view: View) => void;
  /** Says something to screen readers without moving focus (a polite live region in the shell). */
  readonly announce: (message: string) => void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp() outside <AppContext.Provider>');
  return value;
}

/** The commands whose answer is an OperationOutcome: the ones that change the host. */
export type OperationCommand = {
  [C in CommandName]: CommandOutput<C> extends OperationOutcome ? C : never;
}[CommandName];

export interface Operation {
  /** The command in flight, if any. */
  readonly running: OperationCommand | null;
  /** The last outcome; a failed call to main becomes a failed outcome with its words. */
  readonly outcome: OperationOutcome | null;
  readonly run: <C extends OperationCommand>(command: C, input: CommandInput<C>) => Promise<OperationOutcome>;
  readonly clear: () => void;
}

/** Runs host-changing commands one at a time and keeps the last outcome for the view to show. */
export function useOperation(): Operation {
  const { api } = useApp();
  const [running, setRunning] = useState<OperationCommand | null>(null);
  const [outcome, setOutcome] = useState<OperationOutcome | null>(null);
  const mounted = useMounted();

  const run = useCallback(
    async <C extends OperationCommand>(command: C, input: CommandInput<C>): Promise<OperationOutcome> => {
      setRunning(command);
      setOutcome(null);
      let result: OperationOutcome;
      try {
        result = await api.invoke(command, input);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        result = { ok: false, message: errorMessage(error), ...(typeof code === 'string' ? { code } : {}) };
      }
      if (mounted.current) {
        setRunning(null);
        setOutcome(result);
      }
      return result;
    },
    [api, mounted],
  );
  const clear = useCallback(() => setOutcome(null), []);
  return { running, outcome, run, clear };
}

export type Loadable<T> =
  /** `previous` is the last answer, kept on screen while a newer one is on its way. */
  | { readonly state: 'loading'; readonly previous?: T }
  | { readonly state: 'loaded'; readonly value: T }
  | { readonly state: 'failed'; readonly message: string };

/** The answer to show: the loaded one, or while reloading the previous one. */
export function latestValue<T>(result: Loadable<T> | null): T | null {
  if (result?.state === 'loaded') return result.value;
  if (result?.state === 'loading') return result.previous ?? null;
  return null;
}

/** Asks main for something and keeps the newest answer; older answers that arrive late are dropped. */
export function useQuery<C extends CommandName>(command: C): {
  readonly result: Loadable<CommandOutput<C>> | null;
  load(input: CommandInput<C>): void;
} {
  const { api } = useApp();
  const [result, setResult] = useState<Loadable<CommandOutput<C>> | null>(null);
  const latest = useRef(0);
  const mounted = useMounted();
  const load = useCallback(
    (input: CommandInput<C>) => {
      const ticket = ++latest.current;
      setResult((current) => ({ state: 'loading', ...(current?.state === 'loaded' ? { previous: current.value } : {}) }));
      api.invoke(command, input).then(
        (value) => {
          if (mounted.current && ticket === latest.current) setResult({ state: 'loaded', value });
        },
        (error: unknown) => {
          if (mounted.current && ticket === latest.current) setResult({ state: 'failed', message: errorMessage(error) });
        },
      );
    },
    [api, command, mounted],
  );
  return { result, load };
}

/**
 * The progress events of one kind of operation. It listens whenever `listening` is true (a wizard
 * listens from the moment it opens, so no early event is missed); `reset` forgets the earlier ones.
 */
export function useProgress(
  operation: ProgressEvent['operation'],
  listening: boolean,
): { readonly events: readonly ProgressEvent[]; reset(): void } {
  const { api } = useApp();
  const [events, setEvents] = useState<readonly ProgressEvent[]>([]);
  useEffect(() => {
    if (!listening) return undefined;
    return api.on('operation.progress', (event) => {
      if (event.operation === operation) setEvents((previous) => [...previous, event]);
    });
  }, [api, operation, listening]);
  const reset = useCallback(() => setEvents([]), []);
  return { events, reset };
}

function useMounted(): { readonly current: boolean } {
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  return mounted;
}
