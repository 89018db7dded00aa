import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, plainValue, readLocatedJson } from '../../../main/policy/located-json.ts';
import { caught } from '../../support/caught.ts';

const syntaxError = (text: string) => caught(() => readLocatedJson(text), JsonSyntaxError);

describe('the position-tracking JSON reader', () => {
  it('reads the same values JSON.parse does, keeping key order', () => {
    const text = '{"b": [1, -2.5e3, true, false, null], "a": {"x": "\\u00e9\\n\\"q\\""}}';
    expect(plainValue(readLocatedJson(text).root)).toEqual(JSON.parse(text));
    expect(Object.keys(plainValue(readLocatedJson(text).root) as object)).toEqual(['b', 'a']);
  });

  it('knows the line and column of every key and value', () => {
    const doc = readLocatedJson('{\n  "default": [\n    {"type": "reject"}\n  ]\n}\n');
    const root = doc.root;
    if (root.kind !== 'object') throw new Error('object expected');
    const member = root.members[0];
    expect(member && doc.positionAt(member.keyStart)).toMatchObject({ line: 2, column: 3 });
    expect(member && doc.positionAt(member.value.start)).toMatchObject({ line: 2, column: 14 });
  });

  it('refuses a key that appears twice and says where both are', () => {
    const error = syntaxError('{\n  "a": 1,\n  "a": 2\n}');
    expect(error.code).toBe('json-duplicate-key');
    expect(error.position).toMatchObject({ line: 3, column: 3 });
    expect(error.problem).toContain('first at line 2, column 3');
  });

  it.each([
    ['{"a": 1,}', /trailing commas/, 1, 9],
    ['[1, 2,]', /trailing commas/, 1, 7],
    ['{"a": 1 // note\n}', /comments/, 1, 9],
    ["{'a': 1}", /"quoted" key/, 1, 2],
    ['{"a": \'x\'}', /double quotes/, 1, 7],
    ['{"a": "x\ny"}', /end of the line/, 1, 7],
    ['{"a": 01}', /malformed/, 1, 7],
    ['{"a": 1} {}', /after the end/, 1, 10],
    ['', /empty/, 1, 1],
    ['\ufeff{}', /byte-order mark/, 1, 1],
    ['{"a": "\\x"}', /unknown escape/, 1, 8],
  ])('refuses %j with a message and position', (text, message, line, column) => {
    const error = syntaxError(text);
    expect(error.problem).toMatch(message);
    expect(error.position).toMatchObject({ line, column });
  });

  it('refuses nesting deeper than its limit and text longer than its limit', () => {
    expect(syntaxError('['.repeat(70) + ']'.repeat(70)).code).toBe('json-too-deep');
    expect(() => readLocatedJson('"abcdef"', { maxLength: 4 })).toThrow(/longer than 4/);
  });
});
