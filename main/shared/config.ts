// The app's configuration: the administrator's /etc/vespera-updates/config.yaml (pinned), then the user's
// ~/.config/vespera-updates/config.yaml, which may add but never loosen; which file each setting came from.

import { homedir } from 'node:os';
import { join } from 'node:path';
import { readFileLimited } from './bounded.ts';
import { settingKey, SYSTEM_CONFIG, type SettingSource } from './config-layers.ts';
import { ConfigError, DEFAULT_CONFIG, type Config, type ConfigLayer, type FamilySettings, type RegistrySettings } from './config-model.ts';
import { parseConfigText } from './config-parse.ts';

// What a configuration is (config-model.ts), how a file is parsed (config-parse.ts) and what the
// administrator's layer pins (config-layers.ts): importers take them all from here.
export { describeProvenance, describeSource, settingKey, SYSTEM_CONFIG, type SettingSource } from './config-layers.ts';
export {
  ConfigError,
  DEFAULT_CONFIG,
  DEFAULT_HEADLINE,
  GITHUB_ISSUER,
  type Config,
  type ConfigLayer,
  type FamilySettings,
  type HeadlineGroup,
  type RegistrySettings,
} from './config-model.ts';
export { parseConfigText, type ParseOptions } from './config-parse.ts';

const MAX_CONFIG_BYTES = 256 * 1024;

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
