import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig } from '../../../main/shared/config.ts';
import { parseDockerReference } from '../../../main/shared/image-reference.ts';
import type { CertificateIdentity } from '../../../main/trust/certificate.ts';
import { anchoredRegExp, checkIdentity, deriveIdentity, escapeRegExp, identityFor, type IdentityPolicy } from '../../../main/trust/identity-policy.ts';

const GHA = 'https://token.actions.githubusercontent.com';
function cert(repository: string, workflow = '.github/workflows/build.yml', ref = 'refs/heads/main', issuer = GHA): CertificateIdentity {
  return {
    subject: `${repository}/${workflow}@${ref}`,
    issuer,
    sourceRepository: repository,
    sourceRepositoryRef: ref,
    notBefore: new Date(0),
    notAfter: new Date(0),
    extensions: {},
  };
}
const byRepository = (url: string, extra: Partial<IdentityPolicy> = {}): IdentityPolicy => ({ issuer: GHA, identity: { kind: 'repository', url }, origin: 'explicit', ...extra });

describe('who must have signed', () => {
  it("accepts any workflow of the repository IMAGE-SIGNING.md names, and nothing else's", () => {
    const policy = byRepository('https://github.com/acme/vespera');
    expect(checkIdentity(policy, cert('https://github.com/acme/vespera')).ok).toBe(true);
    expect(checkIdentity(policy, cert('https://github.com/acme/vespera', '.github/workflows/release.yaml', 'refs/tags/v42')).ok).toBe(true);
    for (const other of ['https://github.com/acme/vespera-evil', 'https://github.com/acme/vesperaX', 'https://github.com/mallory/vespera', 'https://github.com/acme/vesper']) {
      expect(checkIdentity(policy, cert(other))).toMatchObject({ ok: false, code: 'identity-mismatch' });
    }
  });

  it('requires the SAN to be a workflow of that same repository, not only the repository extension', () => {
    const policy = byRepository('https://github.com/acme/vespera');
    // A reusable workflow from elsewhere signing for acme/vespera: the SAN names the other repository.
    const reusable = { ...cert('https://github.com/acme/vespera'), subject: 'https://github.com/mallory/tools/.github/workflows/sign.yml@refs/heads/main' };
    expect(checkIdentity(policy, reusable)).toMatchObject({ ok: false, code: 'identity-mismatch' });
    const lookalikeSan = { ...cert('https://github.com/acme/vespera'), subject: 'https://github.com/acme/vespera/.github/workflows/x.yml@refs/heads/main/../../../mallory' };
    expect(checkIdentity(policy, lookalikeSan).ok).toBe(false);
  });

  it('reports a different OIDC issuer as issuer-mismatch', () => {
    expect(checkIdentity(byRepository('https://github.com/acme/vespera'), cert('https://github.com/acme/vespera', undefined, undefined, 'https://gitlab.com'))).toMatchObject({ code: 'issuer-mismatch' });
  });

  it('treats an exact identity as exact: no prefix match, no regexp meaning in its characters', () => {
    const exact = (subject: string): IdentityPolicy => ({ issuer: GHA, identity: { kind: 'exact', subject }, origin: 'explicit' });
    const signed = cert('https://github.com/acme/vespera');
    expect(checkIdentity(exact(signed.subject ?? ''), signed).ok).toBe(true);
    expect(checkIdentity(exact('https://github.com/acme/vespera'), signed).ok).toBe(false);
    expect(checkIdentity(exact('https://github.com/acme/vespera/.github/workflows/build.yml'), signed).ok).toBe(false);
    expect(checkIdentity(exact('https://github.com/acme/vespera.*'), signed).ok).toBe(false);
  });

  it('anchors identity regexps at both ends, alternations included', () => {
    const re = (pattern: string): IdentityPolicy => ({ issuer: GHA, identity: { kind: 'regexp', pattern }, origin: 'explicit' });
    const signed = cert('https://github.com/acme/vespera');
    expect(checkIdentity(re('https://github\\.com/acme/vespera/.*'), signed).ok).toBe(true);
    expect(checkIdentity(re('acme/vespera'), signed).ok).toBe(false);
    expect(checkIdentity(re('nothing|https://github\\.com/acme/.*'), signed).ok).toBe(true);
    expect(anchoredRegExp('a|b').test('xa')).toBe(false);
    expect(() => anchoredRegExp('(')).toThrow(expect.objectContaining({ code: 'invalid-input' }));
  });

  it('escapes every regexp metacharacter', () => {
    const text = 'https://x.y/a+b?(c)[d]{e}|f^$\\g*';
    expect(new RegExp(`^${escapeRegExp(text)}$`).test(text)).toBe(true);
    expect(new RegExp(`^${escapeRegExp('a.b')}$`).test('aXb')).toBe(false);
  });

  it('pins the workflow ref when asked: exact refs and * patterns', () => {
    const policy = byRepository('https://github.com/acme/vespera', { workflowRefs: ['refs/heads/main', 'refs/tags/*'] });
    expect(checkIdentity(policy, cert('https://github.com/acme/vespera')).ok).toBe(true);
    expect(checkIdentity(policy, cert('https://github.com/acme/vespera', undefined, 'refs/tags/v42.1')).ok).toBe(true);
    const dev = checkIdentity(policy, cert('https://github.com/acme/vespera', undefined, 'refs/heads/dev'));
    expect(dev).toMatchObject({ ok: false, code: 'ref-not-allowed' });
    expect(dev.reason).toBe('it was built by .github/workflows/build.yml on refs/heads/dev, not on refs/heads/main or refs/tags/*');
    // The pattern is literal but for *: a dot is a dot.
    expect(checkIdentity(byRepository('https://github.com/acme/vespera', { workflowRefs: ['refs/heads/v1.0'] }), cert('https://github.com/acme/vespera', undefined, 'refs/heads/v1x0')).ok).toBe(false);
  });

  it('never counts a pull-request build as a release unless pull refs are pinned', () => {
    const pr = cert('https://github.com/acme/vespera', '.github/workflows/build.yml', 'refs/pull/7/merge');
    for (const policy of [byRepository('https://github.com/acme/vespera'), { issuer: GHA, identity: { kind: 'regexp', pattern: '.*' }, origin: 'explicit' } as IdentityPolicy]) {
      const verdict = checkIdentity(policy, pr);
      expect(verdict).toMatchObject({ ok: false, code: 'ref-not-allowed' });
      expect(verdict.reason).toMatch(/built by \.github\/workflows\/build\.yml on refs\/pull\/7\/merge, a pull request/);
    }
    // The build's own ref (the extension) counts too, even when the SAN's ref looks like a branch.
    expect(checkIdentity(byRepository('https://github.com/acme/vespera'), { ...cert('https://github.com/acme/vespera'), sourceRepositoryRef: 'refs/pull/7/merge' })).toMatchObject({ code: 'ref-not-allowed' });
    expect(checkIdentity(byRepository('https://github.com/acme/vespera', { workflowRefs: ['refs/pull/*'] }), pr).ok).toBe(true);
  });

  it('compiles an identity regexp on its own first, so it cannot close the anchoring group early', () => {
    const escape = { issuer: GHA, identity: { kind: 'regexp', pattern: 'x)|(?:.*' }, origin: 'explicit' } as IdentityPolicy;
    expect(() => checkIdentity(escape, cert('https://github.com/mallory/vespera'))).toThrow(expect.objectContaining({ code: 'invalid-input' }));
    expect(() => anchoredRegExp('a)|(b')).toThrow(/"a\)\|\(b" is not a valid regular expression/);
  });
});

describe('the identity derived from a GitHub package name', () => {
  const ghcr = { host: 'ghcr.io', insecure: false, githubPackages: true };
  it.each(['vespera', 'vespera-nvidia', 'vespera-nvidia-open', 'vespera-dx', 'vespera-dx-nvidia', 'vespera-dx-nvidia-open'])('%s is signed by acme/vespera', (name) => {
    expect(deriveIdentity(parseDockerReference(`ghcr.io/acme/${name}:latest`), ghcr)).toEqual({
      issuer: GHA,
      identity: { kind: 'repository', url: 'https://github.com/acme/vespera' },
      origin: 'derived',
      ignoreCase: true,
    });
  });

  it('keeps names that are not variant suffixes, and derives nothing off GitHub packages', () => {
    expect(deriveIdentity(parseDockerReference('ghcr.io/acme/bluefin-dx'), ghcr)?.identity).toEqual({ kind: 'repository', url: 'https://github.com/acme/bluefin' });
    expect(deriveIdentity(parseDockerReference('ghcr.io/acme/nvidia-tools'), ghcr)?.identity).toEqual({ kind: 'repository', url: 'https://github.com/acme/nvidia-tools' });
    expect(deriveIdentity(parseDockerReference('quay.io/acme/vespera'), { host: 'quay.io', insecure: false, githubPackages: false })).toBeUndefined();
    expect(deriveIdentity(parseDockerReference('ghcr.io/acme/sub/vespera'), ghcr)).toBeUndefined();
  });

  it('accepts the owner as GitHub capitalises it, since registry paths are lower-case', () => {
    const derived = deriveIdentity(parseDockerReference('ghcr.io/acme/vespera'), ghcr) as IdentityPolicy;
    expect(checkIdentity(derived, cert('https://github.com/Acme/Vespera')).ok).toBe(true);
    expect(checkIdentity(derived, cert('https://github.com/Acme/Vespera-evil')).ok).toBe(false);
  });

  it('prefers a configured family over the derived guess', () => {
    const config = mergeConfig(DEFAULT_CONFIG, {
      source: 'test',
      families: [{ images: ['ghcr.io/acme/vespera*'], repository: 'https://github.com/acme/os', issuer: GHA, workflowRefs: ['refs/heads/main'] }],
    });
    expect(identityFor(config, parseDockerReference('ghcr.io/acme/vespera-nvidia'))).toEqual({
      issuer: GHA,
      identity: { kind: 'repository', url: 'https://github.com/acme/os' },
      origin: 'configured',
      workflowRefs: ['refs/heads/main'],
    });
    expect(identityFor(config, parseDockerReference('ghcr.io/other/thing'))?.origin).toBe('derived');
  });
});
