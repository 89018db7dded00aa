// The app's configuration: the administrator's /etc/vespera-updates/config.yaml (pinned), then the user's
// ~/.config/vespera-updates/config.yaml, which may add but never loosen; which file each setting came from.

import { homedir } from 'node:os';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { readFileLimited } from './bounded.ts';
import { CodedError } from './errors.ts';
import { adminFile, checkUserFamily, checkUserRegistry, describeSource, settingKey, SYSTEM_CONFIG, type SettingSource } from './config-layers.ts';

export { describeProvenance, describeSource, settingKey, SYSTEM_CONFIG, type SettingSource } from './config-layers.ts';

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

/** Packages shown first wherever package changes appear, under one label (`NVIDIA` for its driver packages). */
export interface HeadlineGroup {
  readonly label: string;
  /** Package names; a trailing `*` matches any suffix (`kmod-nvidia*`). */
  readonly packages: readonly string[];
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
  readonly changes: {
    /** Headline packages, in the order they are listed and named in one-line summaries. */
    readonly headline: readonly HeadlineGroup[];
  };
  /**
   * Present only in the test world and the demo: where its /etc and files live, and the world's own
   * date (the clock then runs on from it), so tests can move time past a limit.
   */
  readonly world?: { readonly root: string; readonly etcRoot: string; readonly clock?: string };
  /** The files this configuration was read from, in order. */
  readonly sources: readonly string[];
  /** The same files with their layer: the administrator's (or the file in its place), or the user's. */
  readonly files: readonly { readonly path: string; readonly layer: 'system' | 'user' }[];
  /** Which file each effective setting came from, by setting (see settingKey). */
  readonly provenance: Readonly<Record<string, SettingSource>>;
}

export class ConfigError extends CodedError<'config-invalid' | 'config-unreadable' | 'config-pinned'> {}

const BUILT_IN: SettingSource = { layer: 'built-in' };

const DAY = 86_400_000;

/** What people ask about first when an image updates: the kernel, the GPU driver, graphics, init, the shell. */
export const DEFAULT_HEADLINE: readonly HeadlineGroup[] = [
  { label: 'kernel', packages: ['kernel', 'kernel-core', 'kernel-modules*'] },
  {
    label: 'NVIDIA',
    packages: ['nvidia-driver', 'nvidia-driver-*', 'kmod-nvidia*', 'akmod-nvidia*', 'nvidia-kmod-common', 'nvidia-settings', 'nvidia-persistenced', 'nvidia-modprobe', 'xorg-x11-drv-nvidia*'],
  },
  { label: 'mesa', packages: ['mesa-dri-drivers', 'mesa-*'] },
  { label: 'systemd', packages: ['systemd', 'systemd-*'] },
  { label: 'GNOME Shell', packages: ['gnome-shell'] },
  { label: 'Plasma', packages: ['plasma-workspace'] },
];

export const DEFAULT_CONFIG: Config = {
  registries: [{ host: 'ghcr.io', insecure: false, githubPackages: true }],
  trust: { refreshEveryMs: DAY },
  families: [],
  updates: { automaticStaging: false, maxTagAgeMs: 30 * DAY },
  reminders: { readyEveryMs: 3 * DAY, failureEveryMs: DAY },
  changes: { headline: DEFAULT_HEADLINE },
  sources: [],
  files: [],
  provenance: {
    'registries.ghcr.io': BUILT_IN,
    'trust.trusted-root': BUILT_IN,
    'updates.automatic-staging': BUILT_IN,
    'reminders.ready-every': BUILT_IN,
    'reminders.failure-every': BUILT_IN,
    'changes.headline': BUILT_IN,
  },
};

export interface ConfigFile {
  readonly path: string;
  /** `system`: the administrator's, pinned (or the file VESPERA_UPDATES_CONFIG names, in its place); `user`: may only add. */
  readonly layer: 'system' | 'user';
  /** Reading it is required (VESPERA_UPDATES_CONFIG); others are skipped when absent. */
  readonly required: boolean;
}

/**
 * Which files are read, in order: the administrator's, then the user's on top. VESPERA_UPDATES_CONFIG
 * (the test world, the demo) names a file that takes the administrator's place; only such a file may
 * hold `world`.
 */
export function configFiles(env: NodeJS.ProcessEnv = process.env): ConfigFile[] {
  const configHome = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  const system: ConfigFile = env.VESPERA_UPDATES_CONFIG ? { path: env.VESPERA_UPDATES_CONFIG, layer: 'system', required: true } : { path: SYSTEM_CONFIG, layer: 'system', required: false };
  return [system, { path: join(configHome, 'vespera-updates', 'config.yaml'), layer: 'user', required: false }];
}

export async function loadConfig(env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let config = DEFAULT_CONFIG;
  for (const file of configFiles(env)) {
    let text: string;
    try {
      text = (await readFileLimited(file.path, MAX_CONFIG_BYTES)).toString('utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !file.required) continue;
      throw new ConfigError(
        'config-unreadable',
        `${file.path} could not be read (${(error as Error).message}); fix its permissions or remove it${file.required ? ', or unset VESPERA_UPDATES_CONFIG' : ''}.`,
        { cause: error },
      );
    }
    config = mergeConfig(config, parseConfigText(text, file.path, file.layer === 'user' ? { below: config } : {}));
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
  changes?: { headline?: HeadlineGroup[] };
  world?: { root: string; etcRoot: string; clock?: string };
  source: string;
  /** `user`: checked against the layers below (may add, never loosen); default `system`. */
  layer?: 'system' | 'user';
  /** The line of each setting it sets, by provenance key. */
  lines?: Record<string, number>;
}

/** The settings a layer sets, by provenance key. */
function settingsOf(layer: ConfigLayer): string[] {
  return [
    ...(layer.registries ?? []).map((r) => settingKey('registries', r.host)),
    ...Object.keys(layer.trust ?? {}).map((k) => ({ trustedRoot: 'trust.trusted-root', tufMirror: 'trust.tuf-mirror', refreshEveryMs: 'trust.refresh-every' })[k] ?? `trust.${k}`),
    ...(layer.families ?? []).map((f) => settingKey('families', f.images.join(','))),
    ...(layer.updates?.automaticStaging !== undefined ? ['updates.automatic-staging'] : []),
    ...(layer.updates?.maxTagAgeMs !== undefined ? ['updates.max-tag-age'] : []),
    ...(layer.reminders?.readyEveryMs !== undefined ? ['reminders.ready-every'] : []),
    ...(layer.reminders?.failureEveryMs !== undefined ? ['reminders.failure-every'] : []),
    ...(layer.changes?.headline !== undefined ? ['changes.headline'] : []),
    ...(layer.world ? ['world'] : []),
  ];
}

export function mergeConfig(base: Config, layer: ConfigLayer): Config {
  const registries = new Map(base.registries.map((r) => [r.host, r]));
  for (const r of layer.registries ?? []) registries.set(r.host, r);
  const user = layer.layer === 'user';
  // Only the administrator's file (or the test world's, in its place) may point at a test world.
  const world = user ? base.world : (layer.world ?? base.world);
  const provenance: Record<string, SettingSource> = { ...base.provenance };
  for (const key of settingsOf(layer)) {
    // Registries, families and trust are pinned: a user's setting parseConfigText let through equals the
    // administrator's, which stays its source. Preferences (updates, reminders) are the user's to change.
    if (user && base.provenance[key]?.layer === 'system' && /^(registries|families)\.|^trust\.(trusted-root|tuf-mirror)$/.test(key)) continue;
    const line = layer.lines?.[key];
    provenance[key] = { layer: user ? 'user' : 'system', file: layer.source, ...(line !== undefined ? { line } : {}) };
  }
  return {
    registries: [...registries.values()],
    trust: { ...base.trust, ...layer.trust },
    // The administrator's families come first: a user's may only cover images the administrator's do not
    // (parseConfigText refuses one that would change their signer). A later system file's win.
    families: user ? [...base.families, ...(layer.families ?? [])] : [...(layer.families ?? []), ...base.families],
    updates: { ...base.updates, ...layer.updates },
    reminders: { ...base.reminders, ...layer.reminders },
    // A display preference: the later file's list replaces the one below.
    changes: { ...base.changes, ...layer.changes },
    ...(world ? { world } : {}),
    sources: [...base.sources, layer.source],
    files: [...base.files, { path: layer.source, layer: user ? 'user' : 'system' }],
    provenance,
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

  /** The line of the setting at `path` (its key's line for a mapping entry). */
  lineOf(path: Path): number | undefined {
    const node = this.doc.getIn(path, true) as Node | undefined;
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : this.lines.linePos(offset).line;
  }

  #where(path: Path, at?: Node): string {
    const node = at ?? (this.doc.getIn(path, true) as Node | undefined);
    const offset = node?.range?.[0];
    if (offset === undefined) return '';
    const pos = this.lines.linePos(offset);
    const key = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
    return `, line ${pos.line}, column ${pos.col}${key ? `: ${key}` : ''}`;
  }

  /** Refuses the setting at `path` (positioned at `at`, e.g. a key, when given). */
  fail(path: Path, problem: string, at?: Node): never {
    throw new ConfigError('config-invalid', `${this.source}${this.#where(path, at)}: ${problem}; fix it or remove the setting.`);
  }

  /** A user's setting that would loosen what the administrator set (or only the administrator may set). */
  pinned(path: Path, problem: string): never {
    throw new ConfigError('config-pinned', `${this.source}${this.#where(path)}: ${problem}. Your configuration may add to the administrator's, never loosen it: remove this setting (or ask the administrator to change theirs).`);
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
      if (!known.includes(key)) this.fail([...path, key], `unknown setting (known here: ${known.join(', ')})`, pair.key as Node);
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

export interface ParseOptions {
  /**
   * The configuration below this file: given, the file is the user's, which may add to it but never
   * loosen what the administrator's file set (refused as config-pinned, with the line).
   */
  readonly below?: Config;
}

export function parseConfigText(text: string, source: string, options: ParseOptions = {}): ConfigLayer {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const at = lines.linePos(first.pos[0]);
    throw new ConfigError('config-invalid', `${source}, line ${at.line}, column ${at.col}: not valid YAML (${first.message.split('\n')[0]}); fix the syntax.`);
  }
  const r: LayerReader = new LayerReader(doc, lines, source);
  const below = options.below;
  const layer: ConfigLayer = { source, ...(below ? { layer: 'user' as const } : {}) };
  const at: Record<string, number> = {};
  const record = (key: string, path: Path): void => {
    const line = r.lineOf(path);
    if (line !== undefined) at[key] = line;
  };
  if (doc.contents === null) return layer;
  const top = r.keys([], ['registries', 'trust', 'families', 'updates', 'reminders', 'changes', 'world']);

  if (top.has('registries')) {
    layer.registries = Array.from({ length: r.list(['registries']) }, (_, i) => {
      const keys = r.keys(['registries', i], ['host', 'insecure', 'github-packages', 'timeout']);
      const host = r.string(['registries', i, 'host'], HOST).toLowerCase();
      const settings = {
        host,
        insecure: keys.has('insecure') ? r.boolean(['registries', i, 'insecure']) : false,
        githubPackages: keys.has('github-packages') ? r.boolean(['registries', i, 'github-packages']) : host === 'ghcr.io',
        ...(keys.has('timeout') ? { timeoutMs: r.duration(['registries', i, 'timeout'], { min: 1000, max: 600_000 }) } : {}),
      };
      record(settingKey('registries', host), ['registries', i]);
      if (below) checkUserRegistry((path, problem) => r.pinned(path, problem), below, settings, i);
      return settings;
    });
  }
  if (top.has('trust')) {
    const keys = r.keys(['trust'], ['trusted-root', 'tuf-mirror', 'refresh-every']);
    if (below && keys.has('trusted-root')) {
      // The trusted root decides whose certificates and log entries count: a user's root could vouch for anyone.
      r.pinned(['trust', 'trusted-root'], `only the administrator's configuration (${adminFile(below)}) may replace the trusted root, which decides whose signatures count`);
    }
    layer.trust = {
      ...(keys.has('trusted-root') ? { trustedRoot: r.string(['trust', 'trusted-root'], ABSOLUTE) } : {}),
      ...(keys.has('tuf-mirror') ? { tufMirror: r.string(['trust', 'tuf-mirror'], HTTPS_URL) } : {}),
      ...(keys.has('refresh-every') ? { refreshEveryMs: r.duration(['trust', 'refresh-every']) } : {}),
    };
    for (const key of ['trusted-root', 'tuf-mirror', 'refresh-every']) if (keys.has(key)) record(settingKey(`trust.${key}`), ['trust', key]);
    // Reloading the root less often than the administrator asked would keep a withdrawn key trusted longer.
    if (below && layer.trust.refreshEveryMs !== undefined && layer.trust.refreshEveryMs > below.trust.refreshEveryMs) {
      r.pinned(['trust', 'refresh-every'], `it may only be shorter than the ${Math.round(below.trust.refreshEveryMs / 3_600_000)} hours set below (${describeSource(below.provenance['trust.refresh-every'] ?? { layer: 'built-in' })})`);
    }
    const mirror = below?.provenance['trust.tuf-mirror'];
    if (below && layer.trust.tufMirror !== undefined && mirror?.layer === 'system' && layer.trust.tufMirror !== below.trust.tufMirror) {
      r.pinned(['trust', 'tuf-mirror'], `the administrator set the TUF mirror in ${describeSource(mirror)}`);
    }
  }
  if (top.has('families')) {
    layer.families = Array.from({ length: r.list(['families']) }, (_, i) => {
      const path = ['families', i];
      const keys = r.keys(path, ['images', 'repository', 'identity', 'identity-regexp', 'issuer', 'key', 'workflow-ref']);
      if (!keys.has('images')) r.fail(path, 'a family needs `images`, the repositories it covers');
      const images = Array.from({ length: r.list([...path, 'images']) }, (_, j) => r.string([...path, 'images', j], IMAGE_PATTERN));
      if (images.length === 0) r.fail([...path, 'images'], 'name at least one image repository');
      const identities = ['repository', 'identity', 'identity-regexp'].filter((k) => keys.has(k));
      if (identities.length > 1) r.fail(path, `give only one of repository, identity, identity-regexp (found ${identities.join(', ')})`);
      if (identities.length === 0 && !keys.has('key')) r.fail(path, 'say who signs: repository, identity, identity-regexp or key');
      const family: FamilySettings = {
        images,
        issuer: keys.has('issuer') ? r.string([...path, 'issuer'], HTTPS_URL) : GITHUB_ISSUER,
        ...(keys.has('repository') ? { repository: r.string([...path, 'repository'], GITHUB_REPO).replace(/\/$/, '') } : {}),
        ...(keys.has('identity') ? { identity: r.string([...path, 'identity']) } : {}),
        ...(keys.has('identity-regexp') ? { identityRegexp: validRegexp(r, [...path, 'identity-regexp']) } : {}),
        ...(keys.has('key') ? { key: r.string([...path, 'key'], ABSOLUTE) } : {}),
        ...(keys.has('workflow-ref') ? { workflowRefs: r.stringOrList([...path, 'workflow-ref'], WORKFLOW_REF) } : {}),
      };
      record(settingKey('families', images.join(',')), path);
      if (below) checkUserFamily((path, problem) => r.pinned(path, problem), below, family, i);
      return family;
    });
  }
  if (top.has('updates')) {
    const keys = r.keys(['updates'], ['automatic-staging', 'max-tag-age']);
    layer.updates = {
      ...(keys.has('automatic-staging') ? { automaticStaging: r.boolean(['updates', 'automatic-staging']) } : {}),
      ...(keys.has('max-tag-age') ? { maxTagAgeMs: r.duration(['updates', 'max-tag-age']) } : {}),
    };
    if (keys.has('automatic-staging')) record('updates.automatic-staging', ['updates', 'automatic-staging']);
    if (keys.has('max-tag-age')) {
      record('updates.max-tag-age', ['updates', 'max-tag-age']);
      // Noticing a tag held still later than the administrator asked would loosen a check.
      if (below && (layer.updates.maxTagAgeMs ?? 0) > below.updates.maxTagAgeMs) {
        r.pinned(['updates', 'max-tag-age'], `it may only be shorter than the ${Math.round(below.updates.maxTagAgeMs / DAY)} days set below (${describeSource(below.provenance['updates.max-tag-age'] ?? { layer: 'built-in' })})`);
      }
    }
  }
  if (top.has('reminders')) {
    const keys = r.keys(['reminders'], ['ready-every', 'failure-every']);
    layer.reminders = {
      ...(keys.has('ready-every') ? { readyEveryMs: r.duration(['reminders', 'ready-every']) } : {}),
      ...(keys.has('failure-every') ? { failureEveryMs: r.duration(['reminders', 'failure-every']) } : {}),
    };
    for (const key of ['ready-every', 'failure-every']) if (keys.has(key)) record(`reminders.${key}`, ['reminders', key]);
  }
  if (top.has('changes')) {
    const keys = r.keys(['changes'], ['headline']);
    if (keys.has('headline')) {
      layer.changes = { headline: headlineGroups(r, ['changes', 'headline']) };
      record('changes.headline', ['changes', 'headline']);
    }
  }
  if (top.has('world')) {
    // The world points the app at another /etc and runs the helper without pkexec: test world and demo only.
    if (below) r.pinned(['world'], 'world is only for the test world, in the file VESPERA_UPDATES_CONFIG names; it is never read from your configuration');
    const keys = r.keys(['world'], ['root', 'etc-root', 'clock']);
    layer.world = {
      root: r.string(['world', 'root'], ABSOLUTE),
      etcRoot: r.string(['world', 'etc-root'], ABSOLUTE),
      ...(keys.has('clock') ? { clock: r.string(['world', 'clock'], INSTANT) } : {}),
    };
    record('world', ['world']);
  }
  layer.lines = at;
  return layer;
}

const PACKAGE_PATTERN = { re: /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,200}\*?$/, what: 'a package name (a trailing * matches any suffix)' };
const LABEL = { re: /^[^\p{Cc}\p{Cf}]{1,40}$/u, what: 'a short label (at most 40 characters)' };
const MAX_HEADLINE_GROUPS = 32;

/** `- kernel` (a package, shown under its own name) or `- {label: NVIDIA, packages: [nvidia-driver*, …]}`. */
function headlineGroups(r: LayerReader, path: Path): HeadlineGroup[] {
  const count = r.list(path);
  if (count > MAX_HEADLINE_GROUPS) r.fail(path, `at most ${MAX_HEADLINE_GROUPS} headline entries`);
  return Array.from({ length: count }, (_, i) => {
    const at = [...path, i];
    if (isScalar(r.node(at))) {
      const name = r.string(at, PACKAGE_PATTERN);
      return { label: name.replace(/\*$/, ''), packages: [name] };
    }
    const keys = r.keys(at, ['label', 'packages']);
    if (!keys.has('label') || !keys.has('packages')) r.fail(at, 'a headline entry needs `label` and `packages`');
    const packages = Array.from({ length: r.list([...at, 'packages']) }, (_, j) => r.string([...at, 'packages', j], PACKAGE_PATTERN));
    if (packages.length === 0) r.fail([...at, 'packages'], 'name at least one package');
    return { label: r.string([...at, 'label'], LABEL), packages };
  });
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
