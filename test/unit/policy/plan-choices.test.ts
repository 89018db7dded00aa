import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PolicyHostState } from '../../../main/policy/host-files.ts';
import { migrationChoices, type ChoicesRequest } from '../../../main/policy/plan-choices.ts';
import { planKeyEnforced } from '../../../main/policy/plan.ts';
import { corpusText } from '../../support/policy-corpus/corpus.ts';

const FAMILY = ['vespera', 'vespera-nvidia', 'vespera-dx'].map((v) => `ghcr.io/acme/${v}`);
const PUBLIC_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const UBLUE_D = [{ name: 'ublue-os.yaml', text: 'docker:\n  ghcr.io/ublue-os:\n    use-sigstore-attachments: true\n' }];

const host = (policyText: string, registriesFiles = UBLUE_D): PolicyHostState => ({ policyText, registriesFiles, keyTexts: new Map() });
const request = (overrides: Partial<ChoicesRequest> = {}): ChoicesRequest => ({ family: FAMILY, image: 'ghcr.io/acme/vespera-nvidia', keyText: PUBLIC_PEM, ...overrides });
const byValue = <T extends { value: string }>(list: readonly T[], value: string): T => {
  const found = list.find((c) => c.value === value);
  if (!found) throw new Error(`no choice ${value}`);
  return found;
};

describe("the migration wizard's choices", () => {
  it('offers exactly this image, the family and the namespace, each saying what it covers', () => {
    const { scope } = migrationChoices(host(corpusText('fedora-default.json')), request());
    expect(scope.map((c) => [c.value, c.label, c.available])).toEqual([
      ['image', 'Only this image', true],
      ['per-variant', 'This image and its variants', true],
      ['namespace', 'Everything under ghcr.io/acme/', true],
    ]);
    expect(byValue(scope, 'image').hint).toMatch(/exactly ghcr.io\/acme\/vespera-nvidia.*Its variants \(vespera, vespera-dx\) are not covered/);
    expect(byValue(scope, 'per-variant').hint).toMatch(/each of the 3 images of the family \(vespera, vespera-nvidia, vespera-dx\)/);
    expect(byValue(scope, 'namespace').hint).toMatch(/including images there that are not part of this family/);
    // Each choice is what the planner then writes.
    for (const value of ['image', 'per-variant', 'namespace'] as const) {
      const plan = planKeyEnforced(host(corpusText('fedora-default.json')), { ...request(), scope: value });
      expect(plan.scopes).toEqual(value === 'image' ? ['ghcr.io/acme/vespera-nvidia'] : value === 'namespace' ? ['ghcr.io/acme'] : FAMILY);
    }
  });

  it('does not offer keeping an insecureAcceptAnything default, saying why, and is honest about reject', () => {
    const { defaultPolicy } = migrationChoices(host(corpusText('fedora-default.json')), request());
    const keep = byValue(defaultPolicy, 'keep');
    expect(keep.available).toBe(false);
    expect(keep.unavailableReason).toMatch(/accepts every image unsigned, and rpm-ostree refuses a signed image reference while it does/);
    const reject = byValue(defaultPolicy, 'reject');
    expect(reject).toMatchObject({ available: true, label: 'Switch the default to reject, keep other images working' });
    expect(reject.hint).toMatch(/every other image is still treated as today \(accept anything, signed or not/);
    expect(reject.hint).toMatch(/this does not refuse other images/);
  });

  it("offers keeping Universal Blue's reject default, and says reject is already it", () => {
    const { defaultPolicy } = migrationChoices(host(corpusText('ublue-os-signing.json')), request());
    expect(byValue(defaultPolicy, 'keep')).toMatchObject({ available: true, hint: 'The global default stays reject: images no rule covers are refused.' });
    expect(byValue(defaultPolicy, 'reject')).toMatchObject({ available: true, label: 'Reject (already the default)' });
  });

  it('marks a scope unavailable with the planner’s own reason, in words without command-line options', () => {
    const tagged = corpusText('fedora-default.json').replace('"docker-daemon":', '"docker": {"ghcr.io/acme/vespera-dx": [{"type": "reject"}]},\n            "docker-daemon":');
    const { scope } = migrationChoices(host(tagged), request());
    expect(byValue(scope, 'image').available).toBe(true);
    expect(byValue(scope, 'per-variant').unavailableReason).toMatch(/Your rule for "ghcr.io\/acme\/vespera-dx" \(line \d+\) is not an accept-anything rule/);
    expect(byValue(scope, 'namespace').available).toBe(false);
    for (const c of scope) expect(c.unavailableReason ?? '').not.toMatch(/--/);
  });

  it('has no namespace choice for images of different owners, and no image choice for an image outside the family', () => {
    const spread = migrationChoices(host(corpusText('fedora-default.json')), request({ family: ['ghcr.io/acme/vespera', 'ghcr.io/other/vespera'], image: 'ghcr.io/acme/vespera' }));
    expect(byValue(spread.scope, 'namespace')).toMatchObject({ available: false, unavailableReason: expect.stringMatching(/share no owner below the registry/) as unknown });
    const outside = migrationChoices(host(corpusText('fedora-default.json')), request({ image: 'ghcr.io/else/os' }));
    expect(byValue(outside.scope, 'image').available).toBe(false);
  });
});
