// Settings: start at login, and automatic staging of verified updates, each explained in plain
// words, including how it relates to rpm-ostree's own automatic updates and to who enforces.

import type { ComponentChildren } from 'preact';
import { useEffect, useId, useState } from 'preact/hooks';
import type { Settings } from '../../preload/contract.ts';
import { useApp } from '../app-context.ts';
import { errorMessage } from '../format.ts';
import type { ViewProps } from './view-props.ts';

function Toggle({
  label,
  checked,
  disabled,
  onChange,
  children,
}: {
  readonly label: string;
  readonly checked: boolean;
  readonly disabled: boolean;
  readonly onChange: (checked: boolean) => void;
  readonly children: ComponentChildren;
}) {
  const id = useId();
  return (
    <div class="setting">
      <div class="setting-row">
        <label for={id} class="setting-label">
          {label}
        </label>
        <input
          id={id}
          type="checkbox"
          role="switch"
          class="switch"
          checked={checked}
          disabled={disabled}
          aria-describedby={`${id}-about`}
          onChange={(event) => onChange(event.currentTarget.checked)}
        />
      </div>
      <div id={`${id}-about`} class="setting-about small">
        {children}
      </div>
    </div>
  );
}

export function SettingsView({ headingRef, active }: ViewProps) {
  const { api, snapshot } = useApp();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    if (!active) return;
    api.invoke('settings.get', null).then(setSettings, (error: unknown) => setMessage({ ok: false, text: errorMessage(error) }));
  }, [api, active]);

  async function change(patch: Partial<Settings>): Promise<void> {
    const before = settings;
    // The switch moves at once; if main refuses, it moves back and says why.
    setSettings((current) => (current ? { ...current, ...patch } : current));
    setSaving(true);
    setMessage(null);
    try {
      setSettings(await api.invoke('settings.set', patch));
      setMessage({ ok: true, text: 'Saved.' });
    } catch (error) {
      setSettings(before);
      setMessage({ ok: false, text: errorMessage(error) });
    } finally {
      setSaving(false);
    }
  }

  const mode = snapshot?.enforcement.mode;
  const timer = snapshot?.automaticUpdatePolicy;
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Settings
      </h1>
      {!settings && !message && <p role="status">Reading the settings…</p>}
      {settings && (
        <div class="card settings">
          <Toggle label="Start when I log in" checked={settings.autostart} disabled={saving} onChange={(autostart) => void change({ autostart })}>
            Vespera Updates starts in the background and stays in the tray. Where the desktop has no tray, it shows only notifications.
          </Toggle>
          <Toggle
            label="Stage verified updates automatically"
            checked={settings.automaticStaging}
            disabled={saving}
            onChange={(automaticStaging) => void change({ automaticStaging })}
          >
            <p>
              When a new image is published, Vespera Updates checks its signature and, only if it is valid, downloads it and stages it in
              the background. The update then waits, held by the OS, until you choose Restart now. An image that fails the check is never
              staged.
            </p>
            {mode && mode !== 'app-enforced' && (
              <p class="muted">
                This applies in app-enforced mode. This computer is {mode === 'key-enforced' ? 'key-enforced: the OS checks updates itself' : 'not enforcing signatures yet'}.
              </p>
            )}
            {mode === 'app-enforced' && (timer === 'stage' || timer === 'apply') && (
              <p>
                rpm-ostree’s own automatic updates are also on ({timer}). Those cannot check the keyless signature; Vespera Updates checks
                what they stage afterwards and warns you if it fails. Turning them off leaves staging to Vespera Updates alone.
              </p>
            )}
          </Toggle>
        </div>
      )}
      <div aria-live="polite">{message && <p class={message.ok ? 'small' : 'callout tone-critical'}>{message.text}</p>}</div>
    </>
  );
}
