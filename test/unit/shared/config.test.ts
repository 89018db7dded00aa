import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  configFiles,
  DEFAULT_CONFIG,
  familyFor,
  GITHUB_ISSUER,
  loadConfig,
  mergeConfig,
  parseConfigText,
  registrySettings,
} from '../../../main/shared/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FULL = `
registries:
  - host: 127.0.0.1:5000
    insecure: true
    github-packages: true
trust:
  trusted-root: /var/lib/sigstore/trusted_root.json
families:
  - images: [ghcr.io/acme/vespera*]
    repository: https://github.com/acme/vespera
    workflow-ref: refs/heads/main
    key: /etc/pki/containers/vespera.pub
updates:
  automatic-staging: true
reminders:
  ready-every: 2d
  failure-every: 12h
`;

describe('configuration', () => {
  it('reads every setting into typed values with defaults for what is left out', () => {
    const config = mergeConfig(DEFAULT_CONFIG, parseConfigText(FULL, 'config.yaml'));
    expect(registrySettings(config, '127.0.0.1:5000')).toEqual({ host: '127.0.0.1:5000', insecure: true, githubPackages: true });
    expect(registrySettings(config, 'ghcr.io').githubPackages).toBe(true);
    expect(registrySettings(config, 'quay.io')).toEqual({ host: 'quay.io', insecure: false, githubPackages: false });
    expect(familyFor(config, 'ghcr.io/acme/vespera-dx-nvidia')).toMatchObject({
      repository: 'https://github.com/acme/vespera',
      issuer: GITHUB_ISSUER,
      workflowRefs: ['refs/heads/main'],
    });
    expect(familyFor(config, 'ghcr.io/other/vespera')).toBeUndefined();
    expect(config.reminders).toEqual({ readyEveryMs: 2 * 86_400_000, failureEveryMs: 12 * 3_600_000 });
    expect(config.updates.automaticStaging).toBe(true);
  });

  it('reads ref pins as one ref or a list, the tag age limit, the trust root refresh and the world clock', () => {
    const text = [
      'families:',
      '  - images: [ghcr.io/acme/vespera*]',
      '    repository: https://github.com/acme/vespera',
      '    workflow-ref: [refs/heads/main, refs/tags/*]',
      'updates:',
      '  max-tag-age: 14d',
      'trust:',
      '  refresh-every: 6h',
      'world:',
      '  root: /w',
      '  etc-root: /w/etc',
      '  clock: 2026-12-20T00:00:00Z',
      '',
    ].join('\n');
    const config = mergeConfig(DEFAULT_CONFIG, parseConfigText(text, 'config.yaml'));
    expect(familyFor(config, 'ghcr.io/acme/vespera')?.workflowRefs).toEqual(['refs/heads/main', 'refs/tags/*']);
    expect(config.updates.maxTagAgeMs).toBe(14 * 86_400_000);
    expect(config.trust.refreshEveryMs).toBe(6 * 3_600_000);
    expect(config.world).toEqual({ root: '/w', etcRoot: '/w/etc', clock: '2026-12-20T00:00:00Z' });
    expect(DEFAULT_CONFIG.updates.maxTagAgeMs).toBe(30 * 86_400_000);
  });

  it("lets the user's file win over the system's", () => {
    const system = parseConfigText('reminders: {ready-every: 7d}\nfamilies:\n  - images: [ghcr.io/acme/x]\n    repository: https://github.com/acme/x\n', '/etc');
    const user = parseConfigText('reminders: {ready-every: 1d}\nfamilies:\n  - images: [ghcr.io/acme/x]\n    repository: https://github.com/me/x\n', '~');
    const config = mergeConfig(mergeConfig(DEFAULT_CONFIG, system), user);
    expect(config.reminders.readyEveryMs).toBe(86_400_000);
    expect(familyFor(config, 'ghcr.io/acme/x')?.repository).toBe('https://github.com/me/x');
    expect(config.sources).toEqual(['/etc', '~']);
  });

  it.each([
    ['registries:\n  - host: ghcr io\n', /line 2: registries\[0\]\.host: "ghcr io" is not a registry host/],
    ['trust:\n  trusted-roots: /x\n', /line 2: trust\.trusted-roots: unknown setting \(known here: trusted-root, tuf-mirror, refresh-every\)/],
    ['families:\n  - images: [ghcr.io/a/b]\n', /families\[0\]: say who signs/],
    ['families:\n  - images: [ghcr.io/a/b]\n    repository: https://github.com/a/b\n    identity: x\n', /give only one of repository, identity, identity-regexp/],
    ['families:\n  - images: [ghcr.io/a/b]\n    identity-regexp: "(("\n', /not a valid regular expression/],
    ['reminders:\n  ready-every: 3 days\n', /not a duration like 3d/],
    ['reminders:\n  ready-every: 10s\n', /at least one minute/],
    ['updates:\n  automatic-staging: yes please\n', /expected true or false/],
    ['updates:\n  max-tag-age: a month\n', /updates\.max-tag-age: "a month" is not a duration/],
    ['families:\n  - images: [ghcr.io/a/b]\n    repository: https://github.com/a/b\n    workflow-ref: main\n', /workflow-ref: "main" is not a git ref like refs\/heads\/main/],
    ['families:\n  - images: [ghcr.io/a/b]\n    repository: https://github.com/a/b\n    workflow-ref: []\n', /workflow-ref: name at least one/],
    ['world:\n  root: /w\n  etc-root: /w/etc\n  clock: tomorrow\n', /world\.clock: "tomorrow" is not a UTC time/],
    ['a: [1\n', /not valid YAML/],
    ['trust: {}\ntrust: {}\n', /not valid YAML/],
  ])('refuses %j with the line and what is wrong', (text, message) => {
    expect(() => parseConfigText(text, 'config.yaml')).toThrowError(message);
    expect(() => parseConfigText(text, 'config.yaml')).toThrowError(/fix/);
  });

  it('reads only VESPERA_UPDATES_CONFIG when set, and says so when that file is missing', async () => {
    expect(configFiles({ VESPERA_UPDATES_CONFIG: '/x.yaml' })).toEqual(['/x.yaml']);
    expect(configFiles({ XDG_CONFIG_HOME: '/home/u/.config' })).toEqual([
      '/etc/vespera-updates/config.yaml',
      '/home/u/.config/vespera-updates/config.yaml',
    ]);
    await expect(loadConfig({ VESPERA_UPDATES_CONFIG: join(dir, 'missing.yaml') })).rejects.toMatchObject({ code: 'config-unreadable' });
    const path = join(dir, 'c.yaml');
    writeFileSync(path, FULL);
    expect((await loadConfig({ VESPERA_UPDATES_CONFIG: path })).sources).toEqual([path]);
  });

  it('skips config files that do not exist in the normal locations', async () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, 'vespera-updates'), { recursive: true });
    writeFileSync(join(home, 'vespera-updates', 'config.yaml'), 'updates: {automatic-staging: true}\n');
    const config = await loadConfig({ XDG_CONFIG_HOME: home });
    expect(config.updates.automaticStaging).toBe(true);
  });
});
