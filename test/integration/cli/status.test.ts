// `vespera-updates status` inside a test world: what a person sees, and the JSON a script reads.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURRENT, NEWER } from '../../world/catalog.ts';
import { startWorld, type World } from '../../world/world.ts';
import { runProcess, type ProcessRun } from '../../support/cli.ts';

const CLI = ['--disable-warning=ExperimentalWarning', 'main/cli/index.ts'];

function run(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<ProcessRun> {
  return runProcess(command, args, env ? { env } : {});
}

describe('vespera-updates status', () => {
  it('prints JSON whose booted deployment is the unverified vespera-nvidia image, with its digest, and exits 3: nothing enforces signatures', async () => {
    const result = await run('npm', ['run', '--silent', 'world', '--', 'run', '--scenario', 'unverified-nvidia', '--', process.execPath, ...CLI, 'status', '--json']);
    expect(result.code, result.stderr).toBe(3);
    const status = JSON.parse(result.stdout) as { deployments: Array<Record<string, unknown>> };
    const booted = status.deployments.find((d) => d.booted === true);
    expect(booted?.imageReference).toMatch(/^ostree-unverified-registry:127\.0\.0\.1:\d+\/acme\/vespera-nvidia:latest$/);
    expect(booted?.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(booted?.version).toBe(CURRENT.version);
    expect(status.deployments).toHaveLength(2);
  });

  describe('in a world with a staged update', () => {
    let world: World;
    beforeAll(async () => {
      world = await startWorld({ scenario: 'staged-update' });
    });
    afterAll(async () => {
      await world.stop();
    });

    it('shows the deployments like rpm-ostree status: booted marked, staged and its version, who signed each', async () => {
      const result = await run(process.execPath, [...CLI, 'status'], world.processEnv());
      expect(result.code, result.stderr).toBe(0);
      const lines = result.stdout.split('\n');
      expect(lines.slice(0, 5)).toEqual([
        `Health: Signed update ready: restart to apply ${NEWER.version}`,
        'Enforcement: Not enforced: this host boots unverified images',
        'State: idle',
        'AutomaticUpdates: stage',
        'Deployments:',
      ]);
      const booted = lines.findIndex((l) => l.startsWith('● '));
      expect(lines[booted]).toBe(`● ostree-unverified-registry:${world.registry.host}/acme/vespera-nvidia:latest`);
      expect(lines[booted + 2]).toMatch(new RegExp(`^\\s+Version: ${CURRENT.version.replaceAll('.', '\\.')} \\(2026-11-15T04:00:00Z\\)$`));
      expect(result.stdout).toMatch(new RegExp(`Version: ${NEWER.version.replaceAll('.', '\\.')}[^\\n]*\\n[^\\n]*Signature[^\\n]*\\n\\s+Checked now: signed by \\.github/workflows/build\\.yml@refs/heads/main of https://github\\.com/acme/vespera[^\\n]*\\n\\s+Staged: yes\\n`));
      expect(result.stdout).toContain('Signature: not enforced by the OS (ostree-unverified)');
      expect(result.stdout).toMatch(/AvailableUpdate:\n\s+Version: 42\.20261125\.0/);
    });

    it('filters to the booted deployment with --booted', async () => {
      const result = await run(process.execPath, [...CLI, 'status', '--json', '--booted'], world.processEnv());
      const status = JSON.parse(result.stdout) as { deployments: Array<{ booted: boolean }> };
      expect(status.deployments.map((d) => d.booted)).toEqual([true]);
    });
  });

  it('fails in one line when there is no rpm-ostreed', async () => {
    const world = await startWorld();
    try {
      const result = await run(process.execPath, [...CLI, 'status'], world.processEnv());
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^vespera-updates status: rpm-ostreed is not available on this system bus/);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await world.stop();
    }
  });
});
