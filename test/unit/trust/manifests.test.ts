import { describe, expect, it } from 'vitest';
import type { TrustError } from '../../../main/trust/errors.ts';
import {
  checkDigest,
  hostArchitecture,
  MEDIA_TYPES,
  parseManifest,
  referrersTag,
  selectPlatform,
  sha256Digest,
  signatureTag,
  type ImageIndex,
} from '../../../main/trust/manifests.ts';
import { buildImage } from '../../world/oci.ts';

const digest = `sha256:${'a'.repeat(64)}` as const;

describe('manifests from a registry', () => {
  it('reads an OCI index and picks the platform manifest of the host architecture', () => {
    const image = buildImage({
      format: 'oci-index',
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64' },
      ],
      labels: {},
      created: '2026-11-01T00:00:00Z',
      layers: [{ a: 'b' }],
    });
    const index = parseManifest(image.top.data, undefined, 'test') as ImageIndex;
    expect(index.kind).toBe('index');
    expect(selectPlatform(index, { architecture: 'arm64' })?.digest).toBe(image.manifests[1]?.digest);
    expect(selectPlatform(index, { architecture: 's390x' })).toBeUndefined();
    expect(selectPlatform(index)?.platform?.architecture).toBe(hostArchitecture());
  });

  it('reads Docker schema 2 manifests and lists, taking the media type from the header when the body has none', () => {
    const list = buildImage({ format: 'docker-list', platforms: [{ os: 'linux', architecture: 'amd64' }], labels: {}, created: '2026-11-01T00:00:00Z', layers: [{}] });
    expect(parseManifest(list.top.data, undefined, 'test').mediaType).toBe(MEDIA_TYPES.dockerList);
    const bare = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'x', digest, size: 1 }, layers: [] }));
    expect(parseManifest(bare, `${MEDIA_TYPES.ociManifest}; charset=utf-8`, 'test').mediaType).toBe(MEDIA_TYPES.ociManifest);
  });

  it.each([
    ['not JSON', '{'],
    ['schema version 1', JSON.stringify({ schemaVersion: 1, mediaType: MEDIA_TYPES.ociManifest })],
    ['a descriptor without a sha256 digest', JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { mediaType: 'x', digest: 'md5:abc', size: 1 }, layers: [] })],
    ['a negative size', JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { mediaType: 'x', digest, size: -1 }, layers: [] })],
    ['an unknown media type', JSON.stringify({ schemaVersion: 2, mediaType: 'application/x-evil', config: { mediaType: 'x', digest, size: 1 }, layers: [] })],
    ['an index claiming to be a manifest', JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, manifests: [] })],
  ])('refuses %s as unsupported-format', (_what, text) => {
    expect(() => parseManifest(Buffer.from(text), undefined, 'test')).toThrow(expect.objectContaining({ code: 'unsupported-format' }) as TrustError);
  });

  it('refuses content that does not hash to the digest it was fetched by', () => {
    const data = Buffer.from('hello');
    expect(() => checkDigest(data, sha256Digest(data), 'x')).not.toThrow();
    expect(() => checkDigest(Buffer.from('hellO'), sha256Digest(data), 'x')).toThrow(expect.objectContaining({ code: 'digest-mismatch' }) as TrustError);
  });

  it("names cosign's signature tag and the referrers fallback tag as cosign does", () => {
    expect(signatureTag(digest)).toBe(`sha256-${'a'.repeat(64)}.sig`);
    expect(referrersTag(digest)).toBe(`sha256-${'a'.repeat(64)}`);
  });
});
