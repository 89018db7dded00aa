import { describe, expect, it } from 'vitest';
import {
  formatDockerReference,
  isSha256Digest,
  parseDockerReference,
  repositoryName,
  withDigest,
  type Sha256Digest,
} from '../../../main/shared/image-reference.ts';

const DIGEST: Sha256Digest = `sha256:${'a1'.repeat(32)}`;

describe('docker image references', () => {
  it('reads registry, repository, tag and digest of a GitHub package', () => {
    expect(parseDockerReference(`ghcr.io/acme/vespera-nvidia:latest@${DIGEST}`)).toEqual({
      registry: 'ghcr.io',
      repository: 'acme/vespera-nvidia',
      tag: 'latest',
      digest: DIGEST,
    });
  });

  it('keeps a loopback registry with its port', () => {
    const ref = parseDockerReference('127.0.0.1:5000/acme/vespera:42');
    expect(ref.registry).toBe('127.0.0.1:5000');
    expect(ref.repository).toBe('acme/vespera');
    expect(ref.tag).toBe('42');
  });

  it('normalises Docker Hub names the way podman does', () => {
    expect(repositoryName(parseDockerReference('fedora'))).toBe('docker.io/library/fedora');
    expect(repositoryName(parseDockerReference('acme/tool:1'))).toBe('docker.io/acme/tool');
    expect(repositoryName(parseDockerReference('index.docker.io/acme/tool'))).toBe('docker.io/acme/tool');
    expect(parseDockerReference('localhost/x').registry).toBe('localhost');
  });

  it('formats back to the fully qualified form and pins digests without the tag', () => {
    const ref = parseDockerReference('quay.io/fedora/fedora-silverblue:42');
    expect(formatDockerReference(ref)).toBe('quay.io/fedora/fedora-silverblue:42');
    expect(formatDockerReference(withDigest(ref, DIGEST))).toBe(`quay.io/fedora/fedora-silverblue@${DIGEST}`);
  });

  it.each([
    ['', 'empty'],
    ['ghcr.io/Acme/vespera', 'upper-case owner'],
    ['ghcr.io/acme/vespera:', 'empty tag'],
    ['ghcr.io/acme/vespera@sha256:abc', 'short digest'],
    [`ghcr.io/acme/vespera@sha512:${'a'.repeat(128)}`, 'non-sha256 digest'],
    ['ghcr.io//vespera', 'empty path component'],
    ['ghcr.io/acme/vespera:la test', 'space'],
    [`ghcr.io/${'a'.repeat(260)}`, 'name too long'],
  ])('refuses %j (%s) with a message that shows the expected form', (input) => {
    expect(() => parseDockerReference(input)).toThrowError(/ghcr\.io\/OWNER\/IMAGE:TAG/);
  });

  it('recognises only full sha256 digests', () => {
    expect(isSha256Digest(DIGEST)).toBe(true);
    expect(isSha256Digest(DIGEST.toUpperCase())).toBe(false);
    expect(isSha256Digest('sha256:1234')).toBe(false);
    expect(isSha256Digest(42)).toBe(false);
  });
});
