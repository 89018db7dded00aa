// Registry credentials from the files podman, skopeo and docker write (containers-auth.json(5)):
// the first file that has an entry for the registry wins; the most specific key in it is used.

import { homedir } from 'node:os';
import { join } from 'node:path';
import { readFileLimited } from '../shared/bounded.ts';

export interface RegistryCredential {
  readonly username: string;
  readonly password: string;
  /** The file it came from, for messages. */
  readonly source: string;
}

const MAX_AUTH_FILE_BYTES = 1024 * 1024;

/** The auth files in containers/image's order of precedence. */
export function authFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.REGISTRY_AUTH_FILE) return [env.REGISTRY_AUTH_FILE];
  const home = env.HOME || homedir();
  const files: string[] = [];
  if (env.XDG_RUNTIME_DIR) files.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  files.push(join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'auth.json'));
  files.push(join(home, '.docker', 'config.json'));
  return files;
}

type Entries = ReadonlyMap<string, { username: string; password: string }>;

/** Reads each file once; a missing or unreadable file is skipped as containers/image does. */
export class CredentialStore {
  readonly #files: readonly string[];
  readonly #parsed = new Map<string, Promise<Entries>>();

  constructor(files: readonly string[]) {
    this.#files = files;
  }

  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): CredentialStore {
    return new CredentialStore(authFiles(env));
  }

  /** Credentials for `registry` (`host[:port]`) and `repository` (`owner/name`), if any file has them. */
  async lookup(registry: string, repository: string): Promise<RegistryCredential | undefined> {
    // containers-auth.json: `host/ns/repo` beats `host/ns` beats `host`.
    const parts = repository.split('/');
    const keys = [...parts.map((_, i) => `${registry}/${parts.slice(0, parts.length - i).join('/')}`), registry];
    for (const file of this.#files) {
      let entries = this.#parsed.get(file);
      if (!entries) {
        entries = readEntries(file);
        this.#parsed.set(file, entries);
      }
      const map = await entries;
      for (const key of keys) {
        const found = map.get(key);
        if (found) return { ...found, source: file };
      }
    }
    return undefined;
  }
}

async function readEntries(file: string): Promise<Entries> {
  const map = new Map<string, { username: string; password: string }>();
  let json: unknown;
  try {
    json = JSON.parse((await readFileLimited(file, MAX_AUTH_FILE_BYTES)).toString('utf8'));
  } catch {
    return map;
  }
  const auths = (json as { auths?: unknown } | null)?.auths;
  if (typeof auths !== 'object' || auths === null) return map;
  for (const [rawKey, entry] of Object.entries(auths as Record<string, unknown>)) {
    const auth = (entry as { auth?: unknown } | null)?.auth;
    if (typeof auth !== 'string' || auth.length > 16 * 1024) continue;
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) continue;
    map.set(normaliseKey(rawKey), { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) });
  }
  return map;
}

/** Docker's config.json keys may be URLs (`https://index.docker.io/v1/`); containers' are bare. */
function normaliseKey(key: string): string {
  let k = key.replace(/^https?:\/\//, '');
  if (key !== k) k = k.split('/')[0] ?? k;
  k = k.replace(/\/+$/, '');
  if (k === 'index.docker.io' || k === 'registry-1.docker.io') return 'docker.io';
  return k;
}
