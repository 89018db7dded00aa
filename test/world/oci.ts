// Small, valid OCI and Docker images built on the fly: gzip'd tar layers, an image config with
// labels, manifests, and multi-platform indexes. Deterministic: the same spec gives the same digests.

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Sha256Digest } from '../../main/shared/image-reference.ts';

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export type ImageFormat = 'oci-index' | 'oci-manifest' | 'docker-manifest' | 'docker-list';

export interface Platform {
  readonly os: 'linux';
  readonly architecture: 'amd64' | 'arm64';
}

export interface ImageSpec {
  readonly format: ImageFormat;
  /** More than one only for index formats. */
  readonly platforms: readonly Platform[];
  readonly labels: Readonly<Record<string, string>>;
  /** RFC 3339; becomes the config's `created` and the deployment timestamp. */
  readonly created: string;
  /** Files of the image, one layer each (path → content); ostree images carry several chunks. */
  readonly layers: ReadonlyArray<Readonly<Record<string, string>>>;
}

export interface Blob {
  readonly digest: Sha256Digest;
  readonly mediaType: string;
  readonly data: Buffer;
}

export interface BuiltManifest extends Blob {
  readonly platform?: Platform;
  /** Config and layer blobs this manifest references (empty for an index). */
  readonly blobs: readonly Blob[];
}

export interface BuiltImage {
  /** What a tag points at: the index for index formats, else the single manifest. */
  readonly top: BuiltManifest;
  /** Platform manifests (the top one itself for single-manifest formats). */
  readonly manifests: readonly BuiltManifest[];
}

export function sha256(data: Buffer | string): Sha256Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function blob(mediaType: string, data: Buffer | string): Blob {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return { digest: sha256(bytes), mediaType, data: bytes };
}

export function descriptor(b: Blob, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { mediaType: b.mediaType, digest: b.digest, size: b.data.length, ...extra };
}

export function buildImage(spec: ImageSpec): BuiltImage {
  const isDocker = spec.format.startsWith('docker');
  const isIndex = spec.format === 'oci-index' || spec.format === 'docker-list';
  if (!isIndex && spec.platforms.length !== 1) throw new Error(`${spec.format} images have exactly one platform`);
  const manifests = spec.platforms.map((platform) => buildPlatformManifest(spec, platform, isDocker));
  if (!isIndex) return { top: manifests[0] as BuiltManifest, manifests };
  const mediaType = isDocker ? MEDIA.dockerList : MEDIA.ociIndex;
  const index = {
    schemaVersion: 2,
    mediaType,
    manifests: manifests.map((m) => descriptor(m, { platform: m.platform })),
  };
  const top: BuiltManifest = { ...blob(mediaType, JSON.stringify(index)), blobs: [] };
  return { top, manifests };
}

function buildPlatformManifest(spec: ImageSpec, platform: Platform, isDocker: boolean): BuiltManifest {
  const layerType = isDocker ? MEDIA.dockerLayerGzip : MEDIA.ociLayerGzip;
  const tars = spec.layers.map((files) => tar({ ...files, 'usr/lib/vespera/arch': platform.architecture }));
  const layers = tars.map((t) => blob(layerType, gzipSync(t, { level: 9 })));
  const config = blob(
    isDocker ? MEDIA.dockerConfig : MEDIA.ociConfig,
    JSON.stringify({
      created: spec.created,
      architecture: platform.architecture,
      os: platform.os,
      config: { Labels: spec.labels, Cmd: ['/sbin/init'] },
      rootfs: { type: 'layers', diff_ids: tars.map((t) => sha256(t)) },
      history: tars.map((_, i) => ({ created: spec.created, created_by: `vespera build step ${i + 1}` })),
    }),
  );
  const mediaType = isDocker ? MEDIA.dockerManifest : MEDIA.ociManifest;
  const manifest = {
    schemaVersion: 2,
    mediaType,
    config: descriptor(config),
    layers: layers.map((l) => descriptor(l)),
  };
  return { ...blob(mediaType, JSON.stringify(manifest)), platform, blobs: [config, ...layers] };
}

/** A POSIX ustar archive of regular files with fixed owner and mtime. */
export function tar(files: Readonly<Record<string, string>>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const data = Buffer.from(content);
    const header = Buffer.alloc(512);
    header.write(name, 0, 100, 'utf8');
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write(`${(1_700_000_000).toString(8).padStart(11, '0')}\0`, 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    parts.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
