// Turns view-model values into the short forms the UI shows: dates, digests, commits, sizes and
// error messages. Pure functions, so views stay declarative and tests can rely on stable output.

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** "25 Nov 2026, 04:00" in the user's locale; the raw text when it is not a date. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : DATE_TIME.format(date);
}

export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : DATE.format(date);
}

/** `sha256:1a2b3c4d5e6f…` — enough to tell digests apart at a glance; the full one is one click away. */
export function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.includes(':') ? digest.split(':', 2) : ['', digest];
  if (!hex || hex.length <= 16) return digest;
  return `${algorithm ? `${algorithm}:` : ''}${hex.slice(0, 12)}…`;
}

export function shortCommit(commit: string): string {
  return /^[0-9a-f]{13,}$/i.test(commit) ? commit.slice(0, 12) : commit;
}

const UNITS = ['bytes', 'kB', 'MB', 'GB', 'TB'] as const;

/** Decimal units, as GNOME's file manager shows them. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit] ?? 'bytes'}`;
}

/** The words of a failed command; CommandError messages already say what to do. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong in Vespera Updates. Try again; if it keeps failing, restart the app.';
}
