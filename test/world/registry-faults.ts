// A fault-injecting proxy in front of a real registry, opt-in per test: it forwards everything
// unless a rule says to answer otherwise (tampered bytes, huge bodies, 429/5xx, redirects to
// another host, stalls). Also a stand-in "other host" that records who called it and with what.

import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { World } from './world.ts';

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

export type FaultAction =
  | { readonly kind: 'status'; readonly status: number; readonly headers?: Record<string, string>; readonly body?: Buffer | string }
  /** Answer with the upstream response, its body changed. */
  | { readonly kind: 'transform'; readonly transform: (body: Buffer) => Buffer }
  | { readonly kind: 'redirect'; readonly location: string; readonly status?: number }
  /** Never answer (until the client gives up). */
  | { readonly kind: 'stall' };

export interface FaultRule {
  readonly method?: string;
  /** Matched against the request path (with query). */
  readonly path: RegExp;
  readonly action: FaultAction;
  /** Apply to this many matching requests, then forward again. Default: always. */
  times?: number;
}

async function listen(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return (server.address() as AddressInfo).port;
}

export interface RegistryFaults {
  /** `127.0.0.1:PORT`: use it as the registry host in references. */
  readonly host: string;
  readonly url: string;
  readonly requests: ProxiedRequest[];
  add(rule: FaultRule): void;
  clear(): void;
}

/** Starts the proxy in front of `upstream` (e.g. world.registry.url); stopped with the world. */
export async function startRegistryFaults(world: World, upstream: string): Promise<RegistryFaults> {
  const rules: FaultRule[] = [];
  const requests: ProxiedRequest[] = [];
  const stalled = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    requests.push({ method, path, headers: req.headers });
    const rule = rules.find((r) => (r.method === undefined || r.method === method) && r.path.test(path) && (r.times === undefined || r.times > 0));
    if (rule && rule.times !== undefined) rule.times -= 1;
    const action = rule?.action;
    if (action?.kind === 'status') {
      res.writeHead(action.status, action.headers ?? {}).end(action.body ?? '');
      return;
    }
    if (action?.kind === 'redirect') {
      res.writeHead(action.status ?? 307, { location: action.location }).end();
      return;
    }
    if (action?.kind === 'stall') {
      stalled.add(res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers[k] = v;
      fetch(new URL(path, upstream), { method, headers, redirect: 'manual', ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) })
        .then(async (up) => {
          let body = Buffer.from(await up.arrayBuffer());
          if (action?.kind === 'transform') body = Buffer.from(action.transform(body));
          const out: Record<string, string> = {};
          up.headers.forEach((v, k) => {
            if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection' && k !== 'content-encoding') out[k] = v;
          });
          // Challenges name the upstream's token server, which stays as it is.
          res.writeHead(up.status, { ...out, 'content-length': String(body.length) }).end(method === 'HEAD' ? undefined : body);
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  const port = await listen(server, '127.0.0.1');
  world.onStop(
    () =>
      new Promise<void>((resolve) => {
        for (const res of stalled) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    add: (rule) => rules.unshift(rule),
    clear: () => {
      rules.length = 0;
      requests.length = 0;
    },
  };
}

export interface OtherHost {
  /** `http://localhost:PORT`: another host name than the registry's 127.0.0.1. */
  readonly url: string;
  readonly requests: ProxiedRequest[];
  /** What it serves for any path. */
  body: Buffer;
}

/** A second web server under another host name (localhost), as a blob redirect target. */
export async function startOtherHost(world: World, body: Buffer = Buffer.alloc(0)): Promise<OtherHost> {
  const state: OtherHost = { url: '', requests: [], body };
  const server = createServer((req, res) => {
    state.requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(state.body);
  });
  const port = await listen(server, '127.0.0.1');
  world.onStop(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return Object.assign(state, { url: `http://localhost:${port}` });
}
