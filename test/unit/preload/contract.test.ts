// The contract's input check for migration options, as main applies it to whatever a renderer sends:
// the three scopes (one image, each variant, the namespace) pass; anything else is refused by name.

import { describe, expect, it } from 'vitest';
import { validateInput } from '../../../preload/contract.ts';

describe('migration.preview input', () => {
  it.each(['image', 'per-variant', 'namespace'] as const)('takes the scope %s', (scope) => {
    expect(validateInput('migration.preview', { mode: 'key', scope, defaultPolicy: 'reject' })).toEqual({ mode: 'key', scope, defaultPolicy: 'reject' });
  });

  it('refuses a scope main does not know, naming the ones it does', () => {
    expect(() => validateInput('migration.preview', { scope: 'everything' })).toThrow('scope must be one of image, per-variant, namespace');
  });

  it('refuses choices smuggled in as input: main alone says what can be chosen', () => {
    expect(() => validateInput('migration.preview', { scope: 'image', choices: { scope: [] } })).toThrow('unexpected field "choices"');
  });
});
