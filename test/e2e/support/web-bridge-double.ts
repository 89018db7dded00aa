// A test double of the web demo's server, for testing the page's half of the web-bridge protocol
// (renderer/web-bridge.ts): serves the built renderer, checks the bearer token, answers
// POST /api/invoke from canned replies and streams NDJSON events on GET /api/events.
//
// Only for the renderer's bridge tests; the real server is main/web/bridge-server.ts.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rendererFile } from '../../../main/app/renderer-assets.ts';
import type { CommandName, EventName, Events, InvokeResult } from '../../../preload/contract.ts';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body?: unknown;
}

export interface WebBridgeDouble {
  readonly origin: string;
  readonly requests: RecordedRequest[];
  /** How many event streams have been opened so far. */
  streamsOpened(): number;
  reply<C extends CommandName>(command: C, reply: InvokeResult<C>): void;
  push<E extends EventName>(event: E, payload: Events[E]): void;
  /** Ends every open event stream, as a server restart would. */
  dropStreams(): void;
  close(): Promise<void>;
}

export async function startWebBridgeDouble(rendererDist: string, token: string): Promise<WebBridgeDouble> {
  const replies = new Map<string, unknown>();
  const streams = new Set<ServerResponse>();
  const requests: RecordedRequest[] = [];
  let opened = 0;

  async function readBody(request: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  }

  function serveFile(path: string, response: ServerResponse): void {
    const asset = rendererFile(rendererDist, path);
    if (!asset) {
      response.writeHead(404).end();
      return;
    }
    stat(asset.path).then(
      () => {
        response.writeHead(200, { 'Content-Type': asset.type });
        createReadStream(asset.path).pipe(response);
      },
      () => response.writeHead(404).end(),
    );
  }

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (!path.startsWith('/api/')) {
      serveFile(path, response);
      return;
    }
    const authorization = request.headers.authorization;
    void (async () => {
      const body = request.method === 'POST' ? await readBody(request) : undefined;
      requests.push({ method: request.method ?? '', path, authorization, ...(body === undefined ? {} : { body }) });
      if (authorization !== `Bearer ${token}`) {
        response.writeHead(401).end();
        return;
      }
      if (request.method === 'POST' && path === '/api/invoke') {
        const { command } = body as { command: string };
        const reply = replies.get(command) ?? { ok: false, error: { code: 'not-in-double', message: `The double has no reply for ${command}.` } };
        response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply));
        return;
      }
      if (request.method === 'GET' && path === '/api/events') {
        opened += 1;
        // Like the real server: a keep-alive line at once, and nothing about what happened before.
        response.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
        response.write('\n');
        streams.add(response);
        response.on('close', () => streams.delete(response));
        return;
      }
      response.writeHead(404).end();
    })();
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    streamsOpened: () => opened,
    reply(command, reply) {
      replies.set(command, reply);
    },
    push(event, payload) {
      // Split on purpose, inside a multi-byte character where there is one: the page must put lines
      // (and characters) back together across chunks.
      const bytes = Buffer.from(`${JSON.stringify({ event, payload })}\n`);
      const wide = bytes.findIndex((byte) => byte >= 0x80);
      const cut = wide >= 0 ? wide + 1 : Math.floor(bytes.length / 2);
      for (const stream of streams) {
        stream.write(bytes.subarray(0, cut));
        setTimeout(() => stream.write(bytes.subarray(cut)), 10);
      }
    },
    dropStreams() {
      for (const stream of streams) stream.destroy();
      streams.clear();
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
