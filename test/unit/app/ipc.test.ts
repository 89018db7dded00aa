import { EventEmitter } from 'node:events';
import type { IpcMainInvokeEvent } from 'electron';
import { describe, expect, it } from 'vitest';
import { CHANNEL_PREFIX, COMMAND_NAMES, type CommandInput, type CommandName, type EventName, type Events, type VesperaApi } from '../../../preload/contract.ts';
import { registerContractHandlers, TrustedSenders, type IpcHandlerHost } from '../../../main/app/ipc.ts';

// Plays Electron's ipcMain and WebContents: the handlers' job is who may ask and what they may send.
class FakeIpc implements IpcHandlerHost {
  readonly handlers = new Map<string, (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>>();
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>): void {
    this.handlers.set(channel, listener);
  }
  invoke(channel: string, sender: { id: number }, frameUrl: string | undefined, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`no handler for ${channel}`);
    return handler({ sender, senderFrame: frameUrl === undefined ? null : { url: frameUrl } } as unknown as IpcMainInvokeEvent, ...args);
  }
}

class Contents extends EventEmitter {
  readonly id: number;
  readonly sent: Array<[string, unknown]> = [];
  destroyed = false;
  constructor(id: number) {
    super();
    this.id = id;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(channel: string, payload: unknown): void {
    this.sent.push([channel, payload]);
  }
}

class RecordingBackend implements VesperaApi {
  readonly calls: Array<[CommandName, unknown]> = [];
  invoke<C extends CommandName>(command: C, input: CommandInput<C>): Promise<never> {
    this.calls.push([command, input]);
    return Promise.resolve({ answered: command } as never);
  }
  on<E extends EventName>(_event: E, _listener: (payload: Events[E]) => void): () => void {
    return () => {};
  }
}

function setup(): { ipc: FakeIpc; backend: RecordingBackend; ours: Contents; senders: TrustedSenders; log: string[] } {
  const ipc = new FakeIpc();
  const backend = new RecordingBackend();
  const senders = new TrustedSenders();
  const ours = new Contents(7);
  senders.add(ours as never);
  const log: string[] = [];
  registerContractHandlers(ipc, backend, senders, (line) => log.push(line));
  return { ipc, backend, ours, senders, log };
}

describe('IPC handlers', () => {
  it('register exactly the contract’s commands, prefixed', () => {
    const { ipc } = setup();
    expect([...ipc.handlers.keys()].sort()).toEqual(COMMAND_NAMES.map((c) => CHANNEL_PREFIX + c).sort());
  });

  it('answer our own window on an app:// page with the backend’s output', async () => {
    const { ipc, backend, ours } = setup();
    expect(await ipc.invoke(`${CHANNEL_PREFIX}migration.preview`, ours, 'app://vespera/index.html#migration', { mode: 'key' })).toEqual({
      ok: true,
      output: { answered: 'migration.preview' },
    });
    expect(backend.calls).toEqual([['migration.preview', { mode: 'key' }]]);
  });

  it('refuse other windows, other origins and destroyed windows, without reaching the backend', async () => {
    const { ipc, backend, ours, log } = setup();
    const stranger = new Contents(8);
    for (const [sender, url] of [
      [stranger, 'app://vespera/index.html'],
      [ours, 'https://evil.example/'],
      [ours, 'app://vespera.evil/index.html'],
      [ours, undefined],
    ] as const) {
      expect(await ipc.invoke(`${CHANNEL_PREFIX}host.reboot`, sender, url, null)).toMatchObject({ ok: false, error: { code: 'untrusted-sender' } });
    }
    ours.emit('destroyed');
    expect(await ipc.invoke(`${CHANNEL_PREFIX}host.reboot`, ours, 'app://vespera/index.html', null)).toMatchObject({ ok: false, error: { code: 'untrusted-sender' } });
    expect(backend.calls).toEqual([]);
    expect(log).toHaveLength(5);
  });

  it('refuse input the contract does not allow, and extra arguments', async () => {
    const { ipc, backend, ours } = setup();
    const page = 'app://vespera/index.html';
    expect(await ipc.invoke(`${CHANNEL_PREFIX}rollback.run`, ours, page, { discardStaged: 'yes' })).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(await ipc.invoke(`${CHANNEL_PREFIX}migration.run`, ours, page, { planId: '../etc/passwd' })).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(await ipc.invoke(`${CHANNEL_PREFIX}settings.set`, ours, page, { autostart: true, exec: '/bin/sh' })).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(await ipc.invoke(`${CHANNEL_PREFIX}update.check`, ours, page, null, 'extra')).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(backend.calls).toEqual([]);
  });

  it('send events only to live windows of ours', () => {
    const { ours, senders } = setup();
    const stranger = new Contents(9);
    senders.broadcast([ours as never, stranger as never], 'navigate', { view: 'details' });
    expect(ours.sent).toEqual([[`${CHANNEL_PREFIX}navigate`, { view: 'details' }]]);
    expect(stranger.sent).toEqual([]);
  });
});
