// The sandboxed preload: exposes `window.vespera` (VesperaApi) to the renderer, carrying exactly the
// contract's commands and events over ipcRenderer on `vespera:`-prefixed channels, and nothing else.

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  CHANNEL_PREFIX,
  CommandError,
  EVENT_NAMES,
  isCommandName,
  outputOfReply,
  validateInput,
  type EventName,
  type Events,
  type VesperaApi,
} from './contract.ts';

function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && (EVENT_NAMES as readonly string[]).includes(value);
}

const vesperaApi: VesperaApi = {
  async invoke(command, input) {
    // The renderer is untrusted: names and inputs are checked here too, so a bad call fails early and
    // never reaches a channel main does not handle. Main validates again; this is not the boundary.
    if (!isCommandName(command)) {
      throw new CommandError({ code: 'unknown-command', message: `There is no command named "${String(command)}".` });
    }
    const checked = validateInput(command, input);
    const reply: unknown = await ipcRenderer.invoke(CHANNEL_PREFIX + command, checked);
    return outputOfReply<typeof command>(reply);
  },

  on(event, listener) {
    if (!isEventName(event)) throw new CommandError({ code: 'unknown-event', message: `There is no event named "${String(event)}".` });
    if (typeof listener !== 'function') throw new CommandError({ code: 'invalid-input', message: 'The listener must be a function.' });
    const channel = CHANNEL_PREFIX + event;
    // Only the payload crosses: the IpcRendererEvent (and its `sender`, an ipcRenderer) stays here.
    const forward = (_event: IpcRendererEvent, payload: unknown): void => {
      listener(payload as Events[typeof event]);
    };
    ipcRenderer.on(channel, forward);
    return () => {
      ipcRenderer.removeListener(channel, forward);
    };
  },
};

contextBridge.exposeInMainWorld('vespera', vesperaApi);
