import { describe, expect, it } from 'vitest';
import { formatRefspec, imageRefspec, parseRefspec, RefspecError, sameImage } from '../../../main/host/refspec.ts';
import { parseDockerReference, type Sha256Digest } from '../../../main/shared/image-reference.ts';

const DIGEST: Sha256Digest = `sha256:${'c3'.repeat(32)}`;

describe('refspecs as rpm-ostree stores them', () => {
  const roundTrips = [
    'ostree-unverified-registry:ghcr.io/acme/vespera-nvidia:latest',
    'ostree-unverified-image:docker://ghcr.io/acme/vespera-nvidia:latest',
    'ostree-unverified-image:registry:ghcr.io/acme/vespera-nvidia:latest',
    'ostree-image-signed:docker://ghcr.io/acme/vespera-nvidia:latest',
    'ostree-image-signed:registry:quay.io/fedora/fedora-silverblue:42',
    `ostree-image-signed:docker://ghcr.io/acme/vespera@${DIGEST}`,
    `ostree-unverified-registry:127.0.0.1:5000/acme/vespera:latest@${DIGEST}`,
    'ostree-remote-image:fedora:docker://quay.io/fedora/fedora-coreos:stable',
    'ostree-remote-registry:fedora:quay.io/fedora/fedora-coreos:stable',
    'ostree-unverified-image:oci:/var/lib/images/vespera',
    'ostree-unverified-image:oci-archive:/tmp/vespera.ociarchive',
    'ostree-unverified-image:containers-storage:localhost/vespera:dev',
    'ostree-image-signed:dir:/srv/vespera',
    'fedora:fedora/42/x86_64/silverblue',
    'fedora/42/x86_64/kinoite',
    'ostree://fedora:fedora/41/x86_64/silverblue',
    'a'.repeat(64),
  ];

  it.each(roundTrips)('formats %s back to exactly the same string', (text) => {
    expect(formatRefspec(parseRefspec(text))).toBe(text);
  });

  it('reads the registry image of an unverified shorthand as fields', () => {
    const refspec = parseRefspec('ostree-unverified-registry:ghcr.io/acme/vespera-nvidia:latest');
    expect(refspec).toMatchObject({
      kind: 'container',
      verification: 'unverified',
      scheme: 'ostree-unverified-registry',
      transport: 'registry',
      image: { registry: 'ghcr.io', repository: 'acme/vespera-nvidia', tag: 'latest' },
    });
  });

  it('tells a signed origin from an unverified one and keeps a digest', () => {
    const refspec = parseRefspec(`ostree-image-signed:docker://ghcr.io/acme/vespera:42@${DIGEST}`);
    expect(refspec).toMatchObject({ verification: 'signed', image: { tag: '42', digest: DIGEST } });
  });

  it('names the ostree remote whose keys verify an ostree-remote image', () => {
    expect(parseRefspec('ostree-remote-registry:fedora:quay.io/fedora/fedora-coreos:stable')).toMatchObject({
      verification: 'ostree-remote',
      remote: 'fedora',
      image: { registry: 'quay.io', repository: 'fedora/fedora-coreos', tag: 'stable' },
    });
  });

  it('splits a classic remote:ref and recognises a bare checksum', () => {
    expect(parseRefspec('fedora:fedora/42/x86_64/silverblue')).toEqual({
      kind: 'ostree',
      remote: 'fedora',
      ref: 'fedora/42/x86_64/silverblue',
      compatPrefix: false,
    });
    expect(parseRefspec('f'.repeat(64))).toEqual({ kind: 'checksum', checksum: 'f'.repeat(64) });
  });

  it.each([
    ['ostree-image-signed:docker:ghcr.io/acme/vespera', /docker:\/\//],
    ['ostree-image-signed:ghcr.io/acme/vespera', /transport/],
    ['ostree-image-signed:ftp:ghcr.io/acme/vespera', /"ftp" is not a transport/],
    ['ostree-remote-registry:ghcr.io', /remote/],
    ['ostree-unverified-registry:ghcr.io/Acme/Vespera', /lower-case/],
    ['ostree-unverified-image:oci:', /empty/],
    ['fedora:bad ref', /spaces/],
    ['', /empty/],
    ['x'.repeat(3000), /longer/],
  ])('refuses %s with a message saying how to write it', (text, why) => {
    let caught: unknown;
    try {
      parseRefspec(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RefspecError);
    expect((caught as RefspecError).code).toBe('invalid-refspec');
    expect((caught as RefspecError).message).toMatch(why);
    expect((caught as RefspecError).message).toMatch(/Write it like ostree-image-signed:docker:\/\//);
  });

  it('builds the spellings people use for a registry image', () => {
    const image = parseDockerReference('ghcr.io/acme/vespera-nvidia:latest');
    expect(formatRefspec(imageRefspec('signed', image))).toBe('ostree-image-signed:docker://ghcr.io/acme/vespera-nvidia:latest');
    expect(formatRefspec(imageRefspec('unverified', image))).toBe('ostree-unverified-registry:ghcr.io/acme/vespera-nvidia:latest');
  });

  it('sees the same image behind different signature modes and spellings', () => {
    const unverified = parseRefspec('ostree-unverified-registry:ghcr.io/acme/vespera:latest');
    const signed = parseRefspec('ostree-image-signed:docker://ghcr.io/acme/vespera:latest');
    const other = parseRefspec('ostree-image-signed:docker://ghcr.io/acme/vespera:42');
    expect(sameImage(unverified, signed)).toBe(true);
    expect(sameImage(signed, other)).toBe(false);
    expect(sameImage(parseRefspec('fedora:fedora/42/x86_64/silverblue'), signed)).toBe(false);
  });
});
