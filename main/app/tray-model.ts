// What the tray shows for a status snapshot: which icon, the tooltip, and the menu, as plain data.
// tray.ts turns it into Electron objects; keeping this pure lets the tests check every state in Node.

import type { ActionId, StatusSnapshot, View } from '../../preload/contract.ts';

/** The five icon states of build/icons (distinct in shape, not only colour). */
export type TrayIcon = 'signed' | 'ready' | 'busy' | 'attention' | 'unverified';

export type TrayMenuItem =
  | { readonly kind: 'label'; readonly text: string }
  | { readonly kind: 'separator' }
  | { readonly kind: 'action'; readonly text: string; readonly action: ActionId | 'quit'; readonly enabled: boolean }
  | { readonly kind: 'open'; readonly text: string; readonly view: View }
  | { readonly kind: 'toggle'; readonly text: string; readonly setting: 'autostart'; readonly checked: boolean };

export interface TrayPresentation {
  readonly icon: TrayIcon;
  readonly tooltip: string;
  readonly menu: readonly TrayMenuItem[];
}

export function trayIcon(snapshot: StatusSnapshot): TrayIcon {
  switch (snapshot.health) {
    case 'signed-current':
      return 'signed';
    case 'update-ready':
    case 'update-available':
    case 'restart-pending':
      return 'ready';
    case 'cannot-check': {
      // No evidence either way: keep the last good answer's look; the tooltip says it is not current.
      const running = snapshot.deployments.find((d) => d.role === 'booted')?.signature;
      return running?.lastVerified && snapshot.enforcement.mode !== 'none' ? 'signed' : 'unverified';
    }
    case 'checking':
    case 'busy':
      return 'busy';
    case 'unverified':
      return 'unverified';
    case 'needs-attention':
    case 'no-daemon':
      return 'attention';
  }
}

const ACTION_TEXT: Partial<Record<ActionId, (s: StatusSnapshot) => string>> = {
  'restart-now': (s) => (s.update?.version ? `Restart now to apply ${s.update.version}` : 'Restart now to apply the update'),
  'stage-update': (s) => (s.update?.version ? `Download ${s.update.version} for the next restart` : 'Download the update'),
  'discard-staged': () => 'Discard the staged update',
  'check-now': () => 'Check for updates',
  migrate: () => 'Make this host verify signatures…',
  rollback: () => 'Roll back…',
};

export function trayPresentation(snapshot: StatusSnapshot, autostart: boolean): TrayPresentation {
  const busy = snapshot.transaction !== undefined;
  const progress = snapshot.transaction?.percent !== undefined ? ` (${snapshot.transaction.percent}%)` : '';
  const tooltip = busy
    ? `Vespera Updates: ${snapshot.transaction?.title ?? 'working'}${progress}`
    : `Vespera Updates: ${snapshot.headline}`;
  const menu: TrayMenuItem[] = [{ kind: 'label', text: snapshot.headline }, { kind: 'label', text: snapshot.enforcement.summary }];
  const actions = snapshot.actions.filter((a) => ACTION_TEXT[a]);
  if (actions.length > 0) menu.push({ kind: 'separator' });
  for (const action of actions) {
    menu.push({ kind: 'action', text: (ACTION_TEXT[action] as (s: StatusSnapshot) => string)(snapshot), action, enabled: !busy });
  }
  menu.push(
    { kind: 'separator' },
    { kind: 'open', text: 'Show status…', view: 'status' },
    ...(snapshot.update ? [{ kind: 'open' as const, text: 'Update details…', view: 'details' as const }] : []),
    { kind: 'open', text: 'Troubleshoot…', view: 'doctor' },
    { kind: 'separator' },
    { kind: 'toggle', text: 'Start at login', setting: 'autostart', checked: autostart },
    { kind: 'action', text: 'Quit', action: 'quit', enabled: true },
  );
  return { icon: trayIcon(snapshot), tooltip, menu };
}
