// The preload bridge with Electron replaced by a recording double: exactly the contract's channels,
// inputs checked before they leave, replies unwrapped, and listeners that see only the payload.

import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { VesperaApi } from '../../../preload/contract.ts';

type Handler = (event: unknown, payload: unknown) => void;

const electron = vi.hoisted(() => {
  const listeners = new Map<string, Set<Handler>>();
  return {
    exposed: new Map<string, unknown>(),
    listeners,
    invoke: vi.fn<(channel: string, input: unknown) => Promise<unknown>>(),
    ipcRenderer: {
      invoke: (channel: string, input: unknown): Promise<unknown> => electron.invoke(channel, input),
      on(channel: string, handler: Handler) {
        const set = listeners.get(channel) ?? new Set<Handler>();
        listeners.set(channel, set);
        set.add(handler);
      },
      removeListener(channel: string, handler: Handler) {
        listeners.get(channel)?.delete(handler);
      },
    },
  };
});

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => electron.exposed.set(key, api) },
  ipcRenderer: electron.ipcRenderer,
}));

async function loadApi(): Promise<VesperaApi> {
  vi.resetModules();
  electron.exposed.clear();
  await import('../../../preload/index.ts');
  return electron.exposed.get('vespera') as VesperaApi;
}

function send(channel: string, payload: unknown): void {
  for (const handler of electron.listeners.get(channel) ?? []) handler({ sender: 'the ipcRenderer itself' }, payload);
}

beforeEach(() => {
  electron.invoke.mockReset();
  electron.listeners.clear();
});

describe('preload bridge', () => {
  it('exposes only invoke and on, as window.vespera', async () => {
    const api = await loadApi();
    expect([...electron.exposed.keys()]).toEqual(['vespera']);
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on']);
  });

  it('sends a command on its prefixed channel with the checked input, and returns the output', async () => {
    const api = await loadApi();
    electron.invoke.mockResolvedValue({ ok: true, output: { planId: 'plan-0001' } });
    await expect(api.invoke('migration.preview', { mode: 'key' })).resolves.toEqual({ planId: 'plan-0001' });
    expect(electron.invoke).toHaveBeenCalledWith('vespera:migration.preview', { mode: 'key' });
  });

  it('turns a failed reply into an error with its words and code', async () => {
    const api = await loadApi();
    electron.invoke.mockResolvedValue({ ok: false, error: { code: 'registry-unreachable', message: 'ghcr.io did not answer.' } });
    await expect(api.invoke('update.check', null)).rejects.toMatchObject({ message: 'ghcr.io did not answer.', code: 'registry-unreachable' });
  });

  it('refuses unknown commands and invalid input before anything reaches main', async () => {
    const api = await loadApi();
    await expect(api.invoke('shell.exec' as 'update.check', null)).rejects.toMatchObject({ code: 'unknown-command' });
    await expect(api.invoke('rollback.run', { discardStaged: 'yes' } as unknown as { discardStaged: boolean })).rejects.toMatchObject({
      code: 'invalid-input',
    });
    expect(electron.invoke).not.toHaveBeenCalled();
  });

  it('rejects a reply it cannot read instead of passing it on', async () => {
    const api = await loadApi();
    electron.invoke.mockResolvedValue({ planId: 'not wrapped' });
    await expect(api.invoke('migration.preview', {})).rejects.toMatchObject({ code: 'bad-reply' });
  });

  it('gives listeners the payload only, and unsubscribing stops them', async () => {
    const api = await loadApi();
    const seen: unknown[] = [];
    const stop = api.on('navigate', (payload) => seen.push(payload));
    send('vespera:navigate', { view: 'details' });
    stop();
    send('vespera:navigate', { view: 'doctor' });
    expect(seen).toEqual([{ view: 'details' }]);
    expect(electron.listeners.get('vespera:navigate')?.size).toBe(0);
  });

  it('refuses to listen on anything but the contract’s events', async () => {
    const api = await loadApi();
    expect(() => api.on('ipc.raw' as 'navigate', () => undefined)).toThrow(/no event named/);
    expect(electron.listeners.size).toBe(0);
  });
});
