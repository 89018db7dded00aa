// How fast the policy model answers (the tray re-checks the policy on every status refresh) and what
// one privileged apply costs end to end (helper start, validation, backup, three atomic writes).

import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDockerReference } from '../../main/shared/image-reference.ts';
import { policyPaths, readPolicyHostState } from '../../main/policy/host-files.ts';
import { helperPlanOf, planKeyEnforced } from '../../main/policy/plan.ts';
import { explainImage } from '../../main/policy/policy-evaluate.ts';
import { parsePolicyText } from '../../main/policy/policy-parse.ts';
import { migrationChoices } from '../../main/policy/plan-choices.ts';
import { looseningsOf } from '../../main/policy/policy-strictness.ts';
import { corpusText } from '../support/policy-corpus/corpus.ts';
import { median, percentile, report } from './stats.ts';

function time(runs: number, f: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    out.push(performance.now() - t0);
  }
  return out;
}

const ublue = corpusText('ublue-os-signing.json');
const parse = time(2000, () => parsePolicyText(ublue, 'p.json'));
report('parse ublue-os policy.json (2.1 KB)', median(parse) * 1000, 'µs', `median of 2000, p99 ${(percentile(parse, 99) * 1000).toFixed(0)} µs`);

// A large, real-shaped policy: 500 repository scopes.
const big = JSON.parse(ublue) as { transports: { docker: Record<string, unknown> } };
for (let i = 0; i < 500; i++) big.transports.docker[`ghcr.io/owner${i}/image`] = [{ type: 'sigstoreSigned', keyPath: `/etc/pki/containers/k${i}.pub`, signedIdentity: { type: 'matchRepository' } }];
const bigText = JSON.stringify(big, null, 4);
const parseBig = time(200, () => parsePolicyText(bigText, 'big.json'));
report(`parse a policy with 500 scopes (${(bigText.length / 1024).toFixed(0)} KB)`, median(parseBig), 'ms', 'median of 200');

const policy = parsePolicyText(ublue, 'p.json');
const ref = parseDockerReference('ghcr.io/ublue-os/bluefin:stable');
const explain = time(5000, () => explainImage(policy, ref));
report('explain which rule applies to an image', median(explain) * 1000, 'µs', 'median of 5000');

// The helper's tighten-only check compares every scope of both files (run on each apply and restore).
const bigPolicy = parsePolicyText(bigText, 'big.json');
const strictness = time(50, () => looseningsOf(bigPolicy, bigPolicy));
report('compare two policies of 500 scopes image by image (tighten only)', median(strictness), 'ms', 'median of 50');

const root = mkdtempSync(join(tmpdir(), 'policy-bench-'));
try {
  cpSync(fileURLToPath(new URL('../world/fixtures/etc', import.meta.url)), join(root, 'etc'), { recursive: true });
  const keyText = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const family = ['vespera', 'vespera-nvidia', 'vespera-nvidia-open', 'vespera-dx', 'vespera-dx-nvidia', 'vespera-dx-nvidia-open'].map((v) => `ghcr.io/acme/${v}`);
  const state = await readPolicyHostState(policyPaths(join(root, 'etc')), ['acme-vespera.pub']);
  const plans = time(200, () => planKeyEnforced(state, { family, scope: 'per-variant', keyText }));
  report('plan key-enforced mode for six variants (with diff)', median(plans), 'ms', 'median of 200');
  const choices = time(50, () => migrationChoices(state, { family, image: family[1] ?? '', keyText }));
  report("the migration wizard's choices (each planned for real)", median(choices), 'ms', 'median of 50');

  const helper = fileURLToPath(new URL('../../main/policy/helper.ts', import.meta.url));
  const plan = JSON.stringify(helperPlanOf(planKeyEnforced(state, { family, scope: 'per-variant', keyText })));
  const applies: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const applied = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', helper, 'apply', '--root', root, '--json'], { input: plan, encoding: 'utf8' });
    applies.push(performance.now() - t0);
    const id = (JSON.parse(applied.stdout) as { backup?: string }).backup ?? '';
    // Back to stock Fedora loosens the policy: the helper names its consent, given on the second call.
    const asked = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', helper, 'restore', id, '--root', root, '--json'], { encoding: 'utf8' });
    const consent = (JSON.parse(asked.stdout) as { consent?: string }).consent ?? '';
    spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', helper, 'restore', id, '--loosening-confirmed', consent, '--root', root, '--json'], { encoding: 'utf8' });
  }
  report('helper apply, end to end (process start, checks, backup, 3 atomic writes)', median(applies), 'ms', `median of 5, p90 ${percentile(applies, 90).toFixed(0)} ms`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
