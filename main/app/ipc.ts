// The IPC face of the contract: one handler per allow-listed command, answering only our own windows
// (app:// pages in windows we created) with validated input; events go only to those windows.

import type { IpcMainInvokeEvent, WebContents } from 'electron';
import {
  answerInvocation,
  CHANNEL_PREFIX,
  COMMAND_NAMES,
  type CommandName,
  type EventName,
  type Events,
  type InvokeResult,
  type VesperaApi,
} from '../../preload/contract.ts';
import { isAppUrl } from './renderer-assets.ts';

/** The part of Electron's ipcMain the handlers use (passed in, so tests can play Electron). */
export interface IpcHandlerHost {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>): void;
}

/** What a sender is identified by: its WebContents id and its frame's URL. */
export type SenderContents = Pick<WebContents, 'id' | 'once' | 'isDestroyed' | 'send'>;

export class TrustedSenders {
  readonly #ids = new Set<number>();

  add(contents: SenderContents): void {
    this.#ids.add(contents.id);
    contents.once('destroyed', () => this.#ids.delete(contents.id));
  }

  trusts(contents: Pick<WebContents, 'id'>, frameUrl: string | undefined): boolean {
    return this.#ids.has(contents.id) && frameUrl !== undefined && isAppUrl(frameUrl);
  }

  /** Sends an event to every live window of ours. */
  broadcast<E extends EventName>(all: readonly SenderContents[], event: E, payload: Events[E]): void {
    for (const contents of all) {
      if (this.#ids.has(contents.id) && !contents.isDestroyed()) contents.send(CHANNEL_PREFIX + event, payload);
    }
  }
}

export function registerContractHandlers(ipc: IpcHandlerHost, backend: VesperaApi, senders: TrustedSenders, log: (line: string) => void): void {
  for (const command of COMMAND_NAMES) {
    ipc.handle(CHANNEL_PREFIX + command, async (event, ...args): Promise<InvokeResult<CommandName>> => {
      if (!senders.trusts(event.sender, event.senderFrame?.url)) {
        log(`ipc: refused ${command} from an untrusted sender (${event.senderFrame?.url ?? 'no frame'})`);
        return { ok: false, error: { code: 'untrusted-sender', message: 'This page may not control Vespera Updates.' } };
      }
      if (args.length > 1) return { ok: false, error: { code: 'invalid-input', message: 'A command takes one argument.' } };
      return await answerInvocation(backend, command, args[0]);
    });
  }
}
