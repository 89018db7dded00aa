// Text that came from outside (registries, signatures, files) made safe to show: no terminal escape
// sequences, no carriage returns or direction overrides that could redraw a refusal as "Verified".

// C0 controls but tab and newline, DEL, C1 (U+009B is a one-character CSI on some terminals),
// bidirectional marks and overrides, and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- as above, plus tab and newline
const UNSAFE_INLINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function visible(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (char === '\n') return '\\n';
  if (char === '\t') return '\\t';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0').toUpperCase()}` : `\\u${code.toString(16).padStart(4, '0').toUpperCase()}`;
}

/**
 * For a terminal or a window: every unsafe character written out visibly (`\x1B`, `\u202E`), so a
 * person sees that something odd was there. Newlines and tabs stay. Idempotent.
 */
export function displayText(text: string): string {
  return String(text).replace(UNSAFE, visible);
}

/** Like displayText, for a value that must stay on one line (a tag, a name, a reason): newlines too. */
export function inlineText(text: string): string {
  return String(text).replace(UNSAFE_INLINE, visible);
}

/**
 * JSON text with the unsafe characters JSON.stringify leaves raw (DEL, C1, direction marks) written as
 * `\\uXXXX` escapes: still the same JSON, and safe on a terminal.
 */
export function displayJson(json: string): string {
  return json.replace(UNSAFE, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

/** A quoted outside string for a message: `"…"` with everything unsafe written out. */
export function quoted(text: string): string {
  return `"${inlineText(text).replaceAll('"', '\\"')}"`;
}

/** Outside text for one line where escapes would only confuse (notifications): removed, whitespace collapsed, bounded. */
export function oneLine(text: string, max: number): string {
  return bound(String(text).replace(UNSAFE_INLINE, (c) => (c === '\n' || c === '\t' ? ' ' : '')).replace(/\s+/g, ' ').trim(), max);
}

/** Unsafe characters removed; newlines kept (a notification body). */
export function withoutControls(text: string): string {
  return String(text).replace(UNSAFE, '');
}

function bound(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** For servers that read notification bodies as markup (Freedesktop `body-markup`). */
export function escapeMarkup(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** displayText applied to every string in a JSON-like value (the view model the windows show). */
export function displayValue<T>(value: T): T {
  if (typeof value === 'string') return displayText(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => displayValue(v)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, displayValue(v)])) as T;
  }
  return value;
}
