// Writes entries into an OCI image layout directory the way skopeo does (blobs by digest, tags as
// org.opencontainers.image.ref.name annotations in index.json), for content skopeo cannot copy.

import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { descriptor, MEDIA, type Blob } from './oci.ts';

export async function writeBlobs(dir: string, blobs: readonly Blob[]): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  if (!existsSync(join(dir, 'oci-layout'))) await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  for (const b of blobs) await writeFile(join(dir, 'blobs', 'sha256', b.digest.slice('sha256:'.length)), b.data);
}

/** Adds `manifest` (and its blobs) to the layout; tagged when `tag` is given. */
export async function addToLayout(dir: string, manifest: Blob, blobs: readonly Blob[] = [], tag?: string): Promise<void> {
  await writeBlobs(dir, [...blobs, manifest]);
  const indexPath = join(dir, 'index.json');
  const index = existsSync(indexPath)
    ? (JSON.parse(await readFile(indexPath, 'utf8')) as { manifests: Array<Record<string, unknown>> })
    : { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [] as Array<Record<string, unknown>> };
  const entries = index.manifests.filter((m) => tag === undefined || (m.annotations as Record<string, string> | undefined)?.['org.opencontainers.image.ref.name'] !== tag);
  entries.push(descriptor(manifest, tag === undefined ? {} : { annotations: { 'org.opencontainers.image.ref.name': tag } }));
  await writeFile(indexPath, JSON.stringify({ ...index, manifests: entries }));
}
