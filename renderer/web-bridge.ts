// The browser half of the web bridge: VesperaApi over HTTP to the local server that
// `npm run demo -- --web` starts (main/web/bridge-server.ts), for machines without Electron.
//
// The protocol, as both halves speak it:
//
// - The server prints `http://127.0.0.1:PORT/#token=TOKEN`, TOKEN a fresh random secret per run. The
//   page takes it from the fragment (which never reaches the server or its logs), removes it from the
//   address bar, and keeps it in this tab's sessionStorage so a reload still works. `#token=…&view=…`
//   also opens a view.
// - Every /api request carries `Authorization: Bearer TOKEN`; a wrong or missing one gets 401. The
//   server answers only requests whose Host (and Origin, when sent) is its own loopback address (403
//   otherwise: DNS rebinding), sends no CORS headers, and serves the renderer with its CSP as a header.
// - `POST /api/invoke`, `Content-Type: application/json` (else 415), body `{"command", "input"}` of at
//   most 64 KiB (else 400) → 200 with an InvokeResult: `{"ok": true, "output"}` or
//   `{"ok": false, "error": {"code", "message"}}`. The server validates exactly as the IPC handlers do.
// - `GET /api/events` → 200, `application/x-ndjson`, kept open: first `{"instance": ID}`, naming the run
//   of the app that answers, then one `{"event", "payload"}` per line, an empty line as a keep-alive
//   every 15 s. When a later stream names another instance the app restarted behind the bridge (the
//   demo's machine rebooted), and the page starts afresh (`onAppRestart`: reload), as a window would.
// - The page reads the stream with fetch + ReadableStream (EventSource cannot send the header) and
//   reconnects whenever it ends or fails, waiting 0.5 s and doubling up to 10 s; the wait starts over
//   after a connection that delivered something. Events sent while it was away are lost, so on every
//   (re)connection the page asks `status.get` itself and hands the answer to its status listeners.
//   After a 401 it stops.

import {
  CommandError,
  EVENT_NAMES,
  outputOfReply,
  type CommandInput,
  type CommandName,
  type CommandOutput,
  type EventName,
  type Events,
  type VesperaApi,
} from '../preload/contract.ts';

export const INVOKE_PATH = '/api/invoke';
export const EVENTS_PATH = '/api/events';

const FIRST_RETRY_MS = 500;
const LONGEST_RETRY_MS = 10_000;
const LONGEST_LINE = 4 * 1024 * 1024;

const TOKEN_EXPIRED: CommandError = new CommandError({
  code: 'unauthorized',
  message: 'This page is no longer connected to Vespera Updates. Open the address that `npm run demo -- --web` printed again.',
});

export interface WebBridgeOptions {
  readonly token: string;
  /** Where the server is; the page's own origin unless a test says otherwise. */
  readonly origin?: string;
  /** The server now answers for another run of the app (see the protocol above). */
  readonly onAppRestart?: () => void;
}

type Listener = (payload: unknown) => void;

export function createWebBridge(options: WebBridgeOptions): VesperaApi {
  const origin = options.origin ?? '';
  const authorization = `Bearer ${options.token}`;
  const listeners = new Map<EventName, Set<Listener>>();
  let stream: AbortController | null = null;
  let unauthorized = false;
  let instance: string | undefined;

  function deliver(event: EventName, payload: unknown): void {
    for (const listener of [...(listeners.get(event) ?? [])]) {
      try {
        listener(payload);
      } catch (error) {
        reportError(error);
      }
    }
  }

  function dispatch(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return; // A garbled line is dropped; the next status.changed repairs the view.
    }
    if (typeof message !== 'object' || message === null) return;
    const { event, payload, instance: answering } = message as { event?: unknown; payload?: unknown; instance?: unknown };
    if (typeof answering === 'string') {
      if (instance !== undefined && answering !== instance) options.onAppRestart?.();
      instance = answering;
      return;
    }
    if (typeof event !== 'string' || !(EVENT_NAMES as readonly string[]).includes(event)) return;
    deliver(event as EventName, payload);
  }

  async function follow(signal: AbortSignal): Promise<void> {
    let wait = FIRST_RETRY_MS;
    while (!signal.aborted && !unauthorized) {
      let delivered = false;
      try {
        const response = await fetch(origin + EVENTS_PATH, { headers: { Authorization: authorization }, cache: 'no-store', signal });
        if (response.status === 401) {
          unauthorized = true;
          return;
        }
        if (!response.ok || !response.body) throw new Error(`event stream answered ${response.status}`);
        resync();
        for await (const line of lines(response.body)) {
          delivered = true;
          if (line.trim() !== '') dispatch(line);
        }
      } catch {
        // Network errors, a server restart, an aborted stream: all mean "try again later".
      }
      if (signal.aborted) return;
      if (delivered) wait = FIRST_RETRY_MS;
      await sleep(wait, signal);
      wait = Math.min(wait * 2, LONGEST_RETRY_MS);
    }
  }

  function listenerCount(): number {
    let count = 0;
    for (const set of listeners.values()) count += set.size;
    return count;
  }

  async function invoke<C extends CommandName>(command: C, input: CommandInput<C>): Promise<CommandOutput<C>> {
    if (unauthorized) throw TOKEN_EXPIRED;
    let response: Response;
    try {
      response = await fetch(origin + INVOKE_PATH, {
        method: 'POST',
        headers: { Authorization: authorization, 'Content-Type': 'application/json' },
        body: JSON.stringify({ command, input }),
        cache: 'no-store',
      });
    } catch {
      throw new CommandError({ code: 'unreachable', message: 'Vespera Updates is not answering. Check that `npm run demo -- --web` is still running.' });
    }
    if (response.status === 401) {
      unauthorized = true;
      throw TOKEN_EXPIRED;
    }
    if (!response.ok) {
      throw new CommandError({ code: `http-${response.status}`, message: `Vespera Updates could not run this (HTTP ${response.status}). Try again; if it keeps failing, restart the demo.` });
    }
    let reply: unknown;
    try {
      reply = await response.json();
    } catch {
      reply = undefined;
    }
    return outputOfReply<C>(reply);
  }

  /** After a (re)connection: what changed while the stream was down arrives as one status.changed. */
  function resync(): void {
    if (!listeners.get('status.changed')?.size) return;
    invoke('status.get', null).then(
      (status) => deliver('status.changed', status),
      () => undefined, // The next event or reconnection tries again.
    );
  }

  return {
    invoke,

    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      // Each subscription gets its own wrapper, so subscribing one function twice unsubscribes cleanly.
      const wrapper: Listener = (payload) => listener(payload as Events[typeof event]);
      set.add(wrapper);
      if (!stream) {
        stream = new AbortController();
        void follow(stream.signal);
      }
      return () => {
        set.delete(wrapper);
        if (listenerCount() === 0 && stream) {
          stream.abort();
          stream = null;
        }
      };
    },
  };
}

/** Splits a byte stream into text lines; ends the stream when a line grows past LONGEST_LINE. */
async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        yield buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
      if (buffered.length > LONGEST_LINE) throw new Error('event line too long');
    }
    buffered += decoder.decode();
    if (buffered !== '') yield buffered;
  } finally {
    reader.releaseLock();
    void body.cancel().catch(() => undefined);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
