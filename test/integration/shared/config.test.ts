// The administrator's settings hold against a user's configuration, in a test world: the world's config
// (VESPERA_UPDATES_CONFIG) stands in for /etc/vespera-updates/config.yaml, and a user writes their own
// ~/.config/vespera-updates/config.yaml trying each way to loosen it. What they see is the CLI's answer.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../../preload/contract.ts';
import { runCli, runCliJson } from '../../support/cli.ts';
import { startWorld, type World } from '../../world/world.ts';

describe("a user's configuration in a test world", () => {
  let world: World;
  let userFile: string;
  let etcPolicy: string;

  beforeAll(async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
    userFile = join(world.env.XDG_CONFIG_HOME ?? '', 'vespera-updates', 'config.yaml');
    mkdirSync(join(userFile, '..'), { recursive: true });
    etcPolicy = readFileSync(join(world.etcRoot, 'containers/policy.json'), 'utf8');
  });
  afterAll(async () => {
    await world.stop();
  });
  afterEach(() => rmSync(userFile, { force: true }));

  it.each([
    ['marks a registry insecure', () => 'registries:\n  - host: registry.internal:5000\n    insecure: true\n', /line 3, column 15: registries\[0\]\.insecure: only the administrator's configuration \(\S+config.yaml\) may allow plain HTTP/],
    ["changes the world registry's settings", () => `registries:\n  - host: ${world.registry.host}\n    insecure: true\n    github-packages: false\n`, /line 2, column 5: registries\[0\]: the administrator set 127\.0\.0\.1:\d+ in \S+config\.yaml, line \d+/],
    ['replaces the trusted root', () => 'trust:\n  trusted-root: /home/me/my-sigstore.json\n', /line 2, column 17: trust\.trusted-root: only the administrator's configuration .* may replace the trusted root/],
    ['changes the signer of the pinned family', () => `families:\n  - images: [${world.registry.host}/acme/vespera-nvidia]\n    repository: https://github.com/mallory/vespera\n`, /line 2, column 5: families\[0\]: \S+\/acme\/vespera-nvidia overlaps the administrator's family for \S+\/acme\/vespera\*/],
    ['changes the key of the pinned family', () => `families:\n  - images: [${world.registry.host}/acme/*]\n    key: /home/me/mine.pub\n`, /families\[0\]: \S+\/acme\/\* overlaps the administrator's family/],
    ['points the app at another test world', () => 'world:\n  root: /tmp/elsewhere\n  etc-root: /tmp/elsewhere/etc\n', /line 2, column 3: world: world is only for the test world/],
  ])('is refused when it %s, with the file, line and column, and the host is left alone', async (_what, text, message) => {
    writeFileSync(userFile, text());
    const run = await runCli(world, ['status']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const line = run.stderr.trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toContain(`vespera-updates status: ${userFile}, `);
    expect(line).toMatch(message);
    expect(line).toMatch(/Your configuration may add to the administrator's, never loosen it: remove this setting/);
    expect(readFileSync(join(world.etcRoot, 'containers/policy.json'), 'utf8')).toBe(etcPolicy);
  });

  it('adds what it may, and status and the doctor say which file each setting came from', async () => {
    writeFileSync(userFile, 'reminders:\n  ready-every: 1d\nfamilies:\n  - images: [quay.io/me/os]\n    key: /home/me/mine.pub\n');
    const status = await runCli(world, ['status', '--booted']);
    expect(status.code, status.stderr).toBe(3); // an unverified host: attention
    const settings = status.stdout.split('\n').filter((l) => l.startsWith('Settings: '));
    expect(settings).toEqual([
      expect.stringMatching(new RegExp(`^Settings: ${world.configPath} \\(in place of the administrator's \\(VESPERA_UPDATES_CONFIG\\)\\): registry 127\\.0\\.0\\.1:\\d+ \\(line \\d+\\), test world \\(line \\d+\\), trusted root \\(line \\d+\\), family \\S+/acme/vespera\\* \\(line \\d+\\)$`)),
      `Settings: ${userFile} (yours: may add, never loosen): reminders of a ready update (line 2), family quay.io/me/os (line 4)`,
      "Settings: built in: registry ghcr.io, automatic staging, reminders of a failed check, headline packages",
    ]);

    const { json } = await runCliJson<DoctorReport>(world, ['doctor']);
    const check = json.checks.find((c) => c.id === 'config');
    expect(check).toMatchObject({ status: 'pass', title: 'Where the settings come from' });
    expect(check?.evidence).toEqual(settings.map((l) => l.slice('Settings: '.length)));
  }, 120_000);
});
