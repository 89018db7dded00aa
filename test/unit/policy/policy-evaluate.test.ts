import { describe, expect, it } from 'vitest';
import { parseDockerReference } from '../../../main/shared/image-reference.ts';
import { dockerScopeCandidates } from '../../../main/policy/docker-scopes.ts';
import { explainImage, findLoopholes } from '../../../main/policy/policy-evaluate.ts';
import { parsePolicyText } from '../../../main/policy/policy-parse.ts';
import { mergeRegistriesFiles } from '../../../main/policy/registries-d.ts';
import { corpusText } from '../../support/policy-corpus/corpus.ts';

const load = (file: string) => parsePolicyText(corpusText(file), file);
const ref = (text: string) => parseDockerReference(text);
const UBLUE_REGISTRIES = mergeRegistriesFiles([{ name: 'ublue-os.yaml', text: 'docker:\n  ghcr.io/ublue-os:\n    use-sigstore-attachments: true\n' }]);

describe('scope lookup order', () => {
  it('goes from the exact tag to wildcard host suffixes, as containers/image does', () => {
    expect(dockerScopeCandidates(ref('ghcr.io/acme/vespera-nvidia:latest')).map((c) => c.scope)).toEqual([
      'ghcr.io/acme/vespera-nvidia:latest',
      'ghcr.io/acme/vespera-nvidia',
      'ghcr.io/acme',
      'ghcr.io',
      '*.io',
    ]);
  });

  it('expands Docker Hub short names, pins digests, and drops the port before wildcards', () => {
    expect(dockerScopeCandidates(ref('fedora')).map((c) => c.scope)).toEqual(['docker.io/library/fedora:latest', 'docker.io/library/fedora', 'docker.io/library', 'docker.io', '*.io']);
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(dockerScopeCandidates(ref(`registry.example.com:5000/team/app@${digest}`)).map((c) => c.scope)).toEqual([
      `registry.example.com:5000/team/app@${digest}`,
      'registry.example.com:5000/team/app',
      'registry.example.com:5000/team',
      'registry.example.com:5000',
      '*.example.com',
      '*.com',
    ]);
  });
});

describe('which rule applies to an image, and why', () => {
  const layered = parsePolicyText(
    JSON.stringify({
      default: [{ type: 'reject' }],
      transports: {
        docker: {
          'ghcr.io/acme/vespera:latest': [{ type: 'insecureAcceptAnything' }],
          'ghcr.io/acme/vespera': [{ type: 'sigstoreSigned', keyPath: '/etc/pki/containers/acme.pub', signedIdentity: { type: 'matchRepository' } }],
          'ghcr.io/acme': [{ type: 'reject' }],
          'ghcr.io': [{ type: 'insecureAcceptAnything' }],
          '*.io': [{ type: 'reject' }],
          '': [{ type: 'insecureAcceptAnything' }],
        },
      },
    }),
    'layered.json',
  );

  it.each([
    ['ghcr.io/acme/vespera:latest', 'ghcr.io/acme/vespera:latest', 'reference', 'accept-unsigned'],
    ['ghcr.io/acme/vespera:42', 'ghcr.io/acme/vespera', 'repository', 'require-signature'],
    ['ghcr.io/acme/other:1', 'ghcr.io/acme', 'namespace', 'reject'],
    ['ghcr.io/someone/else', 'ghcr.io', 'host', 'accept-unsigned'],
    ['quay.io/someone/else', '*.io', 'wildcard', 'reject'],
    ['registry.example.com/x/y', '', undefined, 'accept-unsigned'],
  ])('%s is governed by "%s" only (the most specific wins)', (image, scope, kind, effect) => {
    const answer = explainImage(layered, ref(image));
    expect(answer.applied.scope).toBe(scope);
    expect(answer.applied.kind).toBe(kind);
    expect(answer.effect).toBe(effect);
    expect(answer.why).toContain(answer.identity);
  });

  it('lists the less specific rules it ignores', () => {
    const answer = explainImage(layered, ref('ghcr.io/acme/vespera:42'));
    expect(answer.shadowed.map((s) => s.scope)).toEqual(['ghcr.io/acme', 'ghcr.io', '*.io', '', 'default']);
  });
});

describe('what rpm-ostree does with the image', () => {
  it('refuses ostree-image-signed: on a stock Fedora policy, while ostree-unverified-registry: pulls unchecked', () => {
    const answer = explainImage(load('fedora-default.json'), ref('ghcr.io/acme/vespera:latest'));
    expect(answer.applied.source).toBe('global-default');
    expect(answer.imageSigned.outcome).toBe('refused-insecure-default');
    expect(answer.imageSigned.message).toMatch(/refusing usage/);
    expect(answer.unverified.outcome).toBe('accepts-unsigned');
  });

  it("requires Universal Blue's key for its images, through both prefixes", () => {
    const answer = explainImage(load('ublue-os-signing.json'), ref('ghcr.io/ublue-os/bluefin:stable'), UBLUE_REGISTRIES);
    expect(answer.applied).toMatchObject({ scope: 'ghcr.io/ublue-os', kind: 'namespace' });
    expect(answer.requirements[0]).toMatch(/one of the keys \/etc\/pki\/containers\/ublue-os.pub, \/etc\/pki\/containers\/ublue-os-backup.pub/);
    expect(answer.imageSigned.outcome).toBe('requires-signature');
    expect(answer.unverified.outcome).toBe('requires-signature');
    expect(answer.unverified.message).toMatch(/only skips rpm-ostree's check/);
  });

  it('says the signature is never found when registries.d does not enable attachments', () => {
    const answer = explainImage(load('ublue-os-signing.json'), ref('ghcr.io/ublue-os/bluefin:stable'), mergeRegistriesFiles([]));
    expect(answer.imageSigned.outcome).toBe('signature-never-found');
    expect(answer.attachments?.explanation).toMatch(/use-sigstore-attachments/);
  });

  it('accepts an unrelated image unsigned through ostree-image-signed: behind a catch-all', () => {
    const answer = explainImage(load('ublue-os-signing.json'), ref('ghcr.io/someone/custom:latest'), UBLUE_REGISTRIES);
    expect(answer.applied.source).toBe('transport-default');
    expect(answer.imageSigned.outcome).toBe('accepts-unsigned');
    expect(answer.imageSigned.message).toMatch(/proves nothing/);
  });

  it('notices a doubled insecureAcceptAnything default that slips past rpm-ostree', () => {
    const policy = load('catch-all-double-default.json');
    expect(explainImage(policy, ref('quay.io/x/y')).imageSigned.outcome).toBe('accepts-unsigned');
    expect(findLoopholes(policy)[0]?.message).toMatch(/not a single insecureAcceptAnything/);
  });

  it('lists every catch-all that lets unsigned images through', () => {
    const loopholes = findLoopholes(load('catch-all-docker.json'));
    expect(loopholes.map((l) => l.scope)).toEqual(['ghcr.io', '']);
  });

  it('warns that a tag pull fails a matchRepoDigestOrExact cosign rule', () => {
    const policy = parsePolicyText('{"default": [{"type": "reject"}], "transports": {"docker": {"ghcr.io/acme": [{"type": "sigstoreSigned", "keyPath": "/etc/pki/containers/a.pub"}]}}}', 'p.json');
    expect(explainImage(policy, ref('ghcr.io/acme/vespera:latest')).notes.join(' ')).toMatch(/rejected even when signed/);
    expect(explainImage(policy, ref(`ghcr.io/acme/vespera@sha256:${'b'.repeat(64)}`)).notes).toEqual([]);
  });
});
