// The web face of the app for machines without Electron (`npm run demo -- --web`): serves the same
// renderer and answers the same contract over HTTP on loopback, to holders of a one-time token only.
//
// Protocol (the renderer's web-bridge client speaks it):
//   POST /api/invoke   {"command": C, "input": I}  →  InvokeResult (200, JSON)
//   GET  /api/events   →  newline-delimited JSON: first {"instance": ID}, which names the app run
//                         answering, then {"event": E, "payload": P}, kept open; blank keep-alive lines
// Every /api request carries `Authorization: Bearer <token>`; the page gets the token in its URL fragment.
// When the app behind the bridge is replaced (the demo's machine restarted), every stream ends and the
// next one names a new instance: the page then reloads, as a window would open afresh after a reboot.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerInvocation, EVENT_NAMES, type VesperaApi } from '../../preload/contract.ts';
import { CONTENT_SECURITY_POLICY, rendererFile } from '../app/renderer-assets.ts';
import { collectLimited, withTimeout } from '../shared/bounded.ts';

const MAX_BODY_BYTES = 64 * 1024;
const KEEPALIVE_MS = 15_000;

export interface WebBridgeOptions {
  readonly backend: VesperaApi;
  /** dist/renderer. */
  readonly rendererRoot: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly log?: (line: string) => void;
}

export interface WebBridge {
  /** Open this in a browser: it carries the token in its fragment. */
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  /** Answers from `backend` from now on, as a new instance: open pages reconnect and reload. */
  serve(backend: VesperaApi): void;
  close(): Promise<void>;
}

function newInstance(): string {
  return randomBytes(9).toString('base64url');
}

export async function startWebBridge(options: WebBridgeOptions): Promise<WebBridge> {
  const token = randomBytes(24).toString('base64url');
  const expected = Buffer.from(`Bearer ${token}`);
  const log = options.log ?? (() => {});
  const streams = new Set<ServerResponse>();
  let origin = '';
  let backend = options.backend;
  let instance = newInstance();

  const authorised = (request: IncomingMessage): boolean => {
    const given = Buffer.from(request.headers.authorization ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  // Loopback servers are reachable through DNS rebinding; only our own Host and Origin pass.
  const sameSite = (request: IncomingMessage): boolean => {
    const host = request.headers.host ?? '';
    const port = new URL(origin).port;
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return false;
    const from = request.headers.origin;
    return from === undefined || from === `http://${host}`;
  };

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      log(`web bridge: ${String(error)}`);
      if (!response.headersSent) send(response, 500, 'text/plain', 'Internal error');
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (!sameSite(request)) return send(response, 403, 'text/plain', 'Forbidden');
    if (url.pathname.startsWith('/api/')) {
      if (!authorised(request)) return send(response, 401, 'text/plain', 'Unauthorized');
      if (url.pathname === '/api/invoke' && request.method === 'POST') return await invoke(request, response);
      if (url.pathname === '/api/events' && request.method === 'GET') return events(response);
      return send(response, 404, 'text/plain', 'Not found');
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'text/plain', 'Method not allowed');
    const asset = rendererFile(options.rendererRoot, url.pathname);
    if (!asset) return send(response, 404, 'text/plain', 'Not found');
    let body: Buffer;
    try {
      body = await readFile(asset.path);
    } catch {
      return send(response, 404, 'text/plain', 'Not found');
    }
    send(response, 200, asset.type, body);
  }

  async function invoke(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
      return send(response, 415, 'text/plain', 'Send JSON');
    }
    let parsed: unknown;
    try {
      const body = await withTimeout(collectLimited(request, MAX_BODY_BYTES, 'the request'), 10_000, 'the request body');
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return send(response, 400, 'application/json', JSON.stringify({ ok: false, error: { code: 'invalid-input', message: 'The request is not valid JSON of at most 64 KiB.' } }));
    }
    const { command, input } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { command?: unknown; input?: unknown };
    const result = await answerInvocation(backend, command, input);
    send(response, 200, 'application/json', JSON.stringify(result));
  }

  function events(response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store', ...SECURITY_HEADERS });
    response.write(`${JSON.stringify({ instance })}\n`);
    streams.add(response);
    const keepalive = setInterval(() => response.write('\n'), KEEPALIVE_MS);
    response.on('close', () => {
      clearInterval(keepalive);
      streams.delete(response);
    });
  }

  const follow = (source: VesperaApi): Array<() => void> =>
    EVENT_NAMES.map((event) =>
      source.on(event, (payload) => {
        const line = `${JSON.stringify({ event, payload })}\n`;
        for (const stream of streams) stream.write(line);
      }),
    );
  let unsubscribe = follow(backend);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  log(`web bridge: serving ${origin}`);

  return {
    url: `${origin}/#token=${token}`,
    origin,
    token,
    serve(next) {
      for (const off of unsubscribe) off();
      backend = next;
      instance = newInstance();
      unsubscribe = follow(next);
      for (const stream of streams) stream.end();
      log('web bridge: now serving a new instance of the app');
    },
    close: async () => {
      for (const off of unsubscribe) off();
      for (const stream of streams) stream.end();
      // Close every connection now: a kept-alive socket that was busy when closing began would
      // otherwise carry the page's reconnected event stream and hold the server open for ever.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

function send(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, {
    'content-type': type,
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
  });
  response.end(body);
}
