// A JSON reader that refuses duplicate object keys, as containers/image's paranoid parser does, so
// a signed payload can never mean one thing to this app and another to rpm-ostree.

import { quoted } from '../shared/display-text.ts';
import { TrustError, type TrustFailureCode } from './errors.ts';

export interface StrictJsonOptions {
  /** Keys that are the same after this are repeats too (Go's encoding/json folds case). */
  readonly sameKey?: (key: string) => string;
  /** The failure code for a repeated key (default unsupported-format). */
  readonly repeatCode?: TrustFailureCode;
}

/** Parses `text` like JSON.parse, but a repeated key anywhere is an error. */
export function parseStrictJson(text: string, what: string, options: StrictJsonOptions = {}): unknown {
  const value: unknown = (() => {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new TrustError('unsupported-format', `${what} is not valid JSON (${(error as Error).message}).`);
    }
  })();
  // JSON.parse has validated the syntax; one linear scan now only has to find keys per object.
  const stack: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const written = JSON.parse(text.slice(i, j + 1)) as string;
        const key = options.sameKey ? options.sameKey(written) : written;
        if (top.has(key)) {
          throw new TrustError(
            options.repeatCode ?? 'unsupported-format',
            `${what} repeats the key ${quoted(written)}${options.sameKey ? ' (Go reads keys without regard to case)' : ''}; containers/image would read it differently than this app, so it is refused.`,
          );
        }
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] !== null;
    }
  }
  return value;
}
