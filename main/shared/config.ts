// The app's configuration: /etc/vespera-updates/config.yaml, then the user's
// ~/.config/vespera-updates/config.yaml on top (or only VESPERA_UPDATES_CONFIG, for tests and the demo).

import { homedir } from 'node:os';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { readFileLimited } from './bounded.ts';
import { CodedError } from './errors.ts';

export const SYSTEM_CONFIG = '/etc/vespera-updates/config.yaml';
export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const MAX_CONFIG_BYTES = 256 * 1024;

export interface RegistrySettings {
  /** `ghcr.io`, `127.0.0.1:5000`. */
  readonly host: string;
  /** Plain HTTP is allowed (always allowed for loopback hosts). */
  readonly insecure: boolean;
  /** Images here are GitHub packages: `HOST/OWNER/NAME` is built by `https://github.com/OWNER/…`. */
  readonly githubPackages: boolean;
  /** How long one request to this registry may take before it counts as unanswered (default 30 s). */
  readonly timeoutMs?: number;
}

/** Who is expected to sign a family of images. */
export interface FamilySettings {
  /** Repository patterns; a trailing `*` matches any suffix (`ghcr.io/acme/vespera*`). */
  readonly images: readonly string[];
  /** GitHub repository whose workflows sign (`https://github.com/acme/vespera`). */
  readonly repository?: string;
  /** Exact certificate identity (SAN), or an anchored regular expression for it. */
  readonly identity?: string;
  readonly identityRegexp?: string;
  readonly issuer: string;
  /** Publisher's cosign public key (PEM file), for key-enforced mode. */
  readonly key?: string;
  /**
   * Refs the signing workflow may have run on (`refs/heads/main`, `refs/tags/*`: `*` is any run of
   * characters). Without any, every ref but a pull request's counts.
   */
  readonly workflowRefs?: readonly string[];
}

export interface Config {
  readonly registries: readonly RegistrySettings[];
  readonly trust: {
    /** A custom trusted_root.json (private Sigstore, the test world) instead of public-good TUF. */
    readonly trustedRoot?: string;
    readonly tufMirror?: string;
    /** How often the long-running app reloads the trusted root (Sigstore rotates its keys). */
    readonly refreshEveryMs: number;
  };
  readonly families: readonly FamilySettings[];
  readonly updates: {
    /** App-enforced mode: stage verified updates (finalization-locked) without asking. */
    readonly automaticStaging: boolean;
    /** The newest build a tag offers older than this means the tag stopped moving (held back?). */
    readonly maxTagAgeMs: number;
  };
  readonly reminders: {
    /** At most one "signed update ready" reminder per this many ms for the same update. */
    readonly readyEveryMs: number;
    /** At most one reminder about a failed verification per this many ms. */
    readonly failureEveryMs: number;
  };
  /**
   * Present only in the test world and the demo: where its /etc and files live, and the world's own
   * date (the clock then runs on from it), so tests can move time past a limit.
   */
  readonly world?: { readonly root: string; readonly etcRoot: string; readonly clock?: string };
  /** The files this configuration was read from, in order. */
  readonly sources: readonly string[];
}

export class ConfigError extends CodedError<'config-invalid' | 'config-unreadable'> {}

const DAY = 86_400_000;
export const DEFAULT_CONFIG: Config = {
  registries: [{ host: 'ghcr.io', insecure: false, githubPackages: true }],
  trust: { refreshEveryMs: DAY },
  families: [],
  updates: { automaticStaging: false, maxTagAgeMs: 30 * DAY },
  reminders: { readyEveryMs: 3 * DAY, failureEveryMs: DAY },
  sources: [],
};

/** Which files are read, in order (later wins). */
export function configFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.VESPERA_UPDATES_CONFIG) return [env.VESPERA_UPDATES_CONFIG];
  const configHome = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return [SYSTEM_CONFIG, join(configHome, 'vespera-updates', 'config.yaml')];
}

export async function loadConfig(env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let config = DEFAULT_CONFIG;
  const explicit = Boolean(env.VESPERA_UPDATES_CONFIG);
  for (const file of configFiles(env)) {
    let text: string;
    try {
      text = (await readFileLimited(file, MAX_CONFIG_BYTES)).toString('utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !explicit) continue;
      throw new ConfigError(
        'config-unreadable',
        `${file} could not be read (${(error as Error).message}); fix its permissions or remove it${explicit ? ', or unset VESPERA_UPDATES_CONFIG' : ''}.`,
        { cause: error },
      );
    }
    config = mergeConfig(config, parseConfigText(text, file));
  }
  return config;
}

/** A file's settings; what it leaves out stays as the layer below has it. */
export interface ConfigLayer {
  registries?: RegistrySettings[];
  trust?: { trustedRoot?: string; tufMirror?: string; refreshEveryMs?: number };
  families?: FamilySettings[];
  updates?: { automaticStaging?: boolean; maxTagAgeMs?: number };
  reminders?: { readyEveryMs?: number; failureEveryMs?: number };
  world?: { root: string; etcRoot: string; clock?: string };
  source: string;
}

export function mergeConfig(base: Config, layer: ConfigLayer): Config {
  const registries = new Map(base.registries.map((r) => [r.host, r]));
  for (const r of layer.registries ?? []) registries.set(r.host, r);
  return {
    registries: [...registries.values()],
    trust: { ...base.trust, ...layer.trust },
    // The later file's families are consulted first, so the user's expectation wins.
    families: [...(layer.families ?? []), ...base.families],
    updates: { ...base.updates, ...layer.updates },
    reminders: { ...base.reminders, ...layer.reminders },
    ...(layer.world ?? base.world ? { world: layer.world ?? base.world } : {}),
    sources: [...base.sources, layer.source],
  };
}

/** Settings for a registry host; GitHub's ghcr.io is known, others default to TLS and no GitHub. */
export function registrySettings(config: Config, host: string): RegistrySettings {
  return config.registries.find((r) => r.host === host) ?? { host, insecure: false, githubPackages: host === 'ghcr.io' };
}

/** The family whose image patterns match a repository name (`ghcr.io/acme/vespera-nvidia`). */
export function familyFor(config: Config, repositoryName: string): FamilySettings | undefined {
  return config.families.find((f) => f.images.some((pattern) => matchesImagePattern(pattern, repositoryName)));
}

export function matchesImagePattern(pattern: string, repositoryName: string): boolean {
  return pattern.endsWith('*') ? repositoryName.startsWith(pattern.slice(0, -1)) : repositoryName === pattern;
}

// ---- parsing ----

type Path = ReadonlyArray<string | number>;

class LayerReader {
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly source: string;

  constructor(doc: Document, lines: LineCounter, source: string) {
    this.doc = doc;
    this.lines = lines;
    this.source = source;
  }

  fail(path: Path, problem: string): never {
    const node = this.doc.getIn(path, true) as Node | undefined;
    const offset = node?.range?.[0];
    const where = offset === undefined ? '' : `, line ${this.lines.linePos(offset).line}`;
    const key = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
    throw new ConfigError('config-invalid', `${this.source}${where}: ${key ? `${key}: ` : ''}${problem}; fix it or remove the setting.`);
  }

  node(path: Path): unknown {
    return this.doc.getIn(path, true);
  }

  /** Keys of the mapping at `path`, refusing any not in `known` (a typo should not pass silently). */
  keys(path: Path, known: readonly string[]): Set<string> {
    const node = this.node(path);
    if (node === undefined || node === null) return new Set();
    if (!isMap(node)) this.fail(path, 'expected a mapping of settings');
    const present = new Set<string>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!known.includes(key)) this.fail([...path, key], `unknown setting (known here: ${known.join(', ')})`);
      present.add(key);
    }
    return present;
  }

  string(path: Path, test?: { re: RegExp; what: string }): string {
    const node = this.node(path);
    if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') this.fail(path, 'expected a non-empty string');
    if (test && !test.re.test(node.value)) this.fail(path, `"${node.value}" is not ${test.what}`);
    return node.value;
  }

  boolean(path: Path): boolean {
    const node = this.node(path);
    if (!isScalar(node) || typeof node.value !== 'boolean') this.fail(path, 'expected true or false');
    return node.value;
  }

  duration(path: Path, bounds: { min: number; max?: number } = { min: 60_000 }): number {
    const text = this.string(path, { re: /^\d+(ms|s|m|h|d)$/, what: 'a duration like 3d, 12h, 30m, 10s' });
    const [, n = '0', unit = 's'] = /^(\d+)(ms|s|m|h|d)$/.exec(text) ?? [];
    const ms = Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: DAY }[unit as 'ms'];
    if (ms < bounds.min) this.fail(path, `must be at least ${bounds.min >= 60_000 ? 'one minute' : `${bounds.min / 1000} s`}`);
    if (bounds.max !== undefined && ms > bounds.max) this.fail(path, `must be at most ${bounds.max / 60_000} minutes`);
    return ms;
  }

  /** One string, or a non-empty list of them, each passing `test`. */
  stringOrList(path: Path, test: { re: RegExp; what: string }): string[] {
    const node = this.node(path);
    if (isSeq(node)) {
      const count = this.list(path);
      if (count === 0) this.fail(path, 'name at least one');
      return Array.from({ length: count }, (_, i) => this.string([...path, i], test));
    }
    return [this.string(path, test)];
  }

  list(path: Path): number {
    const node = this.node(path);
    if (node === undefined || node === null) return 0;
    if (!isSeq(node)) this.fail(path, 'expected a list');
    return node.items.length;
  }
}

const HOST = { re: /^(?:[a-zA-Z0-9.-]+|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/, what: 'a registry host (host or host:port)' };
const HTTPS_URL = { re: /^https:\/\/[^\s/]+(\/[^\s]*)?$/, what: 'an https:// URL' };
const GITHUB_REPO = { re: /^https:\/\/[^\s/]+\/[^\s/]+\/[^\s/]+$/, what: 'a repository URL like https://github.com/OWNER/REPO' };
const ABSOLUTE = { re: /^\//, what: 'an absolute path' };
const WORKFLOW_REF = { re: /^refs\/[A-Za-z0-9._*/-]+$/, what: 'a git ref like refs/heads/main, or a pattern like refs/tags/*' };
const INSTANT = { re: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, what: 'a UTC time like 2026-12-20T00:00:00Z' };
const IMAGE_PATTERN = { re: /^[a-z0-9.:[\]-]+\/[a-z0-9._/-]+\*?$/, what: 'an image repository like ghcr.io/OWNER/NAME (a trailing * matches any suffix)' };

export function parseConfigText(text: string, source: string): ConfigLayer {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const at = first.linePos?.[0] ?? lines.linePos(first.pos[0]);
    throw new ConfigError('config-invalid', `${source}${at ? `, line ${at.line}, column ${at.col}` : ''}: not valid YAML (${first.message.split('\n')[0]}); fix the syntax.`);
  }
  const r = new LayerReader(doc, lines, source);
  const layer: ConfigLayer = { source };
  if (doc.contents === null) return layer;
  const top = r.keys([], ['registries', 'trust', 'families', 'updates', 'reminders', 'world']);

  if (top.has('registries')) {
    layer.registries = Array.from({ length: r.list(['registries']) }, (_, i) => {
      const keys = r.keys(['registries', i], ['host', 'insecure', 'github-packages', 'timeout']);
      const host = r.string(['registries', i, 'host'], HOST).toLowerCase();
      return {
        host,
        insecure: keys.has('insecure') ? r.boolean(['registries', i, 'insecure']) : false,
        githubPackages: keys.has('github-packages') ? r.boolean(['registries', i, 'github-packages']) : host === 'ghcr.io',
        ...(keys.has('timeout') ? { timeoutMs: r.duration(['registries', i, 'timeout'], { min: 1000, max: 600_000 }) } : {}),
      };
    });
  }
  if (top.has('trust')) {
    const keys = r.keys(['trust'], ['trusted-root', 'tuf-mirror', 'refresh-every']);
    layer.trust = {
      ...(keys.has('trusted-root') ? { trustedRoot: r.string(['trust', 'trusted-root'], ABSOLUTE) } : {}),
      ...(keys.has('tuf-mirror') ? { tufMirror: r.string(['trust', 'tuf-mirror'], HTTPS_URL) } : {}),
      ...(keys.has('refresh-every') ? { refreshEveryMs: r.duration(['trust', 'refresh-every']) } : {}),
    };
  }
  if (top.has('families')) {
    layer.families = Array.from({ length: r.list(['families']) }, (_, i) => {
      const at = ['families', i];
      const keys = r.keys(at, ['images', 'repository', 'identity', 'identity-regexp', 'issuer', 'key', 'workflow-ref']);
      if (!keys.has('images')) r.fail(at, 'a family needs `images`, the repositories it covers');
      const images = Array.from({ length: r.list([...at, 'images']) }, (_, j) => r.string([...at, 'images', j], IMAGE_PATTERN));
      if (images.length === 0) r.fail([...at, 'images'], 'name at least one image repository');
      const identities = ['repository', 'identity', 'identity-regexp'].filter((k) => keys.has(k));
      if (identities.length > 1) r.fail(at, `give only one of repository, identity, identity-regexp (found ${identities.join(', ')})`);
      if (identities.length === 0 && !keys.has('key')) r.fail(at, 'say who signs: repository, identity, identity-regexp or key');
      const family: FamilySettings = {
        images,
        issuer: keys.has('issuer') ? r.string([...at, 'issuer'], HTTPS_URL) : GITHUB_ISSUER,
        ...(keys.has('repository') ? { repository: r.string([...at, 'repository'], GITHUB_REPO).replace(/\/$/, '') } : {}),
        ...(keys.has('identity') ? { identity: r.string([...at, 'identity']) } : {}),
        ...(keys.has('identity-regexp') ? { identityRegexp: validRegexp(r, [...at, 'identity-regexp']) } : {}),
        ...(keys.has('key') ? { key: r.string([...at, 'key'], ABSOLUTE) } : {}),
        ...(keys.has('workflow-ref') ? { workflowRefs: r.stringOrList([...at, 'workflow-ref'], WORKFLOW_REF) } : {}),
      };
      return family;
    });
  }
  if (top.has('updates')) {
    const keys = r.keys(['updates'], ['automatic-staging', 'max-tag-age']);
    layer.updates = {
      ...(keys.has('automatic-staging') ? { automaticStaging: r.boolean(['updates', 'automatic-staging']) } : {}),
      ...(keys.has('max-tag-age') ? { maxTagAgeMs: r.duration(['updates', 'max-tag-age']) } : {}),
    };
  }
  if (top.has('reminders')) {
    const keys = r.keys(['reminders'], ['ready-every', 'failure-every']);
    layer.reminders = {
      ...(keys.has('ready-every') ? { readyEveryMs: r.duration(['reminders', 'ready-every']) } : {}),
      ...(keys.has('failure-every') ? { failureEveryMs: r.duration(['reminders', 'failure-every']) } : {}),
    };
  }
  if (top.has('world')) {
    const keys = r.keys(['world'], ['root', 'etc-root', 'clock']);
    layer.world = {
      root: r.string(['world', 'root'], ABSOLUTE),
      etcRoot: r.string(['world', 'etc-root'], ABSOLUTE),
      ...(keys.has('clock') ? { clock: r.string(['world', 'clock'], INSTANT) } : {}),
    };
  }
  return layer;
}

function validRegexp(r: LayerReader, path: Path): string {
  const text = r.string(path);
  try {
    new RegExp(text);
  } catch (error) {
    r.fail(path, `not a valid regular expression (${(error as Error).message})`);
  }
  return text;
}
