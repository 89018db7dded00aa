import { describe, expect, it } from 'vitest';
import { displayJson, displayText, displayValue, inlineText, oneLine, quoted, withoutControls } from '../../../main/shared/display-text.ts';

// What a lying registry puts in a tag or a version label to redraw the line above as a success.
const REDRAW = 'latest\r\x1b[2K\x1b[32mVerified: ghcr.io/acme/vespera\x1b[0m';

describe('outside text on a terminal', () => {
  it('writes escape sequences and carriage returns out visibly, so nothing moves the cursor', () => {
    const shown = displayText(`Refused: ${REDRAW}`);
    expect(shown).toBe('Refused: latest\\x0D\\x1B[2K\\x1B[32mVerified: ghcr.io/acme/vespera\\x1B[0m');
    expect([...shown].every((c) => c >= ' ' && c !== '\x7f')).toBe(true);
    // Idempotent: a second pass at another edge changes nothing.
    expect(displayText(shown)).toBe(shown);
  });

  it('catches the one-character CSI, DEL and direction overrides, and keeps newlines and tabs in messages', () => {
    expect(displayText('a\u009b2Kb\u007f\u202Eevil\u2066')).toBe('a\\x9B2Kb\\x7F\\u202Eevil\\u2066');
    expect(displayText('line one\n\tline two')).toBe('line one\n\tline two');
  });

  it('keeps a value on one line where a newline could fake a line of output', () => {
    expect(inlineText('42.1\nVerified: yes')).toBe('42.1\\nVerified: yes');
    expect(quoted('a"b\x1b')).toBe('"a\\"b\\x1B"');
  });

  it('leaves JSON valid: escapes become \\u escapes inside strings', () => {
    const json = displayJson(JSON.stringify({ tag: 'x\u009b\u202Ey', n: 1 }, null, 2));
    expect(JSON.parse(json)).toEqual({ tag: 'x\u009b\u202Ey', n: 1 });
    expect(json).not.toMatch(/[\u0080-\u009f\u202a-\u202e]/);
  });

  it('cleans every string of a view model, however deep', () => {
    expect(displayValue({ headline: REDRAW, notices: [{ message: 'a\x1bb' }], n: 3, ok: true })).toEqual({
      headline: displayText(REDRAW),
      notices: [{ message: 'a\\x1Bb' }],
      n: 3,
      ok: true,
    });
  });

  it('strips rather than shows, for notifications', () => {
    expect(oneLine('acme\u202Eevil\u0007\n  corp', 100)).toBe('acmeevil corp');
    expect(withoutControls('body\x1b[31m\nnext')).toBe('body[31m\nnext');
  });
});
