import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { HELPER_SHIM, POLKIT_ACTION } from '../../../main/policy/helper-client.ts';

const file = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const ACTION = readFileSync(file('build/io.github.vespera.Updates.policy'), 'utf8');

/** Elements open and close in order (enough to catch a broken hand edit of the action file). */
function wellFormed(xml: string): boolean {
  const stack: string[] = [];
  const body = xml.replace(/<\?xml[^>]*\?>/, '').replace(/<!DOCTYPE[^>]*>/, '').replace(/<!--[\s\S]*?-->/g, '');
  for (const [, closing, name, selfClosing] of body.matchAll(/<(\/?)([A-Za-z_][\w.-]*)[^>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (closing) {
      if (stack.pop() !== name) return false;
    } else stack.push(name ?? '');
  }
  return stack.length === 0;
}

describe('packaging of the privileged policy helper', () => {
  it('declares one polkit action bound to the shim, asking for an admin password every time', () => {
    expect(wellFormed(ACTION)).toBe(true);
    expect([...ACTION.matchAll(/<action id="([^"]+)"/g)].map((m) => m[1])).toEqual([POLKIT_ACTION]);
    expect(ACTION).toContain(`<annotate key="org.freedesktop.policykit.exec.path">${HELPER_SHIM}</annotate>`);
    // auth_admin_keep would let one password authorise the next change unasked for a few minutes.
    expect([...ACTION.matchAll(/<(allow_any|allow_inactive|allow_active)>([^<]*)</g)].map((m) => `${m[1] ?? ''}=${m[2] ?? ''}`)).toEqual([
      'allow_any=auth_admin',
      'allow_inactive=auth_admin',
      'allow_active=auth_admin',
    ]);
  });

  it('installs the shim and the action where the client and polkit look for them', () => {
    const config = parse(readFileSync(file('electron-builder.yml'), 'utf8')) as { rpm: { fpm: string[] }; electronFuses: { runAsNode: boolean } };
    expect(config.rpm.fpm).toContain(`build/policy-helper=${HELPER_SHIM}`);
    expect(config.rpm.fpm).toContain(`build/io.github.vespera.Updates.policy=/usr/share/polkit-1/actions/${POLKIT_ACTION.replace(/\.container-policy$/, '')}.policy`);
    expect(config.electronFuses.runAsNode).toBe(true);
  });

  it('has a shim that parses, runs the built helper with Electron as Node, and refuses --root', () => {
    execFileSync('sh', ['-n', file('build/policy-helper')]);
    const shim = readFileSync(file('build/policy-helper'), 'utf8');
    expect(shim).toContain('ELECTRON_RUN_AS_NODE=1');
    expect(shim).toContain('dist/main/policy/helper.js');
    const refused = spawnSync('sh', [file('build/policy-helper'), 'apply', '--root', '/tmp'], { encoding: 'utf8' });
    expect(refused.status).toBe(9);
    expect(refused.stderr).toMatch(/--root is for tests only/);
  });
});
