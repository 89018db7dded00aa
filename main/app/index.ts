// The tray app's lifecycle: one instance, the security guards and app:// protocol before any window,
// the flows' UiBackend behind typed IPC, the tray (or, without a tray host, a launcher window), and a
// window created when opened and destroyed when closed. Started hidden from XDG autostart (--hidden).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog, ipcMain } from 'electron';
import type { ActionId, View } from '../../preload/contract.ts';
import { UiBackend } from '../flows/ui-backend.ts';
import { describeError } from '../shared/errors.ts';
import { isAutostartEnabled, setAutostart } from './autostart.ts';
import { registerContractHandlers, TrustedSenders } from './ipc.ts';
import { installSecurityGuards } from './security.ts';
import { AppTray } from './tray.ts';
import { hasTrayHost } from './tray-host.ts';
import { trayPresentation } from './tray-model.ts';
import { AppWindow, registerAppScheme, serveRenderer } from './windows.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = join(HERE, '..', '..');
const RENDERER_ROOT = join(DIST, 'renderer');
const PRELOAD = join(DIST, 'preload', 'index.cjs');
const TRAY_ICONS = join(DIST, 'icons', 'tray');
const EXEC = process.env.APPIMAGE ?? process.execPath;

const log = (line: string): void => {
  process.stderr.write(`vespera-updates: ${line}\n`);
};

registerAppScheme();
app.setName('Vespera Updates');

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  const startHidden = process.argv.includes('--hidden');
  const senders = new TrustedSenders();
  const window = new AppWindow(PRELOAD, senders);
  let backend: UiBackend | undefined;
  let tray: AppTray | undefined;
  let autostart = false;

  app.on('second-instance', () => window.open('status'));
  // Closing the window keeps the app running: the tray (or, without one, its notifications) carries on;
  // launching the app again opens the window.
  app.on('window-all-closed', () => {});
  app.on('before-quit', () => {
    tray?.destroy();
    void backend?.close();
  });

  const act = (action: ActionId | 'quit'): void => {
    if (action === 'quit') {
      app.quit();
      return;
    }
    const command = ({
      'check-now': 'update.check',
      'restart-now': 'update.restartNow',
      'discard-staged': 'update.discardStaged',
      'stage-update': 'update.stage',
    } as const)[action as 'check-now'];
    if (command && backend) {
      void backend.invoke(command, null).then((outcome) => {
        if (!outcome.ok) window.open('details');
      });
      return;
    }
    const view: View = action === 'migrate' ? 'migration' : action === 'rollback' ? 'rollback' : action === 'doctor' ? 'doctor' : 'details';
    window.open(view);
  };

  void app.whenReady().then(async () => {
    installSecurityGuards();
    serveRenderer(RENDERER_ROOT);
    autostart = await isAutostartEnabled();
    try {
      backend = await UiBackend.start({
        autostart: {
          get: () => isAutostartEnabled(),
          set: async (enabled) => {
            await setAutostart(enabled, EXEC);
            autostart = enabled;
            if (backend) tray?.update(trayPresentation(backend.snapshot(), autostart));
          },
        },
        showWindow: (view) => window.open(view),
        log,
      });
    } catch (error) {
      dialog.showErrorBox('Vespera Updates cannot start', describeError(error));
      app.quit();
      return;
    }
    const live = backend;
    registerContractHandlers(ipcMain, live, senders, log);
    live.on('status.changed', (snapshot) => {
      senders.broadcast(window.contents(), 'status.changed', snapshot);
      tray?.update(trayPresentation(snapshot, autostart));
    });
    live.on('operation.progress', (event) => senders.broadcast(window.contents(), 'operation.progress', event));
    live.on('navigate', ({ view }) => window.open(view));

    if (await hasTrayHost()) {
      tray = new AppTray(TRAY_ICONS, {
        action: act,
        open: (view) => window.open(view),
        toggleAutostart: (enabled) => void live.invoke('settings.set', { autostart: enabled }),
      }, trayPresentation(live.snapshot(), autostart));
    }
    // Without a tray host (stock GNOME) the launcher opens the window and notifications carry the rest.
    if (!startHidden) window.open('status');
  });
}
