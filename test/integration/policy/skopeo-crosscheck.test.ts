import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPolicyHelper, type PolicyHelperError } from '../../../main/policy/helper-client.ts';
import { policyPaths, readPolicyHostState } from '../../../main/policy/host-files.ts';
import { helperPlanOf, planKeyEnforced, type KeyPlanRequest } from '../../../main/policy/plan.ts';
import { parsePolicyText, PolicyFileError } from '../../../main/policy/policy-parse.ts';
import { startWorld, type World } from '../../world/world.ts';
import { corpusPath, corpusText, POLICY_CORPUS } from '../../support/policy-corpus/corpus.ts';

const run = promisify(execFile);
/** Debian's skopeo 1.9.3 is built against Debian's containers/image 5.23: sigstoreSigned with keyPath/keyData, nothing newer. */
const SKOPEO_FEATURE_LEVEL = 1;
const PUBLIC_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

interface SkopeoResult {
  ok: boolean;
  output: string;
}

async function skopeoCopy(args: string[]): Promise<SkopeoResult> {
  const dest = mkdtempSync(join(tmpdir(), 'skopeo-dest-'));
  try {
    const { stderr } = await run('skopeo', ['copy', '--quiet', ...args, `dir:${dest}`], { timeout: 60_000 });
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

describe("the model agrees with Debian's skopeo on which policies load", () => {
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

/**
 * How Debian's skopeo refuses an image a sigstoreSigned rule covers: with no `.sig` attachment, "a
 * signature was required"; with one (the world signs its catalog), its build's own refusal to verify
 * ("Debian-local change: sigstore disabled"). Either way the image is not pulled.
 */
const REFUSED_FOR_SIGNATURE = /A signature was required, but no signature exists|Debian-local change: sigstore disabled/;

describe("what the planner writes, as real containers/image enforces it on the world's registry", () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.stop();
  });

  const config = () => ({ world: { root: world.root, etcRoot: world.etcRoot } });
  const family = () => ['vespera-nvidia', 'vespera-dx-nvidia'].map((v) => `${world.registry.host}/acme/${v}`);
  const files = () => policyPaths(world.etcRoot);
  const pull = (image: string) =>
    skopeoCopy(['--src-tls-verify=false', '--policy', files().policyFile, '--registries.d', files().registriesDir, `docker://${world.registry.host}/acme/${image}:latest`]);

  async function apply(request: Omit<KeyPlanRequest, 'keyText'>): Promise<string> {
    const state = await readPolicyHostState(files(), ['acme-vespera.pub']);
    const plan = planKeyEnforced(state, { ...request, keyText: PUBLIC_PEM });
    const reply = await runPolicyHelper(config(), 'apply', { plan: helperPlanOf(plan) });
    return reply.backup ?? '';
  }

  it('requires a signature for the family and still pulls other images unsigned (per-variant scopes)', async () => {
    const backup = await apply({ family: family(), scope: 'per-variant', keyName: 'acme-vespera.pub' });
    expect((await skopeoLoads(files().policyFile)).loads).toBe(true);
    expect(modelLoads(readFileSync(files().policyFile, 'utf8')).requires).toBeLessThanOrEqual(SKOPEO_FEATURE_LEVEL);

    const signedOnly = await pull('vespera-nvidia');
    expect(signedOnly.ok).toBe(false);
    expect(signedOnly.output).toMatch(REFUSED_FOR_SIGNATURE);
    expect((await pull('vespera-dx-nvidia')).ok).toBe(false);
    const other = await pull('vespera');
    expect(other.output).toBe('');
    expect(other.ok).toBe(true);

    // Back to accepting anything is a loosening: the helper asks, and restores once given its consent.
    const asked = await runPolicyHelper(config(), 'restore', { backupId: backup }).then(() => undefined, (error: unknown) => error as PolicyHelperError);
    expect(asked?.code).toBe('helper-restore-loosens');
    expect((await pull('vespera-nvidia')).ok).toBe(false);
    await runPolicyHelper(config(), 'restore', { backupId: backup, ...(asked?.consent ? { looseningConfirmed: asked.consent } : {}) });
    expect((await pull('vespera-nvidia')).ok).toBe(true);
  });

  it('covers every repository of the namespace with one namespace scope', async () => {
    await apply({ family: family(), scope: 'namespace', keyName: 'acme-vespera.pub' });
    expect((await skopeoLoads(files().policyFile)).loads).toBe(true);
    expect((await pull('vespera')).ok).toBe(false);
    expect((await pull('vespera-dx')).output).toMatch(REFUSED_FOR_SIGNATURE);
  });
});
