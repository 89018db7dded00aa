// Opt-in token authentication for a world: a small Docker token server (JWT, ES256, x5c) and a
// second docker-registry with `auth: token:` serving the same storage, as GHCR and Docker Hub work.

import { randomBytes, sign } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { bits, bool, explicit, integer, octets, oid, printable, seq, set, time } from './sigstore/der.ts';
import { ecKeyPair, spki, toPem } from './sigstore/fulcio.ts';
import { startRegistry, type RegistryServer } from './registry.ts';
import type { World } from './world.ts';

export const TOKEN_SERVICE = 'vespera-world-registry';
const TOKEN_ISSUER = 'vespera-world-token';

export interface TokenRequestRecord {
  readonly username?: string;
  readonly scopes: readonly string[];
  readonly service: string | null;
  readonly granted: boolean;
}

export interface TokenRegistry {
  /** `127.0.0.1:PORT` of the registry that asks for tokens. */
  readonly host: string;
  readonly url: string;
  readonly tokenUrl: string;
  /** Every token request, in order. */
  readonly tokenRequests: TokenRequestRecord[];
  readonly registry: RegistryServer;
}

export interface TokenRegistryOptions {
  /** username → password accepted by the token server. */
  readonly users?: Readonly<Record<string, string>>;
  /** Repositories only logged-in users may pull. */
  readonly privateRepositories?: readonly string[];
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** A self-signed P-256 certificate for the token signing key (the registry's rootcertbundle). */
function selfSigned(keys: ReturnType<typeof ecKeyPair>): Buffer {
  const name = seq(set(seq(oid('2.5.4.3'), printable('vespera world token signer'))));
  const now = Date.now();
  const tbs = seq(
    explicit(0, integer(2)),
    integer(BigInt(now)),
    seq(oid('1.2.840.10045.4.3.2')),
    name,
    seq(time(new Date(now - 3_600_000)), time(new Date(now + 7 * 86_400_000))),
    name,
    spki(keys.publicKey),
    explicit(3, seq(seq(oid('2.5.29.19'), bool(true), octets(seq(bool(true)))))),
  );
  return seq(tbs, seq(oid('1.2.840.10045.4.3.2')), bits(sign('sha256', tbs, keys.privateKey)));
}

function parseBasic(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const text = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Starts a token server and a token-authenticated registry over the world's registry storage.
 * Everything the world already pushed (and pushes later) is visible through it.
 */
export async function startTokenRegistry(world: World, options: TokenRegistryOptions = {}): Promise<TokenRegistry> {
  const keys = ecKeyPair('P-256');
  const certificate = selfSigned(keys);
  const dir = join(world.root, `registry-token-${randomBytes(3).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  await symlink(world.registry.storageDir, join(dir, 'storage'));
  const bundlePath = join(dir, 'token-signer.pem');
  await writeFile(bundlePath, toPem(certificate, 'CERTIFICATE'));

  const tokenRequests: TokenRequestRecord[] = [];
  const users = options.users ?? {};
  const privateRepos = new Set(options.privateRepositories ?? []);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://token.invalid');
    if (url.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    const basic = parseBasic(req.headers.authorization);
    const scopes = url.searchParams.getAll('scope');
    if (basic && users[basic.username] !== basic.password) {
      tokenRequests.push({ username: basic.username, scopes, service: url.searchParams.get('service'), granted: false });
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"incorrect username or password"}');
      return;
    }
    const access = scopes.flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      if (type !== 'repository' || !name || !actions) return [];
      if (privateRepos.has(name) && !basic) return [];
      // Pulls only: this registry is what the app reads from.
      return [{ type: 'repository', name, actions: actions.split(',').filter((a) => a === 'pull') }];
    });
    tokenRequests.push({ ...(basic ? { username: basic.username } : {}), scopes, service: url.searchParams.get('service'), granted: access.length > 0 });
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [certificate.toString('base64')] }));
    const claims = base64url(
      JSON.stringify({ iss: TOKEN_ISSUER, sub: basic?.username ?? '', aud: TOKEN_SERVICE, exp: now + 300, nbf: now - 5, iat: now, jti: randomBytes(8).toString('hex'), access }),
    );
    const signature = sign('sha256', Buffer.from(`${header}.${claims}`), { key: keys.privateKey, dsaEncoding: 'ieee-p1363' });
    const token = `${header}.${claims}.${base64url(signature)}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  const port = await listen(server);
  const tokenUrl = `http://127.0.0.1:${port}/token`;
  world.onStop(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const registry = await startRegistry(
    dir,
    ['auth:', '  token:', `    realm: ${tokenUrl}`, `    service: ${TOKEN_SERVICE}`, `    issuer: ${TOKEN_ISSUER}`, `    rootcertbundle: ${bundlePath}`].join('\n'),
  );
  world.onStop(() => registry.process.stop());
  return { host: registry.host, url: registry.url, tokenUrl, tokenRequests, registry };
}
