import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  configFiles,
  DEFAULT_CONFIG,
  describeProvenance,
  familyFor,
  GITHUB_ISSUER,
  loadConfig,
  mergeConfig,
  parseConfigText,
  registrySettings,
  ConfigError,
} from '../../../main/shared/config.ts';
import { caught } from '../../support/caught.ts';

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

  it("lets the user's file set preferences and add families, and says which file set what", () => {
    const system = parseConfigText('reminders: {ready-every: 7d}\nfamilies:\n  - images: [ghcr.io/acme/x]\n    repository: https://github.com/acme/x\n', '/etc/vespera-updates/config.yaml');
    const base = mergeConfig(DEFAULT_CONFIG, system);
    const user = parseConfigText('reminders: {ready-every: 1d}\nfamilies:\n  - images: [ghcr.io/me/y]\n    repository: https://github.com/me/y\n', '/home/u/.config/vespera-updates/config.yaml', { below: base });
    const config = mergeConfig(base, user);
    expect(config.reminders.readyEveryMs).toBe(86_400_000);
    expect(familyFor(config, 'ghcr.io/acme/x')?.repository).toBe('https://github.com/acme/x');
    expect(familyFor(config, 'ghcr.io/me/y')?.repository).toBe('https://github.com/me/y');
    expect(config.sources).toEqual(['/etc/vespera-updates/config.yaml', '/home/u/.config/vespera-updates/config.yaml']);
    expect(config.provenance['reminders.ready-every']).toEqual({ layer: 'user', file: '/home/u/.config/vespera-updates/config.yaml', line: 1 });
    expect(config.provenance['families.ghcr.io/acme/x']).toEqual({ layer: 'system', file: '/etc/vespera-updates/config.yaml', line: 3 });
    expect(describeProvenance(config)).toEqual([
      "/etc/vespera-updates/config.yaml (the administrator's, pinned): family ghcr.io/acme/x (line 3)",
      '/home/u/.config/vespera-updates/config.yaml (yours: may add, never loosen): reminders of a ready update (line 1), family ghcr.io/me/y (line 3)',
      "built in: registry ghcr.io, trusted root (Sigstore's public one), automatic staging, reminders of a failed check, headline packages",
    ]);
  });

  it('puts the kernel, NVIDIA, mesa, systemd and the shell first by default; a file can name its own headline', () => {
    expect(DEFAULT_CONFIG.changes.headline.map((g) => g.label)).toEqual(['kernel', 'NVIDIA', 'mesa', 'systemd', 'GNOME Shell', 'Plasma']);
    const user = parseConfigText('changes:\n  headline:\n    - firefox\n    - label: GPU\n      packages: [nvidia-driver*, mesa-*]\n', '~');
    const config = mergeConfig(DEFAULT_CONFIG, user);
    expect(config.changes.headline).toEqual([
      { label: 'firefox', packages: ['firefox'] },
      { label: 'GPU', packages: ['nvidia-driver*', 'mesa-*'] },
    ]);
    // A file without the setting leaves the list below it as it was.
    expect(mergeConfig(config, parseConfigText('updates: {automatic-staging: true}\n', 'x')).changes.headline).toBe(config.changes.headline);
  });

  it.each([
    ['changes:\n  headline:\n    - "kernel core"\n', /line 3, column \d+: changes\.headline\[0\]: "kernel core" is not a package name/],
    ['changes:\n  headline:\n    - label: GPU\n', /changes\.headline\[0\]: a headline entry needs `label` and `packages`/],
    ['changes:\n  headline:\n    - label: GPU\n      packages: []\n', /name at least one package/],
    ['changes:\n  headline:\n    - label: "\\u202eUPG"\n      packages: [x]\n', /is not a short label/],
    ['changes:\n  headlines: [kernel]\n', /changes\.headlines: unknown setting \(known here: headline\)/],
  ])('refuses the headline setting %j with the line and what is wrong', (text, message) => {
    expect(() => parseConfigText(text, 'config.yaml')).toThrowError(message);
  });

  it.each([
    ['registries:\n  - host: ghcr io\n', /line 2, column 11: registries\[0\]\.host: "ghcr io" is not a registry host/],
    ['trust:\n  trusted-roots: /x\n', /line 2, column 3: trust\.trusted-roots: unknown setting \(known here: trusted-root, tuf-mirror, refresh-every\)/],
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
    ['a: [1\n', /line \d+, column \d+: not valid YAML/],
    ['trust: {}\ntrust: {}\n', /not valid YAML/],
  ])('refuses %j with the line and what is wrong', (text, message) => {
    expect(() => parseConfigText(text, 'config.yaml')).toThrowError(message);
    expect(() => parseConfigText(text, 'config.yaml')).toThrowError(/fix/);
  });

  it("reads VESPERA_UPDATES_CONFIG in the administrator's place, and says so when that file is missing", async () => {
    expect(configFiles({ VESPERA_UPDATES_CONFIG: '/x.yaml', XDG_CONFIG_HOME: '/home/u/.config' })).toEqual([
      { path: '/x.yaml', layer: 'system', required: true },
      { path: '/home/u/.config/vespera-updates/config.yaml', layer: 'user', required: false },
    ]);
    expect(configFiles({ XDG_CONFIG_HOME: '/home/u/.config' }).map((f) => f.path)).toEqual([
      '/etc/vespera-updates/config.yaml',
      '/home/u/.config/vespera-updates/config.yaml',
    ]);
    await expect(loadConfig({ VESPERA_UPDATES_CONFIG: join(dir, 'missing.yaml'), XDG_CONFIG_HOME: join(dir, 'nobody') })).rejects.toMatchObject({ code: 'config-unreadable' });
    const path = join(dir, 'c.yaml');
    writeFileSync(path, FULL);
    expect((await loadConfig({ VESPERA_UPDATES_CONFIG: path, XDG_CONFIG_HOME: join(dir, 'nobody') })).sources).toEqual([path]);
  });

  it('skips config files that do not exist in the normal locations', async () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, 'vespera-updates'), { recursive: true });
    writeFileSync(join(home, 'vespera-updates', 'config.yaml'), 'updates: {automatic-staging: true}\n');
    const config = await loadConfig({ XDG_CONFIG_HOME: home });
    expect(config.updates.automaticStaging).toBe(true);
  });
});

describe("the administrator's settings hold against a user's file", () => {
  const ADMIN = '/etc/vespera-updates/config.yaml';
  const USER = '/home/u/.config/vespera-updates/config.yaml';
  const system = mergeConfig(
    DEFAULT_CONFIG,
    parseConfigText(
      'registries:\n  - host: registry.example.com\n    github-packages: false\ntrust:\n  tuf-mirror: https://tuf.example.com\nfamilies:\n  - images: [ghcr.io/acme/vespera*]\n    repository: https://github.com/acme/vespera\n',
      ADMIN,
    ),
  );
  const asUser = (text: string) => () => parseConfigText(text, USER, { below: system });

  it.each([
    ['marking a registry insecure', 'registries:\n  - host: registry.internal\n    insecure: true\n', /line 3, column 15: registries\[0\]\.insecure: only the administrator's configuration .* may allow plain HTTP/],
    ['changing a registry the administrator set', 'registries:\n  - host: registry.example.com\n    github-packages: true\n', /line 2, column 5: registries\[0\]: the administrator set registry.example.com in \/etc\/vespera-updates\/config.yaml, line 2/],
    ['replacing the trusted root', 'trust:\n  trusted-root: /home/u/my-root.json\n', /line 2, column 17: trust\.trusted-root: only the administrator's configuration .* may replace the trusted root/],
    ['changing the TUF mirror', 'trust:\n  tuf-mirror: https://evil.example\n', /trust\.tuf-mirror: the administrator set the TUF mirror/],
    ['changing the identity of a pinned family', 'families:\n  - images: [ghcr.io/acme/vespera-nvidia]\n    repository: https://github.com/evil/vespera\n', /families\[0\]: ghcr.io\/acme\/vespera-nvidia overlaps the administrator's family for ghcr.io\/acme\/vespera\* \(\/etc\/vespera-updates\/config.yaml, line 7\)/],
    ['covering a pinned family with a wider pattern and a key', 'families:\n  - images: [ghcr.io/acme/*]\n    key: /home/u/evil.pub\n', /overlaps the administrator's family/],
    ['changing the workflow of a pinned family', 'families:\n  - images: [ghcr.io/acme/vespera]\n    repository: https://github.com/acme/vespera\n    workflow-ref: refs/heads/evil\n', /overlaps the administrator's family/],
    ['pointing the app at a test world', 'world:\n  root: /tmp/w\n  etc-root: /tmp/w/etc\n', /line 2, column 3: world: world is only for the test world/],
  ])('refuses %s, naming the line and what holds instead', (_what, text, message) => {
    const error = caught(asUser(text), ConfigError);
    expect(error.code).toBe('config-pinned');
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/may add to the administrator's, never loosen it: remove this setting/);
  });

  it("accepts what only adds: another registry over TLS, a family for other images, the administrator's family repeated", () => {
    const user = asUser('registries:\n  - host: quay.io\n    github-packages: false\nfamilies:\n  - images: [quay.io/me/os]\n    key: /home/u/me.pub\n  - images: [ghcr.io/acme/vespera*]\n    repository: https://github.com/acme/vespera\n')();
    const config = mergeConfig(system, user);
    expect(familyFor(config, 'quay.io/me/os')?.key).toBe('/home/u/me.pub');
    expect(config.provenance['families.ghcr.io/acme/vespera*']).toMatchObject({ layer: 'system', file: ADMIN });
    expect(config.provenance['registries.quay.io']).toMatchObject({ layer: 'user', file: USER });
  });

  it("never takes a test world from a user's layer, even handed one directly", () => {
    const config = mergeConfig(system, { source: USER, layer: 'user', world: { root: '/tmp/w', etcRoot: '/tmp/w/etc' } });
    expect(config.world).toBeUndefined();
  });

  it("holds when loading: the user's file cannot loosen the file VESPERA_UPDATES_CONFIG names either", async () => {
    const home = join(dir, 'pinned-home');
    mkdirSync(join(home, 'vespera-updates'), { recursive: true });
    const named = join(dir, 'named.yaml');
    writeFileSync(named, 'trust:\n  trusted-root: /srv/root.json\nworld:\n  root: /tmp/w\n  etc-root: /tmp/w/etc\n');
    writeFileSync(join(home, 'vespera-updates', 'config.yaml'), 'trust:\n  trusted-root: /home/u/root.json\n');
    await expect(loadConfig({ VESPERA_UPDATES_CONFIG: named, XDG_CONFIG_HOME: home })).rejects.toMatchObject({ code: 'config-pinned' });
    writeFileSync(join(home, 'vespera-updates', 'config.yaml'), 'reminders:\n  ready-every: 1d\n');
    const config = await loadConfig({ VESPERA_UPDATES_CONFIG: named, XDG_CONFIG_HOME: home });
    expect(config.world).toEqual({ root: '/tmp/w', etcRoot: '/tmp/w/etc' });
    expect(config.trust.trustedRoot).toBe('/srv/root.json');
    expect(describeProvenance(config)[0]).toBe(`${named} (in place of the administrator's (VESPERA_UPDATES_CONFIG)): trusted root (line 2), test world (line 4)`);
  });
});

