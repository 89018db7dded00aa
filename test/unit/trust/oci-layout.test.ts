import { describe, expect, it } from 'vitest';
import { goFoldKey, parseLayoutIndex, parseOciLayoutReference, resolveLayoutEntry } from '../../../main/trust/oci-layout.ts';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const OCI = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER = 'application/vnd.docker.distribution.manifest.v2+json';
const entry = (digest: string, name: string, mediaType = OCI, extra = ''): string =>
  `{"mediaType":"${mediaType}","digest":"${digest}","size":2,"annotations":{"org.opencontainers.image.ref.name":"${name}"}${extra}}`;
const index = (body: string): ReturnType<typeof parseLayoutIndex> => parseLayoutIndex(Buffer.from(body), 'index.json');

describe('oci: references, as containers/image splits them', () => {
  it('splits at the first colon: everything after it is the name', () => {
    expect(parseOciLayoutReference('oci:/srv/images:latest')).toEqual({ dir: '/srv/images', tag: 'latest' });
    expect(parseOciLayoutReference('oci:/srv/a:b:latest')).toEqual({ dir: '/srv/a', tag: 'b:latest' });
    expect(parseOciLayoutReference('oci:/srv/images')).toEqual({ dir: '/srv/images' });
    expect(parseOciLayoutReference('oci:/srv/images:')).toEqual({ dir: '/srv/images' });
    expect(parseOciLayoutReference('oci:/srv/images:@2')).toEqual({ dir: '/srv/images', entry: 2 });
    expect(parseOciLayoutReference('oci:rel/dir:x', '/home/me')).toEqual({ dir: '/home/me/rel/dir', tag: 'x' });
    expect(parseOciLayoutReference('docker://x')).toBeUndefined();
  });

  it('refuses names containers/image refuses', () => {
    for (const bad of ['oci:/d:-x', 'oci:/d:a//b', 'oci:/d:@x', 'oci:/d:la\x1btest', 'oci::x']) {
      expect(() => parseOciLayoutReference(bad), bad).toThrow(expect.objectContaining({ code: 'invalid-input' }));
    }
  });
});

describe('index.json, as Go reads it', () => {
  it("folds key case like Go's encoding/json, Kelvin sign and long s included", () => {
    expect(goFoldKey('Manifests')).toBe(goFoldKey('manifests'));
    expect(goFoldKey('manifeſts')).toBe(goFoldKey('manifests'));
    expect(goFoldKey('\u212Aey')).toBe(goFoldKey('key'));
    expect(goFoldKey('mediaTyp\u00e9')).not.toBe(goFoldKey('mediaType'));
    const read = index(`{"schemaVersion":2,"Manifests":[{"MediaType":"${OCI}","DIGEST":"${A}","Size":2,"Annotations":{"org.opencontainers.image.ref.name":"latest"}}]}`);
    expect(read.manifests).toEqual([{ mediaType: OCI, digest: A, size: 2, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }]);
  });

  it('refuses keys Go would merge, at any depth', () => {
    for (const body of [
      `{"schemaVersion":2,"manifests":[${entry(A, 'latest')}],"Manifests":[${entry(B, 'latest')}]}`,
      `{"schemaVersion":2,"manifests":[${entry(A, 'latest')}],"manifeſts":[${entry(B, 'latest')}]}`,
      `{"schemaVersion":2,"manifests":[${entry(A, 'latest', OCI, `,"Digest":"${B}"`)}]}`,
      `{"schemaVersion":2,"manifests":[${entry(A, 'latest', OCI, `,"digest":"${B}"`)}]}`,
    ]) {
      expect(() => index(body), body).toThrow(expect.objectContaining({ code: 'ambiguous-reference' }));
    }
  });
});

describe('which entry a name opens', () => {
  it('skips entries that are not manifests, as containers/image does', () => {
    const read = index(`{"schemaVersion":2,"manifests":[${entry(A, 'latest', 'application/vnd.oci.image.layer.v1.tar')},${entry(B, 'latest')}]}`);
    expect(resolveLayoutEntry(read, { tag: 'latest' }, 'oci:/d')?.digest).toBe(B);
    expect(resolveLayoutEntry(read, { tag: 'nope' }, 'oci:/d')).toBeUndefined();
    expect(resolveLayoutEntry(read, { entry: 0 }, 'oci:/d')?.digest).toBe(A);
  });

  it('refuses two images under one name, and Docker-typed entries containers/image releases read differently', () => {
    const two = index(`{"schemaVersion":2,"manifests":[${entry(A, 'latest')},${entry(B, 'latest')}]}`);
    expect(() => resolveLayoutEntry(two, { tag: 'latest' }, 'oci:/d')).toThrow(expect.objectContaining({ code: 'ambiguous-reference' }));
    const docker = index(`{"schemaVersion":2,"manifests":[${entry(A, 'latest', DOCKER)},${entry(B, 'latest')}]}`);
    expect(() => resolveLayoutEntry(docker, { tag: 'latest' }, 'oci:/d')).toThrow(expect.objectContaining({ code: 'ambiguous-reference' }));
    const same = index(`{"schemaVersion":2,"manifests":[${entry(A, 'latest')},${entry(A, 'latest')}]}`);
    expect(resolveLayoutEntry(same, { tag: 'latest' }, 'oci:/d')?.digest).toBe(A);
    const layersOnly = index(`{"schemaVersion":2,"manifests":[${entry(A, 'latest', 'application/vnd.oci.image.layer.v1.tar')}]}`);
    expect(() => resolveLayoutEntry(layersOnly, { tag: 'latest' }, 'oci:/d')).toThrow(expect.objectContaining({ code: 'unsupported-format' }));
  });

  it('opens the only image when none is named, and asks for a name when there are several', () => {
    expect(resolveLayoutEntry(index(`{"schemaVersion":2,"manifests":[${entry(A, 'x')}]}`), {}, 'oci:/d')?.digest).toBe(A);
    expect(() => resolveLayoutEntry(index(`{"schemaVersion":2,"manifests":[${entry(A, 'x')},${entry(B, 'y')}]}`), {}, 'oci:/d')).toThrow(expect.objectContaining({ code: 'invalid-input' }));
  });
});
