import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseDockerReference } from '../../../main/shared/image-reference.ts';
import type { PolicyHostState } from '../../../main/policy/host-files.ts';
import { checkPolicyChange } from '../../../main/policy/policy-change.ts';
import { explainImage } from '../../../main/policy/policy-evaluate.ts';
import { parsePolicyText } from '../../../main/policy/policy-parse.ts';
import { appEnforcedStatement, defaultKeyName, familyNamespace, PlanError, planKeyEnforced, type KeyPlanRequest } from '../../../main/policy/plan.ts';
import { mergeRegistriesFiles, type RegistriesFile } from '../../../main/policy/registries-d.ts';
import { corpusText } from '../../support/policy-corpus/corpus.ts';
import { caught } from '../../support/caught.ts';

const VARIANTS = ['vespera', 'vespera-nvidia', 'vespera-nvidia-open', 'vespera-dx', 'vespera-dx-nvidia', 'vespera-dx-nvidia-open'];
const FAMILY = VARIANTS.map((v) => `ghcr.io/acme/${v}`);
const KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PUBLIC_PEM = KEY.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const FEDORA_REGISTRIES: RegistriesFile[] = [
  { name: 'default.yaml', text: 'default-docker:\n' },
  { name: 'registry.redhat.io.yaml', text: 'docker:\n     registry.redhat.io:\n         sigstore: https://registry.redhat.io/containers/sigstore\n' },
];

function host(policyText: string | null, registries: RegistriesFile[] = FEDORA_REGISTRIES, keys: Record<string, string> = {}): PolicyHostState {
  return { policyText, registriesFiles: registries, keyTexts: new Map(Object.entries(keys)) };
}

function request(overrides: Partial<KeyPlanRequest> = {}): KeyPlanRequest {
  return { family: FAMILY, scope: 'per-variant', keyText: PUBLIC_PEM, ...overrides };
}

const planError = (state: PolicyHostState, req: KeyPlanRequest) => caught(() => planKeyEnforced(state, req), PlanError);

/** The host after a plan's changes are written. */
function applied(state: PolicyHostState, plan: ReturnType<typeof planKeyEnforced>): PolicyHostState {
  let policyText = state.policyText;
  const registries = [...state.registriesFiles];
  const keys = new Map(state.keyTexts);
  for (const c of plan.changes) {
    if (c.target.kind === 'policy') policyText = c.after;
    else if (c.target.kind === 'registries') {
      const i = registries.findIndex((f) => f.name === 'vespera-updates.yaml');
      if (i >= 0) registries.splice(i, 1);
      registries.push({ name: 'vespera-updates.yaml', text: c.after });
    } else if (c.target.kind === 'key') keys.set(c.target.name, c.after);
  }
  return { policyText, registriesFiles: registries, keyTexts: keys };
}

describe('planning key-enforced mode on a stock Fedora host', () => {
  const state = host(corpusText('fedora-default.json'));
  const plan = planKeyEnforced(state, request());
  const after = applied(state, plan);
  const policy = parsePolicyText(after.policyText ?? '', 'after');
  const registries = mergeRegistriesFiles(after.registriesFiles);

  it('installs the key, enables sigstore attachments and rewrites the policy, in that order', () => {
    expect(plan.changes.map((c) => c.hostPath)).toEqual([
      '/etc/pki/containers/acme-vespera.pub',
      '/etc/containers/registries.d/vespera-updates.yaml',
      '/etc/containers/policy.json',
    ]);
    expect(plan.key.pem).toBe(PUBLIC_PEM);
  });

  it('makes the OS require the key for every variant, through ostree-image-signed: too', () => {
    for (const repo of FAMILY) {
      const answer = explainImage(policy, parseDockerReference(`${repo}:latest`), registries);
      expect(answer.applied.scope).toBe(repo);
      expect(answer.requirements[0]).toMatch(/by the key \/etc\/pki\/containers\/acme-vespera.pub.*same repository/);
      expect(answer.imageSigned.outcome).toBe('requires-signature');
    }
  });

  it('sets the default to reject and keeps podman working with per-transport catch-alls', () => {
    expect(policy.default.map((r) => r.type)).toEqual(['reject']);
    const catchAll = (t: string) => policy.transports.find((x) => x.transport === t)?.scopes.find((s) => s.scope === '')?.requirements.map((r) => r.type);
    for (const t of ['docker', 'docker-daemon', 'containers-storage', 'oci', 'dir']) expect(catchAll(t)).toEqual(['insecureAcceptAnything']);
    expect(explainImage(policy, parseDockerReference('docker.io/library/fedora:latest')).effect).toBe('accept-unsigned');
    expect(plan.statements.join('\n')).toMatch(/default becomes reject/);
    expect(plan.statements.join('\n')).toMatch(/still accepted unsigned .* proves nothing/);
  });

  it('keeps every rule the user had, byte for byte', () => {
    expect(checkPolicyChange(parsePolicyText(state.policyText ?? '', 'before'), policy).violations).toEqual([]);
    expect(after.policyText).toContain('"docker-daemon":\n                {\n                    "": [{"type":"insecureAcceptAnything"}]\n                }');
  });

  it('shows a readable unified diff of all three files', () => {
    expect(plan.diff).toContain('--- /dev/null\n+++ b/etc/pki/containers/acme-vespera.pub');
    expect(plan.diff).toContain('--- a/etc/containers/policy.json\n+++ b/etc/containers/policy.json');
    expect(plan.diff).toMatch(/^-\s+"type": "insecureAcceptAnything"$/m);
    expect(plan.diff).toMatch(/^\+\s+"type": "reject"$/m);
    expect(plan.diff).toMatch(/^\+\s+"ghcr.io\/acme\/vespera-dx-nvidia-open": \[$/m);
  });

  it('has nothing left to do once applied', () => {
    expect(planKeyEnforced(after, request()).changes).toEqual([]);
  });
});

describe('planning choices', () => {
  it('covers the family with one namespace scope and says it covers the whole namespace', () => {
    const plan = planKeyEnforced(host(corpusText('fedora-default.json')), request({ scope: 'namespace' }));
    expect(plan.scopes).toEqual(['ghcr.io/acme']);
    expect(plan.statements[0]).toMatch(/every repository under ghcr.io\/acme\//);
  });

  it('refuses to keep an insecureAcceptAnything default, which ostree-image-signed: refuses', () => {
    const error = planError(host(corpusText('fedora-default.json')), request({ default: 'keep' }));
    expect(error.code).toBe('plan-impossible');
    expect(error.message).toMatch(/refusing usage.*Choose to switch the default to reject\.$/);
    expect(error.cliHint).toBe('--default reject');
  });

  it("keeps Universal Blue's reject default and its rules, adding only the new scopes", () => {
    const ublue = host(corpusText('ublue-os-signing.json'), [{ name: 'ublue-os.yaml', text: 'docker:\n  ghcr.io/ublue-os:\n    use-sigstore-attachments: true\n' }]);
    const plan = planKeyEnforced(ublue, request());
    expect(plan.default).toBe('keep');
    const report = checkPolicyChange(parsePolicyText(ublue.policyText ?? '', 'b'), parsePolicyText(applied(ublue, plan).policyText ?? '', 'a'));
    expect(report).toMatchObject({ violations: [], defaultChanged: false, replaced: [] });
    expect(report.addedScopes).toEqual(FAMILY);
    // New specific scopes go before the docker catch-all, which stays last.
    const text = applied(ublue, plan).policyText ?? '';
    expect(text.indexOf('"ghcr.io/acme/vespera-dx-nvidia-open"')).toBeLessThan(text.indexOf('"": ['));
  });

  it('edits a tab-indented policy in its own style, changing only what it must', () => {
    const state = host(corpusText('fedora-redhat-gpg.json'));
    const plan = planKeyEnforced(state, request({ family: ['ghcr.io/acme/vespera'] }));
    const diffLines = plan.diff.split('\n');
    const removed = diffLines.filter((l) => l.startsWith('-') && !l.startsWith('---')).map((l) => l.slice(1));
    // Only the default changes; other lines go only to gain the comma JSON needs before a new member.
    expect(removed.filter((l) => !diffLines.includes(`+${l},`))).toEqual(['            "type": "insecureAcceptAnything"']);
    expect(plan.diff).toContain('+\t    "ghcr.io/acme/vespera": [');
  });

  it('covers only the image this host runs with the image scope, and says its variants are not covered', () => {
    const state = host(corpusText('fedora-default.json'));
    const plan = planKeyEnforced(state, request({ scope: 'image', image: 'ghcr.io/acme/vespera-nvidia' }));
    expect(plan.scopes).toEqual(['ghcr.io/acme/vespera-nvidia']);
    expect(plan.key.name).toBe('acme-vespera.pub');
    const after = applied(state, plan);
    const policy = parsePolicyText(after.policyText ?? '', 'after');
    const registries = mergeRegistriesFiles(after.registriesFiles);
    expect(explainImage(policy, parseDockerReference('ghcr.io/acme/vespera-nvidia:latest'), registries).imageSigned.outcome).toBe('requires-signature');
    // A variant is left as it was: accepted unsigned through the catch-all that keeps today's behaviour.
    expect(explainImage(policy, parseDockerReference('ghcr.io/acme/vespera-dx:latest'), registries).effect).toBe('accept-unsigned');
    expect(plan.changes.find((c) => c.target.kind === 'registries')?.after).not.toContain('vespera-dx');
    expect(plan.statements[0]).toMatch(/images of ghcr.io\/acme\/vespera-nvidia \(not its variants ghcr.io\/acme\/vespera, .*ghcr.io\/acme\/vespera-dx-nvidia-open, which stay as they are\) only with a cosign signature/);
  });

  it('needs to know the image for the image scope, and it must be one of the family', () => {
    const fedora = host(corpusText('fedora-default.json'));
    expect(planError(fedora, request({ scope: 'image' })).message).toMatch(/Say which image this computer runs/);
    expect(planError(fedora, request({ scope: 'image', image: 'ghcr.io/other/os' })).message).toMatch(/not one of the family's images/);
    expect(planKeyEnforced(fedora, request({ family: ['ghcr.io/acme/vespera'], scope: 'image' })).scopes).toEqual(['ghcr.io/acme/vespera']);
  });

  it('names the key after the family unless told otherwise', () => {
    expect(defaultKeyName(FAMILY)).toBe('acme-vespera.pub');
    expect(defaultKeyName(['127.0.0.1:5000/acme/vespera-nvidia'])).toBe('acme-vespera-nvidia.pub');
    expect(familyNamespace(FAMILY)).toBe('ghcr.io/acme');
  });
});

describe('what a plan refuses to do', () => {
  const fedora = host(corpusText('fedora-default.json'));

  it('does not replace a rule the user already has for the scope, unless asked', () => {
    const mine = corpusText('fedora-default.json').replace('"docker-daemon":', '"docker": {"ghcr.io/acme/vespera": [{"type": "insecureAcceptAnything"}]},\n            "docker-daemon":');
    const error = planError(host(mine), request());
    expect(error.code).toBe('plan-conflict');
    expect(error.message).toMatch(/already has a rule for "ghcr.io\/acme\/vespera" \(line \d+\).*allow replacing it/);
    expect(error.cliHint).toBe('--replace');
    const plan = planKeyEnforced(host(mine), request({ replace: true }));
    expect(plan.replaced).toEqual(['ghcr.io/acme/vespera']);
    expect(plan.statements.join('\n')).toMatch(/replaced \(the backup keeps them\)/);
  });

  it('never replaces a rule that rejects or checks other signatures, even when asked', () => {
    const theirs = corpusText('fedora-default.json').replace('"docker-daemon":', '"docker": {"ghcr.io/acme/vespera": [{"type": "reject"}]},\n            "docker-daemon":');
    expect(planError(host(theirs), request({ replace: true })).message).toMatch(/only ever tightens rules/);
  });

  it('refuses when a more specific rule would keep a variant unenforced', () => {
    const tagRule = corpusText('fedora-default.json').replace('"docker-daemon":', '"docker": {"ghcr.io/acme/vespera:latest": [{"type": "insecureAcceptAnything"}]},\n            "docker-daemon":');
    expect(planError(host(tagRule), request()).message).toMatch(/"ghcr.io\/acme\/vespera:latest" \(line \d+\) is more specific/);
    const repoRule = corpusText('fedora-default.json').replace('"docker-daemon":', '"docker": {"ghcr.io/acme/vespera-dx": [{"type": "insecureAcceptAnything"}]},\n            "docker-daemon":');
    expect(planError(host(repoRule), request({ scope: 'namespace' })).message).toMatch(/"ghcr.io\/acme\/vespera-dx" .* more specific/);
  });

  it('never writes a registries.d scope another file defines; reuses it when it already enables attachments', () => {
    const theirs = [...FEDORA_REGISTRIES, { name: 'acme.yaml', text: 'docker:\n  ghcr.io/acme/vespera:\n    lookaside: https://sigs.example.com\n' }];
    expect(planError(host(corpusText('fedora-default.json'), theirs), request()).message).toMatch(/acme.yaml \(line 2\) already defines "ghcr.io\/acme\/vespera"/);
    const enabled = [...FEDORA_REGISTRIES, { name: 'acme.yaml', text: 'docker:\n  ghcr.io/acme/vespera:\n    use-sigstore-attachments: true\n' }];
    const plan = planKeyEnforced(host(corpusText('fedora-default.json'), enabled), request());
    const own = plan.changes.find((c) => c.target.kind === 'registries')?.after ?? '';
    expect(own).not.toContain('"ghcr.io/acme/vespera":');
    expect(own).toContain('"ghcr.io/acme/vespera-nvidia":');
  });

  it('never overwrites a different key of the same name, and reuses the same key', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(planError(host(corpusText('fedora-default.json'), FEDORA_REGISTRIES, { 'acme-vespera.pub': other }), request()).message).toMatch(/holds a different key/);
    const same = planKeyEnforced(host(corpusText('fedora-default.json'), FEDORA_REGISTRIES, { 'acme-vespera.pub': PUBLIC_PEM }), request());
    expect(same.changes.map((c) => c.target.kind)).toEqual(['registries', 'policy']);
  });

  it.each([
    ['a private key', { keyText: KEY.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }, /PRIVATE key/],
    ['a tag in the family', { family: ['ghcr.io/acme/vespera:latest'] }, /names a tag or digest/],
    ['two registries', { family: ['ghcr.io/acme/vespera', 'quay.io/acme/vespera'] }, /several registries/],
    ['a namespace that is the whole registry', { family: ['ghcr.io/acme/vespera', 'ghcr.io/other/vespera'], scope: 'namespace' as const }, /whole registry/],
    ['a key name that escapes the folder', { keyName: '../../shadow' }, /not a usable key file name/],
  ])('refuses %s', (_what, overrides, message) => {
    expect(() => planKeyEnforced(fedora, request(overrides))).toThrow(message);
  });

  it.each([
    [
      "another publisher's keys for the namespace (Universal Blue's)",
      corpusText('ublue-os-signing.json'),
      ['ghcr.io/ublue-os/bluefin'],
      /images of "ghcr.io\/ublue-os\/bluefin" would be governed by .*instead of the docker scope "ghcr.io\/ublue-os" \(a cosign \(sigstore\) signature by one of the keys \/etc\/pki\/containers\/ublue-os.pub/,
    ],
    [
      'a reject default without a docker catch-all',
      '{"default": [{"type": "reject"}], "transports": {"docker-daemon": {"": [{"type": "insecureAcceptAnything"}]}}}',
      FAMILY,
      /images of "ghcr.io\/acme\/vespera" would be governed by .* instead of the global default \(reject \(reject\)\)/,
    ],
  ])('refuses a rule that would win over a stricter one: %s', (_what, policy, family, message) => {
    const error = planError(host(policy, [{ name: 'ublue-os.yaml', text: 'docker:\n  ghcr.io/ublue-os:\n    use-sigstore-attachments: true\n' }]), request({ family }));
    expect(error.code).toBe('plan-conflict');
    expect(error.message).toMatch(/^The new rule would let through images your policy refuses today: /);
    expect(error.message).toMatch(message);
  });

  it("refuses to build on an invalid policy, such as the seed document's", () => {
    const error = planError(host(corpusText('seed-strict.json')), request());
    expect(error.code).toBe('plan-policy-invalid');
    expect(error.message).toMatch(/keyless/);
  });
});

describe('app-enforced mode', () => {
  it('says plainly that no policy can express a GitHub keyless identity', () => {
    const text = appEnforcedStatement(FAMILY, 'https://github.com/acme/vespera').join('\n');
    expect(text).toMatch(/No policy.json can require a signature by workflows of https:\/\/github.com\/acme\/vespera/);
    expect(text).toMatch(/Nothing is written/);
  });
});

describe('the change rule shared with the privileged helper', () => {
  const before = parsePolicyText(corpusText('ublue-os-signing.json'), 'b');
  interface PolicyJson {
    default: unknown[];
    transports: { docker: Record<string, unknown[]> };
  }
  const edit = (f: (p: PolicyJson) => void) => {
    const p = JSON.parse(corpusText('ublue-os-signing.json')) as PolicyJson;
    f(p);
    return checkPolicyChange(before, parsePolicyText(JSON.stringify(p), 'a')).violations.join('; ');
  };

  it.each([
    ['dropping a rule', (p: PolicyJson) => delete p.transports.docker['registry.redhat.io'], /"registry.redhat.io" was removed/],
    ['loosening a rule', (p: PolicyJson) => (p.transports.docker['ghcr.io/ublue-os'] = [{ type: 'insecureAcceptAnything' }]), /"ghcr.io\/ublue-os" was changed/],
    ['swapping the key of a signature rule', (p: PolicyJson) => (p.transports.docker['ghcr.io/ublue-os'] = [{ type: 'sigstoreSigned', keyPath: '/etc/pki/containers/other.pub', signedIdentity: { type: 'matchRepository' } }]), /"ghcr.io\/ublue-os" was changed/],
    ['turning a reject rule into a key rule', (p: PolicyJson) => (p.default = [{ type: 'reject' }], p.transports.docker['registry.redhat.io'] = [{ type: 'sigstoreSigned', keyPath: '/etc/pki/containers/other.pub', signedIdentity: { type: 'matchRepository' } }]), /"registry.redhat.io" was changed/],
    ['loosening the default', (p: PolicyJson) => (p.default = [{ type: 'insecureAcceptAnything' }]), /default may only be kept or set to reject/],
    ['adding an accept-anything scope', (p: PolicyJson) => (p.transports.docker['quay.io/evil'] = [{ type: 'insecureAcceptAnything' }]), /not a cosign key rule/],
    ['trusting a key outside /etc/pki/containers', (p: PolicyJson) => (p.transports.docker['quay.io/x'] = [{ type: 'sigstoreSigned', keyPath: '/tmp/k.pub', signedIdentity: { type: 'matchRepository' } }]), /not a cosign key rule/],
  ])('refuses %s', (_what, f, message) => {
    expect(edit(f)).toMatch(message);
  });
});
