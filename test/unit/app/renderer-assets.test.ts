import { describe, expect, it } from 'vitest';
import { isAppUrl, rendererAsset } from '../../../main/app/renderer-assets.ts';

const ROOT = '/opt/vespera/dist/renderer';

describe('the app:// protocol', () => {
  it('serves the renderer files with their types', () => {
    expect(rendererAsset(ROOT, 'app://vespera/')).toEqual({ path: `${ROOT}/index.html`, type: 'text/html; charset=utf-8' });
    expect(rendererAsset(ROOT, 'app://vespera/assets/index-abc.js')?.path).toBe(`${ROOT}/assets/index-abc.js`);
  });

  it.each([
    'app://vespera/../../../etc/passwd',
    'app://vespera/%2e%2e/%2e%2e/etc/passwd',
    'app://vespera/assets/..%2F..%2F..%2Fetc%2Fshadow.js',
    'app://vespera/x%00.html',
    'app://evil/index.html',
    'file:///etc/passwd',
    'https://vespera/index.html',
    'app://vespera/secret.sh',
    'app://vespera/assets\\..\\..\\x.js',
  ])('refuses %s', (url) => {
    expect(rendererAsset(ROOT, url)).toBeUndefined();
  });

  it('trusts only its own origin', () => {
    expect(isAppUrl('app://vespera/index.html#details')).toBe(true);
    expect(isAppUrl('app://vespera.evil/index.html')).toBe(false);
    expect(isAppUrl('http://127.0.0.1/index.html')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });
});
