import { describe, expect, it } from 'vitest';
import { parseDockerReference } from '../../../main/shared/image-reference.ts';
import type { TrustError } from '../../../main/trust/errors.ts';
import { parseInTotoStatement, parseSimpleSigningPayload, signedIdentityMatches, type SignedIdentityRule } from '../../../main/trust/payload.ts';

const DIGEST = `sha256:${'c'.repeat(64)}`;
const payload = (critical: unknown, optional: unknown = null): Buffer => Buffer.from(JSON.stringify({ critical, optional }));
const critical = { identity: { 'docker-reference': 'ghcr.io/acme/vespera' }, image: { 'docker-manifest-digest': DIGEST }, type: 'cosign container image signature' };
const refused = expect.objectContaining({ code: 'unsupported-format' }) as TrustError;

describe('the simple-signing payload cosign signs', () => {
  it('gives the signed digest, the claimed repository and the optional annotations', () => {
    expect(parseSimpleSigningPayload(payload(critical, { creator: 'ci' }))).toEqual({
      dockerReference: 'ghcr.io/acme/vespera',
      manifestDigest: DIGEST,
      optional: { creator: 'ci' },
    });
  });

  it.each([
    ['an extra top-level field', Buffer.from(JSON.stringify({ critical, optional: null, extra: 1 }))],
    ['an extra critical field', payload({ ...critical, evil: true })],
    ['another payload type', payload({ ...critical, type: 'atomic container signature' })],
    ['a missing identity', payload({ image: critical.image, type: critical.type })],
    ['a digest that is not a string', payload({ ...critical, image: { 'docker-manifest-digest': 42 } })],
    ['a repeated digest key', Buffer.from(`{"critical":{"identity":{"docker-reference":"a/b"},"image":{"docker-manifest-digest":"${DIGEST}","docker-manifest-digest":"sha256:${'d'.repeat(64)}"},"type":"cosign container image signature"},"optional":null}`)],
    ['optional as a string', payload(critical, 'x')],
    ['not JSON', Buffer.from('{"critical":')],
  ])('refuses %s, as containers/image would', (_what, bytes) => {
    expect(() => parseSimpleSigningPayload(bytes)).toThrow(refused);
  });
});

describe('the in-toto statement of cosign 3 bundles', () => {
  it('gives the predicate type and subject digests', () => {
    const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { sha256: 'c'.repeat(64) } }], predicateType: 'https://sigstore.dev/cosign/sign/v1' }));
    expect(parseInTotoStatement('application/vnd.in-toto+json', statement)).toEqual({ predicateType: 'https://sigstore.dev/cosign/sign/v1', subjectDigests: [DIGEST], subjectNames: new Map() });
    const named = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'ghcr.io/acme/vespera', digest: { sha256: 'c'.repeat(64) } }], predicateType: 'https://sigstore.dev/cosign/sign/v1' }));
    expect(parseInTotoStatement('application/vnd.in-toto+json', named).subjectNames.get(DIGEST)).toBe('ghcr.io/acme/vespera');
    expect(() => parseInTotoStatement('text/plain', statement)).toThrow(refused);
    expect(() => parseInTotoStatement('application/vnd.in-toto+json', Buffer.from('{"_type":"x"}'))).toThrow(refused);
  });
});

describe("containers/image's signedIdentity rules", () => {
  const tagged = parseDockerReference('ghcr.io/acme/vespera:latest');
  const pinned = parseDockerReference(`ghcr.io/acme/vespera@${DIGEST}`);
  const cases: Array<[string, SignedIdentityRule, typeof tagged, string, boolean]> = [
    ['matchRepository accepts the repository cosign signs', { type: 'matchRepository' }, tagged, 'ghcr.io/acme/vespera', true],
    ['matchRepository refuses another repository', { type: 'matchRepository' }, tagged, 'ghcr.io/acme/vespera-evil', false],
    ['matchRepository normalises Docker Hub names', { type: 'matchRepository' }, parseDockerReference('fedora:41'), 'index.docker.io/library/fedora', true],
    ['matchRepoDigestOrExact wants the tag for tagged images', { type: 'matchRepoDigestOrExact' }, tagged, 'ghcr.io/acme/vespera', false],
    ['matchRepoDigestOrExact accepts the tag itself', { type: 'matchRepoDigestOrExact' }, tagged, 'ghcr.io/acme/vespera:latest', true],
    ['matchRepoDigestOrExact accepts the repository for digests', { type: 'matchRepoDigestOrExact' }, pinned, 'ghcr.io/acme/vespera', true],
    ['matchExact refuses a name-only signature', { type: 'matchExact' }, tagged, 'ghcr.io/acme/vespera', false],
    ['exactReference compares with the given reference', { type: 'exactReference', dockerReference: 'ghcr.io/acme/vespera:stable' }, tagged, 'ghcr.io/acme/vespera:stable', true],
    ['exactRepository accepts a mirror signed as upstream', { type: 'exactRepository', dockerRepository: 'ghcr.io/acme/vespera' }, parseDockerReference('mirror.local/acme/vespera:latest'), 'ghcr.io/acme/vespera', true],
    ['remapIdentity maps a mirror prefix', { type: 'remapIdentity', prefix: 'mirror.local/acme', signedPrefix: 'ghcr.io/acme' }, parseDockerReference(`mirror.local/acme/vespera@${DIGEST}`), 'ghcr.io/acme/vespera', true],
    ['remapIdentity only at a path boundary', { type: 'remapIdentity', prefix: 'mirror.local/ac', signedPrefix: 'ghcr.io/acme' }, parseDockerReference(`mirror.local/acme/vespera@${DIGEST}`), 'ghcr.io/acme/vespera', false],
    ['an unparseable claim never matches', { type: 'matchRepository' }, tagged, 'GHCR.io/Acme/Vespera', false],
  ];
  it.each(cases)('%s', (_name, rule, intended, signed, expected) => {
    expect(signedIdentityMatches(rule, intended, signed)).toBe(expected);
  });
});
