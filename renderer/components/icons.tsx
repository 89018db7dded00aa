// The UI's small symbols, drawn here as inline SVG (no icon font, no image requests, CSP-clean).
// Each is decoration beside words that say the same thing, so all are hidden from screen readers.

import type { ComponentChildren } from 'preact';

export type IconName =
  | 'shield-check'
  | 'shield-key'
  | 'shield-app'
  | 'shield-off'
  | 'arrow-up'
  | 'warning'
  | 'error'
  | 'clock'
  | 'sync'
  | 'dash'
  | 'info'
  | 'check'
  | 'skip'
  | 'copy'
  | 'plug'
  | 'chevron-left';

const SHIELD = 'M12 2.75 4.75 5.5v5.75c0 4.55 3.05 8.45 7.25 9.95 4.2-1.5 7.25-5.4 7.25-9.95V5.5Z';

// Functions, not shared vnodes: a vnode must not be mounted in two places at once.
const GLYPHS: Record<IconName, () => ComponentChildren> = {
  'shield-check': () => (
    <>
      <path d={SHIELD} />
      <path d="m8.75 12 2.25 2.25 4.25-4.5" />
    </>
  ),
  'shield-key': () => (
    <>
      <path d={SHIELD} />
      <circle cx="10" cy="11" r="2" />
      <path d="M12 11h3.5v2M14 11v1.5" />
    </>
  ),
  'shield-app': () => (
    <>
      <path d={SHIELD} />
      <path d="M8.75 9.25h6.5v5.5h-6.5zM8.75 11.25h6.5" />
    </>
  ),
  'shield-off': () => (
    <>
      <path d="M6.4 4.9 12 2.75l7.25 2.75v5.75c0 1.6-.38 3.12-1.06 4.47M16.1 19.1A11 11 0 0 1 12 21.2c-4.2-1.5-7.25-5.4-7.25-9.95V6.2" />
      <path d="m3.5 3.5 17 17" />
    </>
  ),
  'arrow-up': () => (
    <>
      <circle cx="12" cy="12" r="8.75" />
      <path d="M12 16.25v-8.5M8.5 11 12 7.5l3.5 3.5" />
    </>
  ),
  warning: () => (
    <>
      <path d="M12 3.5 2.75 19.75h18.5Z" />
      <path d="M12 9.5v4.75M12 17v.25" />
    </>
  ),
  error: () => (
    <>
      <circle cx="12" cy="12" r="8.75" />
      <path d="m9 9 6 6m0-6-6 6" />
    </>
  ),
  clock: () => (
    <>
      <circle cx="12" cy="12" r="8.75" />
      <path d="M12 7.5V12l3 2" />
    </>
  ),
  sync: () => (
    <>
      <path d="M18.6 9.5A7 7 0 0 0 6.3 8M5.4 14.5A7 7 0 0 0 17.7 16" />
      <path d="M18.75 4.75V9.5H14M5.25 19.25V14.5H10" />
    </>
  ),
  dash: () => (
    <>
      <circle cx="12" cy="12" r="8.75" />
      <path d="M8 12h8" />
    </>
  ),
  info: () => (
    <>
      <circle cx="12" cy="12" r="8.75" />
      <path d="M12 11v5.25M12 7.75V8" />
    </>
  ),
  check: () => (
    <>
      <circle cx="12" cy="12" r="8.75" />
      <path d="m8.5 12.25 2.5 2.5 4.75-5" />
    </>
  ),
  skip: () => (
    <>
      <circle cx="12" cy="12" r="8.75" />
      <path d="m10 8.5 3.5 3.5-3.5 3.5M14.5 8.5v7" />
    </>
  ),
  copy: () => (
    <>
      <rect x="8.75" y="8.75" width="11" height="11" rx="2" />
      <path d="M15.25 5.75v-.5a1.5 1.5 0 0 0-1.5-1.5h-8a1.5 1.5 0 0 0-1.5 1.5v8a1.5 1.5 0 0 0 1.5 1.5h.5" />
    </>
  ),
  plug: () => (
    <>
      <path d="M9 3.5V8M15 3.5V8M6.5 8h11v3a5.5 5.5 0 0 1-11 0ZM12 16.5v4" />
      <path d="m3.5 3.5 17 17" />
    </>
  ),
  'chevron-left': () => <path d="m14.5 6-6 6 6 6" />,
};

export function Icon({ name, class: className }: { readonly name: IconName; readonly class?: string }) {
  return (
    <svg
      class={`icon${className ? ` ${className}` : ''}`}
      viewBox="0 0 24 24"
      width="20"
      height="20"
      fill="none"
      stroke="currentColor"
      stroke-width="1.75"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      focusable="false"
      data-icon={name}
    >
      {GLYPHS[name]()}
    </svg>
  );
}
