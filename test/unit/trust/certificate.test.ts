import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeCertificate, hasCodeSigningUsage, parseCertificate } from '../../../main/trust/certificate.ts';
import { githubActionsIdentity, runOfCommit } from '../../world/sigstore/fulcio.ts';
import { VECTORS_DIR } from '../../support/sigstore-vectors.ts';
import { TestSigstore } from '../../world/sigstore/signer.ts';

describe('what a signing certificate says about the signer', () => {
  it('reads the GitHub Actions extensions of a real public-good certificate', () => {
    const bundle = JSON.parse(readFileSync(`${VECTORS_DIR}conformance/happy-path-v0.1.sigstore.json`, 'utf8')) as {
      verificationMaterial: { x509CertificateChain: { certificates: Array<{ rawBytes: string }> } };
    };
    const der = Buffer.from(bundle.verificationMaterial.x509CertificateChain.certificates[0]?.rawBytes ?? '', 'base64');
    const cert = parseCertificate(der);
    const identity = describeCertificate(cert);
    expect(identity.subject).toBe('https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main');
    expect(identity.issuer).toBe('https://token.actions.githubusercontent.com');
    expect(identity.sourceRepository).toBe('https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon');
    expect(identity.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(identity.runInvocationUri).toMatch(/^https:\/\/github\.com\/sigstore-conformance\/extremely-dangerous-public-oidc-beacon\/actions\/runs\/\d+\/attempts\/\d+$/);
    expect(identity.notAfter.getTime() - identity.notBefore.getTime()).toBe(10 * 60_000);
    expect(hasCodeSigningUsage(cert)).toBe(true);
  });

  it('reads the test Fulcio certificates the same way', () => {
    const signer = new TestSigstore();
    const identity = githubActionsIdentity({ repository: 'https://github.com/acme/vespera', workflow: '.github/workflows/build.yml', ref: 'refs/tags/v42', issuer: 'https://token.actions.githubusercontent.com', commit: 'f'.repeat(40) });
    const leaf = signer.fulcio.issue(identity, new Date('2026-11-15T04:10:00Z'));
    const described = describeCertificate(parseCertificate(leaf.der));
    expect(described).toMatchObject({
      subject: 'https://github.com/acme/vespera/.github/workflows/build.yml@refs/tags/v42',
      sourceRepository: 'https://github.com/acme/vespera',
      sourceRepositoryRef: 'refs/tags/v42',
      commit: 'f'.repeat(40),
      buildConfigUri: identity.subject,
    });
    expect(described.extensions.githubWorkflowRepository).toBe('acme/vespera');
    // Like Fulcio: the run that signed, from the token's run_id and run_attempt.
    expect(described.runInvocationUri).toBe(`https://github.com/acme/vespera/actions/runs/${runOfCommit('f'.repeat(40)).id}/attempts/1`);
    expect(hasCodeSigningUsage(parseCertificate(signer.fulcio.issue(identity, new Date(), { withoutCodeSigning: true }).der))).toBe(false);
  });

  it('falls back to the v1 repository extension of older certificates', () => {
    const signer = new TestSigstore();
    const old = signer.fulcio.issue({ subject: 'https://github.com/acme/vespera/.github/workflows/b.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com', extensions: { 1: 'https://token.actions.githubusercontent.com', 5: 'acme/vespera', 6: 'refs/heads/main' } }, new Date());
    expect(describeCertificate(parseCertificate(old.der))).toMatchObject({ issuer: 'https://token.actions.githubusercontent.com', sourceRepository: 'https://github.com/acme/vespera', sourceRepositoryRef: 'refs/heads/main' });
  });
});
