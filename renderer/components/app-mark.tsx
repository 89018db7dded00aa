// The app's mark beside its name: the same evening-star shield as the app icon, drawn inline.
// Decorative (the name is text next to it), so hidden from screen readers.

export function AppMark() {
  return (
    <svg class="app-mark" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
      <rect x="1" y="1" width="22" height="22" rx="6" class="app-mark-tile" />
      <path d="M12 4.5 6.5 6.6v4.1c0 3.5 2.3 6.4 5.5 7.6 3.2-1.2 5.5-4.1 5.5-7.6V6.6Z" class="app-mark-shield" />
      <path d="m9.4 11.3 1.8 1.8 3.5-3.6" class="app-mark-check" />
    </svg>
  );
}
