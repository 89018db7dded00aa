import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildImage, MEDIA, sha256, tar, type ImageSpec } from '../../world/oci.ts';

const SPEC: ImageSpec = {
  format: 'oci-index',
  platforms: [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64' },
  ],
  labels: { 'org.opencontainers.image.version': '42.1', 'ostree.bootable': 'true' },
  created: '2026-11-01T00:00:00Z',
  layers: [{ 'usr/lib/os-release': 'NAME=Vespera\n' }, { 'usr/bin/hello': 'hi' }],
};

describe('world images', () => {
  it('writes tar layers that GNU tar lists and extracts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oci-'));
    try {
      writeFileSync(join(dir, 'layer.tar'), tar({ 'usr/lib/os-release': 'NAME=Vespera\n', 'etc/motd': 'x'.repeat(700) }));
      expect(execFileSync('tar', ['-tf', join(dir, 'layer.tar')], { encoding: 'utf8' }).split('\n').filter(Boolean)).toEqual([
        'etc/motd',
        'usr/lib/os-release',
      ]);
      execFileSync('tar', ['-xf', join(dir, 'layer.tar'), '-C', dir]);
      expect(execFileSync('cat', [join(dir, 'usr/lib/os-release')], { encoding: 'utf8' })).toBe('NAME=Vespera\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds an index whose platform manifests carry the labels and verifiable digests', () => {
    const image = buildImage(SPEC);
    expect(image.top.mediaType).toBe(MEDIA.ociIndex);
    const index = JSON.parse(image.top.data.toString()) as { manifests: Array<{ digest: string; platform: { architecture: string } }> };
    expect(index.manifests.map((m) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
    for (const m of image.manifests) {
      expect(sha256(m.data)).toBe(m.digest);
      const manifest = JSON.parse(m.data.toString()) as { config: { digest: string }; layers: Array<{ digest: string }> };
      const config = m.blobs.find((b) => b.digest === manifest.config.digest);
      const parsed = JSON.parse(config?.data.toString() ?? '{}') as { config: { Labels: Record<string, string> }; rootfs: { diff_ids: string[] } };
      expect(parsed.config.Labels['org.opencontainers.image.version']).toBe('42.1');
      const layers = manifest.layers.map((l) => m.blobs.find((b) => b.digest === l.digest));
      expect(layers.map((l) => (l ? sha256(gunzipSync(l.data)) : ''))).toEqual(parsed.rootfs.diff_ids);
    }
    expect(image.manifests[0]?.digest).not.toBe(image.manifests[1]?.digest);
  });

  it('gives the same digests for the same spec', () => {
    expect(buildImage(SPEC).top.digest).toBe(buildImage(SPEC).top.digest);
    expect(buildImage({ ...SPEC, labels: { ...SPEC.labels, 'org.opencontainers.image.version': '42.2' } }).top.digest).not.toBe(
      buildImage(SPEC).top.digest,
    );
  });
});
