import { describe, expect, it } from 'vitest';
import { parsePolicyText, PolicyFileError } from '../../../main/policy/policy-parse.ts';
import { POLICY_CORPUS, corpusText, positionOf } from '../../support/policy-corpus/corpus.ts';
import { caught } from '../../support/caught.ts';

const policyError = (text: string) => caught(() => parsePolicyText(text, 'policy.json'), PolicyFileError);

const wrap = (requirement: string): string => `{"default": [{"type": "reject"}], "transports": {"docker": {"ghcr.io/acme": [${requirement}]}}}`;

describe('parsing real-shaped policies', () => {
  for (const entry of POLICY_CORPUS.filter((e) => e.valid)) {
    it(`loads ${entry.what} (${entry.file}) and knows which release it needs`, () => {
      const policy = parsePolicyText(corpusText(entry.file), entry.file);
      expect(policy.requires).toBe(entry.requires);
    });
  }

  for (const entry of POLICY_CORPUS.filter((e) => !e.valid)) {
    it(`refuses ${entry.what} (${entry.file}) with the position, the consequence and a fix`, () => {
      const text = corpusText(entry.file);
      const error = policyError(text);
      const expected = entry.error;
      expect(error.code).toBe(expected?.code);
      expect(error.position).toMatchObject(positionOf(text, expected?.at ?? ''));
      expect(error.message).toMatch(expected?.mentions ?? /./);
      expect(error.message).toContain('every image pull on this host fails');
      expect(error.fix.length).toBeGreaterThan(10);
    });
  }
});

describe("the seed document's keyless block", () => {
  it('is answered with why it cannot be expressed and the two modes that work', () => {
    const error = policyError(corpusText('seed-strict.json'));
    expect(error.keyless).toMatchObject({
      issuer: 'https://token.actions.githubusercontent.com',
      subject: 'https://github.com/YOUR_USERNAME/vespera',
      expressible: false,
    });
    expect(error.message).toMatch(/subjectEmail/);
    expect(error.message).toMatch(/GitHub Actions certificate carries the workflow URI and no e-mail/);
    expect(error.message).toMatch(/key-enforced mode/);
    expect(error.message).toMatch(/app-enforced mode/);
  });

  it('becomes a valid fulcio rule when the subject is an e-mail address', () => {
    const error = policyError(wrap('{"type": "sigstoreSigned", "keyless": {"issuer": "https://accounts.google.com", "subject": "me@example.com"}}'));
    expect(error.keyless?.expressible).toBe(true);
    const equivalent = JSON.stringify(error.keyless?.equivalent);
    const policy = parsePolicyText(wrap(equivalent), 'fixed.json');
    expect(policy.requires).toBe(2);
  });
});

describe('containers/image strictness', () => {
  it.each([
    ['an unknown key in a requirement', '{"type": "reject", "note": "x"}', /unknown key "note"/],
    ['two trust sources', '{"type": "sigstoreSigned", "keyPath": "/a.pub", "keyData": "QQ==", "signedIdentity": {"type": "matchRepository"}}', /exactly one of keyPath/],
    ['no trust source', '{"type": "sigstoreSigned", "signedIdentity": {"type": "matchRepository"}}', /found none/],
    ['fulcio without Rekor', '{"type": "sigstoreSigned", "fulcio": {"caPath": "/f.pem", "oidcIssuer": "https://i", "subjectEmail": "a@b.c"}, "signedIdentity": {"type": "matchRepository"}}', /Rekor public key/],
    ['two Rekor keys', '{"type": "sigstoreSigned", "keyPath": "/a.pub", "rekorPublicKeyPath": "/r.pub", "rekorPublicKeyData": "QQ==", "signedIdentity": {"type": "matchRepository"}}', /at most one of rekor/],
    ['pki with Rekor', '{"type": "sigstoreSigned", "pki": {"caRootsPath": "/r.pem", "subjectEmail": "a@b.c"}, "rekorPublicKeyPath": "/r.pub"}', /cannot be combined/],
    ['bad base64', '{"type": "sigstoreSigned", "keyData": "!!!", "signedIdentity": {"type": "matchRepository"}}', /not valid base64/],
    ['an empty keyPaths', '{"type": "sigstoreSigned", "keyPaths": [], "signedIdentity": {"type": "matchRepository"}}', /contains no entries/],
    ['a number as a path', '{"type": "sigstoreSigned", "keyPath": 7}', /must be a string/],
    ['null identity', '{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k", "signedIdentity": null}', /must be a JSON object/],
    ['an exactReference without tag', '{"type": "sigstoreSigned", "keyPath": "/a.pub", "signedIdentity": {"type": "exactReference", "dockerReference": "ghcr.io/a/b"}}', /neither a tag nor a digest/],
    ['an identity missing its field', '{"type": "sigstoreSigned", "keyPath": "/a.pub", "signedIdentity": {"type": "exactRepository"}}', /"dockerRepository" is missing/],
    ['an unknown identity type', '{"type": "sigstoreSigned", "keyPath": "/a.pub", "signedIdentity": {"type": "matchRepo"}}', /unknown signed identity type/],
    ['a bad remap prefix', '{"type": "sigstoreSigned", "keyPath": "/a.pub", "signedIdentity": {"type": "remapIdentity", "prefix": "Bad Prefix", "signedPrefix": "quay.io/x"}}', /prefix "Bad Prefix" is not valid/],
    ['an unreleased buildSignerURI', '{"type": "sigstoreSigned", "fulcio": {"caPath": "/f", "oidcIssuer": "https://i", "buildSignerURI": "https://github.com/a/b/.github/workflows/x.yml@refs/heads/main"}, "rekorPublicKeyPath": "/r"}', /only proposed upstream/],
    ['an unknown keyType', '{"type": "signedBy", "keyType": "PGP", "keyPath": "/k"}', /unknown keyType "PGP"/],
  ])('refuses %s', (_what, requirement, message) => {
    const error = policyError(wrap(requirement));
    expect(error.message).toMatch(message);
    expect(error.position?.line).toBe(1);
  });

  it.each([
    ['a relative scope for dir', '{"default": [{"type": "reject"}], "transports": {"dir": {"relative": [{"type": "reject"}]}}}'],
    ['a non-canonical dir scope', '{"default": [{"type": "reject"}], "transports": {"dir": {"/a/../b": [{"type": "reject"}]}}}'],
    ['any scope for docker-archive', '{"default": [{"type": "reject"}], "transports": {"docker-archive": {"/a": [{"type": "reject"}]}}}'],
    ['a storage scope without store', '{"default": [{"type": "reject"}], "transports": {"containers-storage": {"/a": [{"type": "reject"}]}}}'],
    ['an image ID for docker-daemon', `{"default": [{"type": "reject"}], "transports": {"docker-daemon": {"sha256:${'a'.repeat(64)}": [{"type": "reject"}]}}}`],
  ])('refuses %s as an unknown key, as containers/image does', (_what, text) => {
    expect(policyError(text).message).toMatch(/not a valid scope/);
  });

  it.each([
    ['null transports', '{"default": [{"type": "reject"}], "transports": null}', /must be a JSON object/],
    ['an empty default', '{"default": []}', /requirements is empty/],
    ['a null default', '{"default": null}', /requirements is empty/],
    ['a top-level list', '[]', /must be a JSON object/],
  ])('refuses %s', (_what, text, message) => {
    expect(policyError(text).message).toMatch(message);
  });
});

describe('rules that load but do not do what they look like', () => {
  it('warns about scopes that can never match an image', () => {
    const policy = parsePolicyText(
      JSON.stringify({
        default: [{ type: 'reject' }],
        transports: {
          docker: {
            fedora: [{ type: 'insecureAcceptAnything' }],
            'https://ghcr.io/acme': [{ type: 'insecureAcceptAnything' }],
            'ghcr.io/Acme/App': [{ type: 'insecureAcceptAnything' }],
            '*.example.com:5000': [{ type: 'insecureAcceptAnything' }],
            'index.docker.io/library/x': [{ type: 'insecureAcceptAnything' }],
          },
          bogus: { '': [{ type: 'reject' }] },
        },
      }),
      'p.json',
    );
    const messages = policy.warnings.map((w) => w.message).join('\n');
    expect(messages).toMatch(/"fedora" never matches.*docker.io\/library\/fedora/);
    expect(messages).toMatch(/"https:\/\/ghcr.io\/acme" never matches/);
    expect(messages).toMatch(/"ghcr.io\/Acme\/App" never matches.*lower-case/);
    expect(messages).toMatch(/"\*.example.com:5000" never matches/);
    expect(messages).toMatch(/"index.docker.io\/library\/x" never matches/);
    expect(messages).toMatch(/no transport called "bogus"/);
  });

  it('warns that the default matchRepoDigestOrExact rejects cosign signatures pulled by tag', () => {
    const policy = parsePolicyText(wrap('{"type": "sigstoreSigned", "keyPath": "/etc/pki/containers/a.pub"}'), 'p.json');
    expect(policy.warnings.map((w) => w.message).join('\n')).toMatch(/matchRepository/);
  });

  it('warns about relative key paths and signedBaseLayer', () => {
    const policy = parsePolicyText(wrap('{"type": "sigstoreSigned", "keyPath": "keys/a.pub", "signedIdentity": {"type": "matchRepository"}}, {"type": "signedBaseLayer", "baseLayerIdentity": {"type": "matchRepository"}}'), 'p.json');
    const messages = policy.warnings.map((w) => w.message).join('\n');
    expect(messages).toMatch(/relative path "keys\/a.pub"/);
    expect(messages).toMatch(/never implemented "signedBaseLayer"/);
  });
});
