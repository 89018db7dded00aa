// What the administrator's configuration pins against a user's (a user's file may add, never loosen), and
// which file each effective setting came from, for status and the doctor.

import type { Config, FamilySettings, RegistrySettings } from './config-model.ts';

export const SYSTEM_CONFIG = '/etc/vespera-updates/config.yaml';

/** Where a setting's value came from: built in, the administrator's file (pinned) or the user's. */
export interface SettingSource {
  readonly layer: 'built-in' | 'system' | 'user';
  readonly file?: string;
  readonly line?: number;
}

/** The provenance key of a setting: `trust.trusted-root`, `registries.ghcr.io`, `families.ghcr.io/acme/vespera*`. */
export function settingKey(section: string, name?: string): string {
  return name === undefined ? section : `${section}.${name}`;
}

/** Refuses the user's setting at a path of their file, saying why (the reader adds file, line and column). */
export type Pinned = (path: ReadonlyArray<string | number>, problem: string) => never;

/** "FILE, line N" or "built in". */
export function describeSource(source: SettingSource): string {
  if (!source.file) return 'built in';
  return `${source.file}${source.line !== undefined ? `, line ${source.line}` : ''}`;
}

/** A user's registry entry may add a registry; never allow plain HTTP, nor change one the administrator set. */
export function checkUserRegistry(pinned: Pinned, below: Config, settings: RegistrySettings, i: number): void {
  const source = below.provenance[settingKey('registries', settings.host)];
  const current = below.registries.find((x) => x.host === settings.host);
  if (source?.layer === 'system' && current) {
    if (current.insecure === settings.insecure && current.githubPackages === settings.githubPackages) return;
    pinned(['registries', i], `the administrator set ${settings.host} in ${describeSource(source)}`);
  }
  if (settings.insecure) {
    pinned(['registries', i, 'insecure'], `only the administrator's configuration (${adminFile(below)}) may allow plain HTTP to a registry, where anyone on the way could change what is pulled`);
  }
}

/** The administrator's file (or the one VESPERA_UPDATES_CONFIG names in its place). */
export function adminFile(below: Config): string {
  return below.files.find((f) => f.layer === 'system')?.path ?? SYSTEM_CONFIG;
}

/** Whether some repository name matches both image patterns (a trailing `*` matches any suffix). */
function patternsOverlap(a: string, b: string): boolean {
  const wildA = a.endsWith('*');
  const wildB = b.endsWith('*');
  const stemA = wildA ? a.slice(0, -1) : a;
  const stemB = wildB ? b.slice(0, -1) : b;
  if (wildA && wildB) return stemA.startsWith(stemB) || stemB.startsWith(stemA);
  if (wildA) return stemB.startsWith(stemA);
  if (wildB) return stemA.startsWith(stemB);
  return a === b;
}

const SIGNER_FIELDS = ['repository', 'identity', 'identityRegexp', 'issuer', 'key', 'workflowRefs'] as const;

/** A user's family may name signers for images the administrator's families leave out, never change theirs. */
export function checkUserFamily(pinned: Pinned, below: Config, family: FamilySettings, i: number): void {
  for (const theirs of below.families) {
    const source = below.provenance[settingKey('families', theirs.images.join(','))];
    if (source?.layer !== 'system') continue;
    const shared = family.images.find((mine) => theirs.images.some((pattern) => patternsOverlap(mine, pattern)));
    if (shared === undefined) continue;
    // Ref pins are lists: the same pins in the same order are the same signer.
    if (SIGNER_FIELDS.every((field) => JSON.stringify(family[field]) === JSON.stringify(theirs[field]))) continue;
    pinned(['families', i], `${shared} overlaps the administrator's family for ${theirs.images.join(', ')} (${describeSource(source)}), whose signer, issuer and key your configuration cannot change`);
  }
}

/** A setting's name for people, from its provenance key. */
function settingName(key: string): string {
  if (key.startsWith('registries.')) return `registry ${key.slice('registries.'.length)}`;
  if (key.startsWith('families.')) return `family ${key.slice('families.'.length).replaceAll(',', ', ')}`;
  const names: Record<string, string> = {
    'trust.trusted-root': 'trusted root',
    'trust.tuf-mirror': 'TUF mirror',
    'trust.refresh-every': 'trusted root refresh',
    'updates.max-tag-age': 'longest a tag may stand still',
    'updates.automatic-staging': 'automatic staging',
    'reminders.ready-every': 'reminders of a ready update',
    'reminders.failure-every': 'reminders of a failed check',
    'changes.headline': 'headline packages',
    world: 'test world',
  };
  return names[key] ?? key;
}

/**
 * Which file each effective setting came from, one line per file (the administrator's first, then the
 * user's, then what is built in): what status and the doctor show.
 */
export function describeProvenance(config: Config): string[] {
  const bySource = new Map<string, { name: string; line: number }[]>();
  const builtIn: string[] = [];
  for (const [key, source] of Object.entries(config.provenance)) {
    const name = key === 'trust.trusted-root' && source.layer === 'built-in' ? "trusted root (Sigstore's public one)" : settingName(key);
    if (!source.file) builtIn.push(name);
    else bySource.set(source.file, [...(bySource.get(source.file) ?? []), { name: `${name}${source.line !== undefined ? ` (line ${source.line})` : ''}`, line: source.line ?? 0 }]);
  }
  const lines = config.files.map((file) => {
    const role = file.layer === 'user' ? 'yours: may add, never loosen' : file.path === SYSTEM_CONFIG ? "the administrator's, pinned" : "in place of the administrator's (VESPERA_UPDATES_CONFIG)";
    // In the order the file has them.
    const settings = (bySource.get(file.path) ?? []).sort((a, b) => a.line - b.line).map((s) => s.name);
    return `${file.path} (${role}): ${settings.length > 0 ? settings.join(', ') : 'sets nothing that applies'}`;
  });
  if (builtIn.length > 0) lines.push(`built in: ${builtIn.join(', ')}`);
  return lines;
}

