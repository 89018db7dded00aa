import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandInput, CommandName, EventName, Events, VesperaApi } from '../../../preload/contract.ts';
import { startWebBridge, type WebBridge } from '../../../main/web/bridge-server.ts';

// A recording backend: the bridge's job is transport and checks, not what the commands do.
class RecordingBackend implements VesperaApi {
  readonly calls: Array<{ command: CommandName; input: unknown }> = [];
  readonly #listeners = new Map<EventName, Set<(p: unknown) => void>>();
  invoke<C extends CommandName>(command: C, input: CommandInput<C>): Promise<never> {
    this.calls.push({ command, input });
    if (command === 'update.check') return Promise.reject(Object.assign(new Error('rpm-ostreed is busy; try again when it is done.'), { code: 'busy' }));
    return Promise.resolve({ echoed: command } as never);
  }
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
    const set = this.#listeners.get(event) ?? new Set();
    set.add(listener as (p: unknown) => void);
    this.#listeners.set(event, set);
    return () => set.delete(listener as (p: unknown) => void);
  }
  emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const l of this.#listeners.get(event) ?? []) l(payload);
  }
}

const root = mkdtempSync(join(tmpdir(), 'bridge-'));
writeFileSync(join(root, 'index.html'), '<!doctype html><title>Vespera</title>');
let bridge: WebBridge;
const backend = new RecordingBackend();
beforeAll(async () => {
  bridge = await startWebBridge({ backend, rendererRoot: root });
});
afterAll(async () => {
  await bridge.close();
  rmSync(root, { recursive: true, force: true });
});

const auth = (): Record<string, string> => ({ authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json' });

async function invoke(body: unknown, headers = auth()): Promise<Response> {
  return await fetch(`${bridge.origin}/api/invoke`, { method: 'POST', headers, body: JSON.stringify(body) });
}

/** The event stream's lines, read until one holds `text`; the stream is then let go. */
async function linesUntil(response: Response, text: string): Promise<unknown[]> {
  const reader = response.body?.getReader();
  let read = '';
  while (reader && !read.includes(text)) {
    const chunk = await reader.read();
    if (chunk.done) break;
    read += Buffer.from(chunk.value).toString();
  }
  await reader?.cancel();
  return read.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
}

describe('the web bridge', () => {
  it('serves the renderer with the CSP and a token-bearing URL', async () => {
    expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{32}$/);
    const page = await fetch(`${bridge.origin}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('<title>Vespera</title>');
  });

  it('runs a valid command and returns its output', async () => {
    const response = await invoke({ command: 'migration.preview', input: { mode: 'key' } });
    expect(await response.json()).toEqual({ ok: true, output: { echoed: 'migration.preview' } });
    expect(backend.calls.at(-1)).toEqual({ command: 'migration.preview', input: { mode: 'key' } });
  });

  it('passes failures through as code and message', async () => {
    const response = await invoke({ command: 'update.check', input: null });
    expect(await response.json()).toEqual({ ok: false, error: { code: 'busy', message: 'rpm-ostreed is busy; try again when it is done.' } });
  });

  it('refuses invalid input before the backend sees it', async () => {
    const before = backend.calls.length;
    for (const body of [
      { command: 'migration.run', input: { planId: '../../etc' } },
      { command: 'migration.preview', input: { mode: 'root' } },
      { command: 'settings.set', input: { autostart: 'yes' } },
      { command: 'rollback.run', input: { discardStaged: true, extra: 1 } },
      { command: 'shell.exec', input: 'rm -rf /' },
    ]) {
      const result = (await (await invoke(body)).json()) as { ok: boolean; error: { code: string } };
      expect(result.ok).toBe(false);
      expect(['invalid-input', 'unknown-command']).toContain(result.error.code);
    }
    expect(backend.calls.length).toBe(before);
  });

  it('refuses requests without the token, from other origins, or to other hosts', async () => {
    expect((await invoke({ command: 'status.get', input: null }, { 'content-type': 'application/json' })).status).toBe(401);
    expect((await invoke({ command: 'status.get', input: null }, { ...auth(), authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await invoke({ command: 'status.get', input: null }, { ...auth(), origin: 'http://evil.example' })).status).toBe(403);
    const port = new URL(bridge.origin).port;
    const status = await new Promise<number>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/', headers: { host: `evil.example:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.end();
    });
    expect(status).toBe(403);
    expect((await fetch(`${bridge.origin}/api/invoke`, { method: 'POST', headers: auth(), body: 'x'.repeat(70 * 1024) })).status).toBe(400);
  });

  it('streams events to the page', async () => {
    const response = await fetch(`${bridge.origin}/api/events`, { headers: auth() });
    backend.emit('navigate', { view: 'details' });
    expect(await linesUntil(response, 'details')).toContainEqual({ event: 'navigate', payload: { view: 'details' } });
  });

  it('serves a restarted app as a new instance: open streams end, the next names it, and it answers', async () => {
    const readAll = async (response: Response): Promise<unknown[]> =>
      (await response.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    const before = await fetch(`${bridge.origin}/api/events`, { headers: auth() });
    const restarted = new RecordingBackend();
    const ended = readAll(before);
    // The stream is open and has named its instance before the app is replaced.
    await new Promise((resolve) => setTimeout(resolve, 50));
    bridge.serve(restarted);
    const [hello, ...rest] = await ended;
    expect(hello).toEqual({ instance: expect.stringMatching(/^[\w-]{12}$/) as unknown });
    expect(rest).toEqual([]);

    const after = await fetch(`${bridge.origin}/api/events`, { headers: auth() });
    backend.emit('navigate', { view: 'doctor' });
    restarted.emit('navigate', { view: 'status' });
    const lines = await linesUntil(after, 'status');
    expect(lines[0]).toEqual({ instance: expect.stringMatching(/^[\w-]{12}$/) as unknown });
    expect(lines[0]).not.toEqual(hello);
    // Only the running app speaks: the replaced one's events no longer reach the page.
    expect(lines.slice(1)).toEqual([{ event: 'navigate', payload: { view: 'status' } }]);

    await invoke({ command: 'doctor.run', input: null });
    expect(restarted.calls.at(-1)).toEqual({ command: 'doctor.run', input: null });
    expect(backend.calls.some((c) => c.command === 'doctor.run')).toBe(false);
  });
});
