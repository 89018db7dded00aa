// A real OCI registry (Debian's docker-registry, i.e. CNCF distribution) on a free loopback port with
// storage in the world's folder, and a small push client for the images the world builds.

import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sha256Digest } from '../../main/shared/image-reference.ts';
import type { Blob, BuiltImage, BuiltManifest } from './oci.ts';
import { spawnManaged, type ManagedProcess } from './processes.ts';

export interface RegistryServer {
  /** `127.0.0.1:PORT`, the registry part of image references. */
  readonly host: string;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly storageDir: string;
  readonly process: ManagedProcess;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** `extraConfig` is YAML appended at top level (e.g. an `auth:` section for token auth). */
export async function startRegistry(dir: string, extraConfig = ''): Promise<RegistryServer> {
  const storageDir = join(dir, 'storage');
  await mkdir(storageDir, { recursive: true });
  let lastError: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = await freePort();
    const configPath = join(dir, 'config.yml');
    await writeFile(
      configPath,
      [
        'version: 0.1',
        'log:',
        '  level: error',
        '  accesslog:',
        '    disabled: true',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${storageDir}`,
        '  delete:',
        '    enabled: true',
        '  maintenance:',
        '    uploadpurging:',
        '      enabled: false',
        'http:',
        `  addr: 127.0.0.1:${port}`,
        '  headers:',
        '    X-Content-Type-Options: [nosniff]',
        extraConfig,
      ].join('\n'),
    );
    const { process } = await spawnManaged('docker-registry', 'docker-registry', ['serve', configPath]);
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitUntilServing(url, process);
      return { host: `127.0.0.1:${port}`, url, storageDir, process };
    } catch (error) {
      lastError = error;
      await process.stop();
    }
  }
  throw lastError;
}

async function waitUntilServing(url: string, process: ManagedProcess): Promise<void> {
  let gone = false;
  void process.exited.then(() => (gone = true));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !gone) {
    try {
      const response = await fetch(`${url}/v2/`);
      await response.arrayBuffer();
      // 200 without auth, 401 with token auth configured: both mean it is serving.
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // Not listening yet.
    }
    await sleep(25);
  }
  throw new Error(`docker-registry did not start serving at ${url}:\n${process.recentOutput()}`);
}

/** Pushes to a registry over the distribution API. `authorization` is sent as-is when given. */
export class RegistryPusher {
  readonly url: string;
  readonly authorization: string | undefined;

  constructor(url: string, authorization?: string) {
    this.url = url;
    this.authorization = authorization;
  }

  async pushBlob(repository: string, b: Blob): Promise<void> {
    const head = await this.request('HEAD', `/v2/${repository}/blobs/${b.digest}`);
    if (head.status === 200) return;
    const start = await this.request('POST', `/v2/${repository}/blobs/uploads/`);
    if (start.status !== 202) throw new Error(`starting a blob upload to ${repository} answered ${start.status}`);
    const location = start.headers.get('location') ?? '';
    const target = new URL(location, this.url);
    target.searchParams.set('digest', b.digest);
    const put = await this.request('PUT', target.pathname + target.search, b.data, 'application/octet-stream');
    if (put.status !== 201) throw new Error(`uploading blob ${b.digest} to ${repository} answered ${put.status}: ${await put.text()}`);
  }

  /** Pushes a manifest under `reference` (a tag or its own digest) and returns its digest. */
  async pushManifest(repository: string, reference: string, manifest: Blob): Promise<Sha256Digest> {
    const response = await this.request('PUT', `/v2/${repository}/manifests/${reference}`, manifest.data, manifest.mediaType);
    if (response.status !== 201) {
      throw new Error(`pushing manifest ${reference} to ${repository} answered ${response.status}: ${await response.text()}`);
    }
    const digest = response.headers.get('docker-content-digest');
    if (digest !== manifest.digest) throw new Error(`registry stored ${manifest.digest} as ${String(digest)}`);
    return manifest.digest;
  }

  async pushBuilt(repository: string, manifest: BuiltManifest): Promise<void> {
    for (const b of manifest.blobs) await this.pushBlob(repository, b);
  }

  /** Pushes every blob and manifest of an image, then points each tag at its top manifest. */
  async pushImage(repository: string, image: BuiltImage, tags: readonly string[]): Promise<Sha256Digest> {
    for (const m of image.manifests) {
      await this.pushBuilt(repository, m);
      if (m !== image.top) await this.pushManifest(repository, m.digest, m);
    }
    await this.pushManifest(repository, image.top.digest, image.top);
    for (const tag of tags) await this.pushManifest(repository, tag, image.top);
    return image.top.digest;
  }

  private async request(method: string, path: string, body?: Buffer, contentType?: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (contentType) headers['content-type'] = contentType;
    if (this.authorization) headers.authorization = this.authorization;
    const response = await fetch(new URL(path, this.url), {
      method,
      headers,
      ...(body ? { body: new Uint8Array(body) } : {}),
    });
    if (method === 'HEAD') await response.arrayBuffer();
    return response;
  }
}
