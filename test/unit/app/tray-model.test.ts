import { describe, expect, it } from 'vitest';
import type { HostHealth, StatusSnapshot } from '../../../preload/contract.ts';
import { trayPresentation } from '../../../main/app/tray-model.ts';

function snapshot(health: HostHealth, extra: Partial<StatusSnapshot> = {}): StatusSnapshot {
  return {
    health,
    headline: `headline for ${health}`,
    deployments: [],
    enforcement: { mode: 'key-enforced', summary: 'Enforced by the OS (key vespera.pub)', detail: '' },
    automaticUpdatePolicy: 'check',
    notices: [],
    actions: [],
    ...extra,
  };
}

describe('the tray', () => {
  it.each([
    ['signed-current', 'signed'],
    ['update-ready', 'ready'],
    ['update-available', 'ready'],
    ['checking', 'busy'],
    ['busy', 'busy'],
    ['needs-attention', 'attention'],
    ['no-daemon', 'attention'],
    ['unverified', 'unverified'],
    ['restart-pending', 'ready'],
  ] as const)('shows %s with the %s icon', (health, icon) => {
    expect(trayPresentation(snapshot(health), false).icon).toBe(icon);
  });

  it('keeps the last good look when signatures cannot be checked, and says why in the tooltip', () => {
    const booted = (signature: StatusSnapshot['deployments'][number]['signature']) => ({ id: 'b', role: 'booted' as const, transport: 'signed' as const, pinned: false, finalizationLocked: false, signature });
    const offline = { status: 'unchecked' as const, failure: { code: 'network', message: 'refused' } };
    const known = trayPresentation(snapshot('cannot-check', { headline: "Could not check the running system's signature", deployments: [booted({ ...offline, lastVerified: { checkedAt: '2026-11-20T08:00:00Z', signedBy: 'build.yml' } })] }), false);
    expect(known).toMatchObject({ icon: 'signed', tooltip: "Vespera Updates: Could not check the running system's signature" });
    expect(trayPresentation(snapshot('cannot-check', { deployments: [booted(offline)] }), false).icon).toBe('unverified');
  });

  it('offers restart with the version, and says who enforces', () => {
    const p = trayPresentation(
      snapshot('update-ready', {
        actions: ['restart-now', 'discard-staged'],
        update: { state: 'ready', version: '42.20261125.0', digest: 'sha256:x', signature: { status: 'verified' } },
      }),
      true,
    );
    const texts = p.menu.flatMap((i) => ('text' in i ? [i.text] : []));
    expect(texts).toContain('Restart now to apply 42.20261125.0');
    expect(texts).toContain('Enforced by the OS (key vespera.pub)');
    expect(texts).toContain('Update details…');
    expect(p.menu).toContainEqual({ kind: 'toggle', text: 'Start at login', setting: 'autostart', checked: true });
  });

  it('greys out actions and shows progress while a transaction runs', () => {
    const p = trayPresentation(
      snapshot('busy', { actions: ['check-now'], transaction: { title: 'rebase', percent: 40, ownedByApp: true } }),
      false,
    );
    expect(p.tooltip).toBe('Vespera Updates: rebase (40%)');
    expect(p.menu.find((i) => i.kind === 'action' && i.action === 'check-now')).toMatchObject({ enabled: false });
  });
});
