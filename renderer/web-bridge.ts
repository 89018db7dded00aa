// The browser half of the web bridge: VesperaApi over HTTP to the local server that
// `npm run demo -- --web` starts, for machines without Electron. Same contract as the preload.
//
// The protocol (the server in main/ must match it exactly):
//
// - The server prints an address like `http://127.0.0.1:PORT/#token=TOKEN`. TOKEN is a fresh random
//   secret per run (at least 128 bits, URL-safe characters). The page takes it from the fragment
//   (which never reaches the server or its logs), removes it from the address bar, and keeps it in
//   this tab's sessionStorage so a reload still works. `#token=…&view=details` also opens a view.
// - Every request carries `Authorization: Bearer TOKEN`. A missing or wrong token gets HTTP 401 and
//   nothing else (compare in constant time). The server answers only its own origin: no CORS headers,
//   and it should refuse a Host header other than its own address (DNS rebinding).
// - `POST /api/invoke`, `Content-Type: application/json`, body `{"command": CommandName, "input": …}`
//   (small; the server may refuse bodies over 64 KiB with 413). The server checks `command` with
//   `isCommandName` and `input` with `validateInput`, exactly as the IPC handlers do, then answers
//   200 with a CommandReply: `{"ok": true, "output": …}` or `{"ok": false, "error": {"code", "message"}}`
//   (an invalid input is such an `ok: false` reply with code `invalid-input`). Other statuses mean
//   the request itself failed (400 malformed JSON, 401 token, 500 a bug).
// - `GET /api/events` answers 200 with `Content-Type: application/x-ndjson` and stays open: one JSON
//   object per line, `{"event": EventName, "payload": …}`. Right after connecting, the server sends
//   the current `status.changed`, so a page that reconnects is never stale. An empty line is a
//   keep-alive; send one every 15 s or so. Lines over 4 MiB end the stream.
// - The page reads the stream with fetch + ReadableStream (EventSource cannot send the header) and
//   reconnects whenever it ends or fails, waiting 0.5 s and doubling up to 10 s; the wait starts
//   over after a connection that delivered something. After a 401 it stops.

import {
  CommandError,
  EVENT_NAMES,
  outputOfReply,
  type CommandName,
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
}

type Listener = (payload: unknown) => void;

export function createWebBridge(options: WebBridgeOptions): VesperaApi {
  const origin = options.origin ?? '';
  const authorization = `Bearer ${options.token}`;
  const listeners = new Map<EventName, Set<Listener>>();
  let stream: AbortController | null = null;
  let unauthorized = false;

  function dispatch(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return; // A garbled line is dropped; the next status.changed repairs the view.
    }
    if (typeof message !== 'object' || message === null) return;
    const { event, payload } = message as { event?: unknown; payload?: unknown };
    if (typeof event !== 'string' || !(EVENT_NAMES as readonly string[]).includes(event)) return;
    for (const listener of [...(listeners.get(event as EventName) ?? [])]) {
      try {
        listener(payload);
      } catch (error) {
        reportError(error);
      }
    }
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

  return {
    async invoke(command, input) {
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
      return outputOfReply<typeof command & CommandName>(reply);
    },

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
