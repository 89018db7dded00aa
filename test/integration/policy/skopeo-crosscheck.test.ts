// Which policy files the real containers/image loads (the sigstore-capable skopeo the OS side is held
// to), against the model's verdict and the containers/image feature level it says a file needs.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FEATURE_LEVELS } from '../../../main/policy/policy-model.ts';
import { parsePolicyText, PolicyFileError } from '../../../main/policy/policy-parse.ts';
import { sigstoreSkopeo } from '../../support/skopeo.ts';
import { corpusPath, corpusText, POLICY_CORPUS } from '../../support/policy-corpus/corpus.ts';

const run = promisify(execFile);
const SKOPEO = sigstoreSkopeo();

/** The highest feature level (policy-model.ts) this skopeo's containers/image has, from its version. */
function featureLevelOf(skopeo: string): number {
  const [major = 0, minor = 0] = (/^skopeo version (\d+)\.(\d+)/m.exec(execFileSync(skopeo, ['--version'], { encoding: 'utf8', timeout: 10_000 })) ?? [])
    .slice(1)
    .map(Number);
  let level = 0;
  for (const entry of FEATURE_LEVELS) {
    if (entry.skopeo === 'any') continue;
    const [needMajor = 0, needMinor = 0] = entry.skopeo.split('.').map(Number);
    if (major > needMajor || (major === needMajor && minor >= needMinor)) level = Math.max(level, entry.level);
  }
  return level;
}
const SKOPEO_FEATURE_LEVEL = featureLevelOf(SKOPEO);

interface SkopeoResult {
  ok: boolean;
  output: string;
}

async function skopeoCopy(args: string[]): Promise<SkopeoResult> {
  const dest = mkdtempSync(join(tmpdir(), 'skopeo-dest-'));
  try {
    const { stderr } = await run(SKOPEO, ['copy', '--quiet', ...args, `dir:${dest}`], { timeout: 60_000 });
    return { ok: true, output: stderr };
  } catch (error) {
    return { ok: false, output: String((error as { stderr?: string }).stderr ?? error) };
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
}

/** Whether real containers/image loads the policy: it is read before the (unreachable) source is contacted. */
async function skopeoLoads(policyFile: string): Promise<{ loads: boolean; output: string }> {
  const result = await skopeoCopy(['--policy', policyFile, 'docker://127.0.0.1:9/nothing/here:latest']);
  return { loads: !/Error loading trust policy|invalid policy/.test(result.output), output: result.output };
}

function modelLoads(text: string): { valid: boolean; requires?: number; error?: PolicyFileError } {
  try {
    return { valid: true, requires: parsePolicyText(text, 'p.json').requires };
  } catch (error) {
    if (error instanceof PolicyFileError) return { valid: false, error };
    throw error;
  }
}

describe(`the model agrees with the real containers/image (skopeo at feature level ${SKOPEO_FEATURE_LEVEL}) on which policies load`, () => {
  for (const entry of POLICY_CORPUS) {
    it(`${entry.file}: ${entry.what}`, async () => {
      const model = modelLoads(corpusText(entry.file));
      const real = await skopeoLoads(corpusPath(entry.file));
      const modelSaysThisSkopeoLoads = model.valid && (model.requires ?? 0) <= SKOPEO_FEATURE_LEVEL;
      expect({ file: entry.file, loads: real.loads }).toEqual({ file: entry.file, loads: modelSaysThisSkopeoLoads });
      if (entry.error?.code === 'policy-keyless') expect(real.output).toMatch(/Unknown key \\?"keyless\\?"/);
    });
  }

  it.each([
    ['a doubled type key', '{"default": [{"type": "reject", "type": "reject"}]}'],
    ['an unknown transport', '{"default": [{"type": "reject"}], "transports": {"bogus": {"": [{"type": "reject"}]}}}'],
    ['a relative dir scope', '{"default": [{"type": "reject"}], "transports": {"dir": {"relative": [{"type": "reject"}]}}}'],
    ['a tarball scope', '{"default": [{"type": "reject"}], "transports": {"tarball": {"/a": [{"type": "reject"}]}}}'],
    ['an exactReference without tag', '{"default": [{"type": "sigstoreSigned", "keyPath": "/a", "signedIdentity": {"type": "exactReference", "dockerReference": "ghcr.io/a/b"}}]}'],
    ['a remapIdentity', '{"default": [{"type": "sigstoreSigned", "keyPath": "/a", "signedIdentity": {"type": "remapIdentity", "prefix": "a.io/x", "signedPrefix": "b.io/y"}}]}'],
    ['bad base64 key data', '{"default": [{"type": "sigstoreSigned", "keyData": "!!!", "signedIdentity": {"type": "matchRepository"}}]}'],
    ['a sigstore rule without identity', '{"default": [{"type": "sigstoreSigned", "keyPath": "/a"}]}'],
    ['a storage scope', '{"default": [{"type": "reject"}], "transports": {"containers-storage": {"[overlay@/var/lib/containers/storage]": [{"type": "reject"}]}}}'],
    ['null transports', '{"default": [{"type": "reject"}], "transports": null}'],
  ])('%s', async (_what, text) => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-x-'));
    try {
      writeFileSync(join(dir, 'policy.json'), text);
      const model = modelLoads(text);
      const real = await skopeoLoads(join(dir, 'policy.json'));
      expect(real.loads).toBe(model.valid && (model.requires ?? 0) <= SKOPEO_FEATURE_LEVEL);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
