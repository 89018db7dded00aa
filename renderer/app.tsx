// The shell: the header (state, who enforces, a running transaction), navigation and the views. It
// follows main's status.changed and navigate events, and keeps each visited view mounted (hidden).

import { createRef, type RefObject } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { VIEW_NAMES, isView, type StatusSnapshot, type VesperaApi, type View } from '../preload/contract.ts';
import { AppContext, type AppContextValue } from './app-context.ts';
import { AppMark } from './components/app-mark.tsx';
import { EnforcementLine } from './components/enforcement.tsx';
import { Icon } from './components/icons.tsx';
import { TransactionBar } from './components/progress.tsx';
import { errorMessage } from './format.ts';
import { HEALTH } from './labels.ts';
import { DoctorView } from './views/doctor.tsx';
import { MigrationWizard } from './views/migration-wizard.tsx';
import { RollbackWizard } from './views/rollback-wizard.tsx';
import { SettingsView } from './views/settings.tsx';
import { StatusView } from './views/status.tsx';
import { UpdateDetailsView } from './views/update-details.tsx';
import type { ViewProps } from './views/view-props.ts';

const VIEWS: Record<View, { readonly title: string; readonly component: (props: ViewProps) => preact.JSX.Element }> = {
  status: { title: 'Status', component: StatusView },
  details: { title: 'Update details', component: UpdateDetailsView },
  migration: { title: 'Switch to a signed image', component: MigrationWizard },
  rollback: { title: 'Roll back', component: RollbackWizard },
  doctor: { title: 'Diagnose problems', component: DoctorView },
  settings: { title: 'Settings', component: SettingsView },
};

/** The views the navigation offers; the wizards open from actions, notifications and the tray. */
const NAVIGATION: ReadonlyArray<{ readonly view: View; readonly label: string }> = [
  { view: 'status', label: 'Status' },
  { view: 'details', label: 'Update' },
  { view: 'doctor', label: 'Doctor' },
  { view: 'settings', label: 'Settings' },
];

export function App({ api, initialView }: { readonly api: VesperaApi; readonly initialView: View }) {
  const [view, setView] = useState<View>(initialView);
  const [visited, setVisited] = useState<ReadonlySet<View>>(() => new Set([initialView]));
  const [snapshot, setSnapshot] = useState<StatusSnapshot | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const headingRefs = useMemo(() => Object.fromEntries(VIEW_NAMES.map((name) => [name, createRef<HTMLHeadingElement>()])) as Record<View, RefObject<HTMLHeadingElement | null>>, []);
  const navigated = useRef(false);

  const go = useCallback((next: View) => {
    navigated.current = true;
    setView(next);
    setVisited((previous) => (previous.has(next) ? previous : new Set([...previous, next])));
  }, []);

  const loadStatus = useCallback(() => {
    setLoadError(null);
    api.invoke('status.get', null).then(
      // An event may already have brought a newer snapshot; the answer only fills an empty view.
      (value) => setSnapshot((current) => current ?? value),
      (error: unknown) => setLoadError(errorMessage(error)),
    );
  }, [api]);

  useEffect(() => {
    const stopStatus = api.on('status.changed', (next) => {
      setLoadError(null);
      setSnapshot(next);
    });
    const stopNavigate = api.on('navigate', (request) => {
      if (isView(request.view)) go(request.view);
    });
    loadStatus();
    return () => {
      stopStatus();
      stopNavigate();
    };
  }, [api, go, loadStatus]);

  // A change of state is said aloud once, in the headline's words.
  const lastHealth = useRef<string | null>(null);
  useEffect(() => {
    if (!snapshot) return;
    if (lastHealth.current !== null && lastHealth.current !== snapshot.health) setAnnouncement(snapshot.headline);
    lastHealth.current = snapshot.health;
  }, [snapshot]);

  useEffect(() => {
    document.title = `${VIEWS[view].title} – Vespera Updates`;
    // Opening a view moves focus to its heading (not on first load: nothing was chosen yet).
    if (navigated.current) headingRefs[view].current?.focus();
  }, [view, headingRefs]);

  const context = useMemo<AppContextValue>(() => ({ api, snapshot, go, announce: setAnnouncement }), [api, snapshot, go]);
  const health = snapshot ? HEALTH[snapshot.health] : null;

  return (
    <AppContext.Provider value={context}>
      <div class="shell">
        <header class="app-header">
          <div class="brand">
            <AppMark />
            <span class="brand-name">Vespera Updates</span>
            {health && snapshot && view !== 'status' && (
              <span class={`badge tone-${health.tone}`} data-health={snapshot.health}>
                <Icon name={health.icon} />
                {health.label}
              </span>
            )}
          </div>
          {snapshot && <EnforcementLine enforcement={snapshot.enforcement} />}
          {snapshot?.transaction && <TransactionBar transaction={snapshot.transaction} />}
        </header>
        <nav class="app-nav" aria-label="Views">
          <ul>
            {NAVIGATION.map((item) => (
              <li key={item.view}>
                <button type="button" class="nav-item" aria-current={view === item.view ? 'page' : undefined} onClick={() => go(item.view)}>
                  {item.label}
                  {item.view === 'details' && snapshot?.update && (
                    <>
                      <span class="nav-dot" aria-hidden="true" />
                      <span class="visually-hidden"> (an update is waiting)</span>
                    </>
                  )}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <main class="content">
          {loadError && !snapshot && (
            <div class="callout tone-critical" role="alert">
              <Icon name="error" />
              <div>
                <p>Vespera Updates cannot read the state of this computer. {loadError}</p>
                <button type="button" class="button small" onClick={loadStatus}>
                  Try again
                </button>
              </div>
            </div>
          )}
          {VIEW_NAMES.filter((name) => visited.has(name)).map((name) => {
            const ViewComponent = VIEWS[name].component;
            return (
              <div key={name} class="view" data-view={name} hidden={name !== view}>
                <ViewComponent headingRef={headingRefs[name]} active={name === view} />
              </div>
            );
          })}
        </main>
        <div class="visually-hidden" aria-live="polite">
          {announcement}
        </div>
      </div>
    </AppContext.Provider>
  );
}
