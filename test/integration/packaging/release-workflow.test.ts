// The release workflow, checked by a real GitHub Actions workflow validator (@action-validator/cli,
// offline: the schema is compiled in) and read for what a release must do: test, package, checksum, sign, attach.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, runProcess } from '../../support/cli.ts';

const WORKFLOW = join(ROOT, '.github/workflows/release.yml');
const VALIDATOR = join(ROOT, 'node_modules/@action-validator/cli/cli.mjs');

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  steps: Step[];
}

async function validate(file: string): Promise<{ code: number | null; output: string }> {
  const run = await runProcess(process.execPath, [VALIDATOR, file]);
  return { code: run.code, output: `${run.stdout}${run.stderr}` };
}

describe('the release workflow', () => {
  it('passes the workflow validator', async () => {
    expect(await validate(WORKFLOW)).toEqual({ code: 0, output: '' });
  });

  it('and the validator is real: a job without runs-on is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'workflow-'));
    try {
      const broken = join(dir, 'release.yml');
      writeFileSync(broken, readFileSync(WORKFLOW, 'utf8').replaceAll('runs-on:', 'runs_on:'));
      const result = await validate(broken);
      expect(result.code).not.toBe(0);
      expect(result.output).toMatch(/runs-on/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tests first, then builds the RPM, attaches it with its SHA-256 and signs the checksum keylessly', () => {
    const workflow = parse(readFileSync(WORKFLOW, 'utf8')) as { on: { push: { tags: string[] } }; permissions: Record<string, string>; jobs: Record<string, Job> };
    expect(workflow.on.push.tags).toEqual(['v*']);
    expect(workflow.permissions).toEqual({ contents: 'read' });
    const test = workflow.jobs.test;
    const rpm = workflow.jobs.rpm;
    expect(test?.steps.some((s) => s.run === './run test')).toBe(true);
    expect(rpm?.needs).toBe('test');
    // Keyless signing needs the job's OIDC token; attaching needs write access to the release.
    expect(rpm?.permissions).toEqual({ contents: 'write', 'id-token': 'write' });
    const runs = (rpm?.steps ?? []).map((s) => s.run ?? s.uses ?? '');
    const order = [/npm run build/, /electron-builder --linux rpm/, /sha256sum -- \*\.rpm > SHA256SUMS/, /sigstore\/cosign-installer/, /cosign sign-blob --yes --new-bundle-format --bundle SHA256SUMS\.sigstore\.json SHA256SUMS/, /verify-bundle/, /gh release upload .*\*\.rpm SHA256SUMS SHA256SUMS\.sigstore\.json/];
    const positions = order.map((pattern) => runs.findIndex((r) => pattern.test(r)));
    expect(positions.every((p) => p >= 0), JSON.stringify({ positions, runs }, null, 1)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // The signature is checked with the app's own verifier, against this workflow's identity.
    const verify = runs.find((r) => /verify-bundle/.test(r)) ?? '';
    expect(verify).toContain('/.github/workflows/release.yml@${GITHUB_REF}');
    expect(verify).toContain('--certificate-oidc-issuer https://token.actions.githubusercontent.com');
  });
});
