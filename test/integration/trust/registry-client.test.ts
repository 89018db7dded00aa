// The registry client against a real registry (CNCF distribution), with token auth and a
// fault-injecting proxy where a test needs the registry to misbehave.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CredentialStore } from '../../../main/trust/credentials.ts';
import type { TrustError } from '../../../main/trust/errors.ts';
import { sha256Digest } from '../../../main/trust/manifests.ts';
import { isLoopbackHost, RegistryClient, usesPlainHttp, type RegistryClientOptions } from '../../../main/trust/registry-client.ts';
import { startOtherHost, startRegistryFaults, type OtherHost, type RegistryFaults } from '../../world/registry-faults.ts';
import { freePort } from '../../world/registry.ts';
import { startTokenRegistry, type TokenRegistry } from '../../world/token-auth.ts';
import { startWorld, type World } from '../../world/world.ts';

const OLD_TAG = '42.20261101.0';
let world: World;
let tokens: TokenRegistry;
let faults: RegistryFaults;
let authedFaults: RegistryFaults;
let other: OtherHost;
const coded = (code: string): TrustError => expect.objectContaining({ code }) as TrustError;

function client(options: Partial<RegistryClientOptions> = {}): RegistryClient {
  return new RegistryClient({ settingsFor: (host) => ({ host, insecure: false, githubPackages: true }), backoffMs: 5, timeoutMs: 5000, ...options });
}

beforeAll(async () => {
  world = await startWorld();
  tokens = await startTokenRegistry(world, { users: { alice: 'wonderland' }, privateRepositories: ['acme/vespera-dx'] });
  faults = await startRegistryFaults(world, world.registry.url);
  authedFaults = await startRegistryFaults(world, tokens.url);
  other = await startOtherHost(world);
});
afterAll(async () => {
  await world.stop();
});
beforeEach(() => {
  faults.clear();
  authedFaults.clear();
  other.requests.length = 0;
});

describe('reading images from a registry', () => {
  it('resolves a tag to the digest the publisher pushed, for every manifest kind, without the registry converting it', async () => {
    const c = client();
    for (const repository of ['acme/vespera', 'acme/vespera-nvidia', 'acme/vespera-dx', 'acme/vespera-dx-nvidia-open']) {
      const fetched = await c.getManifest({ registry: world.registry.host, repository }, 'latest');
      expect(fetched?.digest).toBe(world.images.get(repository, 'latest').digest);
      expect(fetched?.mediaType).toBe(world.images.get(repository, 'latest').image.top.mediaType);
    }
    expect(await c.getManifest({ registry: world.registry.host, repository: 'acme/vespera' }, 'no-such-tag')).toBeUndefined();
    expect((await c.resolve({ registry: world.registry.host, repository: 'acme/vespera-nvidia', tag: OLD_TAG })).digest).toBe(world.images.get('acme/vespera-nvidia', OLD_TAG).digest);
    await expect(c.resolve({ registry: world.registry.host, repository: 'acme/vespera', tag: 'nope' })).rejects.toThrow(coded('image-not-found'));
  });

  it('serves content-addressed manifests and blobs from memory the second time', async () => {
    const c = client();
    const ref = { registry: world.registry.host, repository: 'acme/vespera' };
    const latest = world.images.get('acme/vespera', 'latest');
    await c.getManifest(ref, latest.digest);
    const layer = latest.image.top.blobs[1];
    if (!layer) throw new Error('no layer');
    expect(sha256Digest(await c.getBlob(ref, layer.digest, 1 << 20, layer.data.length))).toBe(layer.digest);
    const before = c.counters.total;
    await c.getManifest(ref, latest.digest);
    await c.getBlob(ref, layer.digest, 1 << 20);
    expect(c.counters.total).toBe(before);
  });

  it('lists every tag across pages', async () => {
    const tags = await client().listTags({ registry: world.registry.host, repository: 'acme/vespera-nvidia' }, 10_000, 2);
    expect(tags).toEqual(expect.arrayContaining(['latest', '42', '42.20261101.0', '42.20261115.0', '42.20261125.0', 'forked']));
    await expect(client().listTags({ registry: world.registry.host, repository: 'acme/nothing' })).rejects.toThrow(coded('image-not-found'));
  });

  it('uses plain HTTP only for loopback registries and those marked insecure', () => {
    expect(isLoopbackHost('127.0.0.1:5000')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('[::1]:5000')).toBe(true);
    expect(isLoopbackHost('127.evil.com')).toBe(false);
    expect(usesPlainHttp('ghcr.io', { host: 'ghcr.io', insecure: false, githubPackages: true })).toBe(false);
    expect(usesPlainHttp('registry.lan:5000', { host: 'registry.lan:5000', insecure: true, githubPackages: false })).toBe(true);
  });
});

describe('authentication', () => {
  it('answers the bearer challenge with one anonymous token and reuses it', async () => {
    const c = client();
    const ref = { registry: tokens.host, repository: 'acme/vespera' };
    const latest = await c.getManifest(ref, 'latest');
    expect(latest?.digest).toBe(world.images.get('acme/vespera', 'latest').digest);
    await c.getManifest(ref, `${latest?.digest.replace(':', '-')}.sig`);
    expect(c.counters.token).toBe(1);
    expect(tokens.tokenRequests.at(-1)).toMatchObject({ scopes: ['repository:acme/vespera:pull'], service: 'vespera-world-registry', granted: true });
    expect(tokens.tokenRequests.at(-1)?.username).toBeUndefined();
  });

  it('asks for one token when many requests need it at once', async () => {
    const c = client();
    const ref = { registry: tokens.host, repository: 'acme/vespera-nvidia' };
    const answers = await Promise.all(['latest', '42', OLD_TAG, 'latest', '42'].map((tag) => c.getManifest(ref, tag)));
    expect(answers.every((a) => a !== undefined)).toBe(true);
    expect(c.counters.token).toBe(1);
  });

  it('logs in with the credentials in containers auth.json for a private image, and says so when they are missing or wrong', async () => {
    const ref = { registry: tokens.host, repository: 'acme/vespera-dx' };
    await expect(client().getManifest(ref, 'latest')).rejects.toThrow(coded('registry-auth'));
    const runtime = join(world.root, 'home', 'runtime');
    mkdirSync(join(runtime, 'containers'), { recursive: true });
    const authFile = join(runtime, 'containers', 'auth.json');
    const login = (password: string): void =>
      writeFileSync(authFile, JSON.stringify({ auths: { [tokens.host]: { auth: Buffer.from(`alice:${password}`).toString('base64') } } }));
    login('wonderland');
    const withLogin = client({ credentials: CredentialStore.fromEnvironment({ XDG_RUNTIME_DIR: runtime, HOME: '/nonexistent' }) });
    expect((await withLogin.getManifest(ref, 'latest'))?.digest).toBe(world.images.get('acme/vespera-dx', 'latest').digest);
    expect(tokens.tokenRequests.at(-1)).toMatchObject({ username: 'alice', granted: true });
    login('wrong');
    const wrong = client({ credentials: CredentialStore.fromEnvironment({ XDG_RUNTIME_DIR: runtime, HOME: '/nonexistent' }) });
    await expect(wrong.getManifest(ref, 'latest')).rejects.toThrow(expect.objectContaining({ code: 'registry-auth', message: expect.stringContaining(authFile) as string }) as TrustError);
  });

  it('follows a blob redirect to another host without taking the token along', async () => {
    const latest = world.images.get('acme/vespera', 'latest');
    const layer = latest.image.top.blobs[1];
    if (!layer) throw new Error('no layer');
    other.body = layer.data;
    authedFaults.add({ method: 'GET', path: new RegExp(`/blobs/${layer.digest}`), action: { kind: 'redirect', location: `${other.url}/storage/blob?sig=abc` } });
    const c = client();
    const ref = { registry: authedFaults.host, repository: 'acme/vespera' };
    await c.getManifest(ref, 'latest');
    const bytes = await c.getBlob(ref, layer.digest, 1 << 20, layer.data.length);
    expect(sha256Digest(bytes)).toBe(layer.digest);
    expect(c.counters.redirects).toBe(1);
    const toRegistry = authedFaults.requests.find((r) => r.path.includes('/blobs/'));
    expect(toRegistry?.headers.authorization).toMatch(/^Bearer /);
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('refuses redirects to anything but HTTP(S)', async () => {
    faults.add({ path: /\/manifests\/latest$/, action: { kind: 'redirect', location: 'file:///etc/passwd' } });
    await expect(client().getManifest({ registry: faults.host, repository: 'acme/vespera' }, 'latest')).rejects.toThrow(coded('network'));
  });
});

describe('a misbehaving registry', () => {
  it('retries 429 and 5xx answers with backoff, then succeeds', async () => {
    faults.add({ path: /\/manifests\/latest$/, action: { kind: 'status', status: 503 }, times: 1 });
    faults.add({ path: /\/manifests\/latest$/, action: { kind: 'status', status: 429, headers: { 'retry-after': '0' } }, times: 1 });
    const c = client();
    expect((await c.getManifest({ registry: faults.host, repository: 'acme/vespera' }, 'latest'))?.digest).toBe(world.images.get('acme/vespera', 'latest').digest);
    expect(c.counters.retries).toBe(2);
    expect(c.counters.manifest).toBe(3);
  });

  it('gives up after a bounded number of attempts', async () => {
    faults.add({ path: /\/manifests\/latest$/, action: { kind: 'status', status: 500 } });
    const c = client({ attempts: 3 });
    await expect(c.getManifest({ registry: faults.host, repository: 'acme/vespera' }, 'latest')).rejects.toThrow(coded('network'));
    expect(c.counters.manifest).toBe(3);
    faults.clear();
    faults.add({ path: /\/manifests\/latest$/, action: { kind: 'status', status: 429 } });
    await expect(client({ attempts: 2 }).getManifest({ registry: faults.host, repository: 'acme/vespera' }, 'latest')).rejects.toThrow(
      expect.objectContaining({ code: 'network', message: expect.stringContaining('rate-limiting') as string }) as TrustError,
    );
  });

  it('stops waiting for a registry that does not answer', async () => {
    faults.add({ path: /\/manifests\/latest$/, action: { kind: 'stall' } });
    const started = Date.now();
    await expect(client({ timeoutMs: 300, attempts: 2 }).getManifest({ registry: faults.host, repository: 'acme/vespera' }, 'latest')).rejects.toThrow(coded('network'));
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('says the registry cannot be reached when nothing listens', async () => {
    const closed = await freePort();
    await expect(client({ attempts: 2 }).getManifest({ registry: `127.0.0.1:${closed}`, repository: 'acme/vespera' }, 'latest')).rejects.toThrow(
      expect.objectContaining({ code: 'network', message: expect.stringContaining('refused the connection') as string }) as TrustError,
    );
  });

  it('refuses a manifest larger than 4 MiB instead of reading it all', async () => {
    faults.add({ path: /\/manifests\/latest$/, action: { kind: 'status', status: 200, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: Buffer.alloc(5 * 1024 * 1024, 0x20) } });
    await expect(client().getManifest({ registry: faults.host, repository: 'acme/vespera' }, 'latest')).rejects.toThrow(coded('unsupported-format'));
  });

  it('refuses a manifest or blob that does not match the digest it was asked for', async () => {
    const latest = world.images.get('acme/vespera', 'latest');
    const tamper = (body: Buffer): Buffer => Buffer.from(body.toString().replace('"schemaVersion":2', '"schemaVersion":2 '));
    faults.add({ path: new RegExp(`/manifests/${latest.digest}$`), action: { kind: 'transform', transform: tamper } });
    await expect(client().getManifest({ registry: faults.host, repository: 'acme/vespera' }, latest.digest)).rejects.toThrow(coded('digest-mismatch'));
    const layer = latest.image.top.blobs[1];
    if (!layer) throw new Error('no layer');
    faults.add({ path: new RegExp(`/blobs/${layer.digest}$`), action: { kind: 'transform', transform: (b) => Buffer.concat([b.subarray(0, -1), Buffer.from([(b.at(-1) ?? 0) ^ 0xff])]) } });
    await expect(client().getBlob({ registry: faults.host, repository: 'acme/vespera' }, layer.digest, 1 << 20)).rejects.toThrow(coded('digest-mismatch'));
  });
});
