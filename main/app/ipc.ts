// The IPC face of the contract: one handler per allow-listed command, answering only our own windows
// (app:// pages in windows we created) with validated input; events go only to those windows.

import { ipcMain, type WebContents } from 'electron';
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

export class TrustedSenders {
  readonly #ids = new Set<number>();

  add(contents: WebContents): void {
    this.#ids.add(contents.id);
    contents.once('destroyed', () => this.#ids.delete(contents.id));
  }

  trusts(contents: WebContents, frameUrl: string | undefined): boolean {
    return this.#ids.has(contents.id) && frameUrl !== undefined && isAppUrl(frameUrl);
  }

  /** Sends an event to every live window of ours. */
  broadcast<E extends EventName>(all: readonly WebContents[], event: E, payload: Events[E]): void {
    for (const contents of all) {
      if (this.#ids.has(contents.id) && !contents.isDestroyed()) contents.send(CHANNEL_PREFIX + event, payload);
    }
  }
}

export function registerContractHandlers(backend: VesperaApi, senders: TrustedSenders, log: (line: string) => void): void {
  for (const command of COMMAND_NAMES) {
    ipcMain.handle(CHANNEL_PREFIX + command, async (event, input: unknown): Promise<InvokeResult<CommandName>> => {
      if (!senders.trusts(event.sender, event.senderFrame?.url)) {
        log(`ipc: refused ${command} from an untrusted sender (${event.senderFrame?.url ?? 'no frame'})`);
        return { ok: false, error: { code: 'untrusted-sender', message: 'This page may not control Vespera Updates.' } };
      }
      return await answerInvocation(backend, command, input);
    });
  }
}
