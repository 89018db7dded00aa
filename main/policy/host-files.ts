// Where the policy files live (under /etc, or the test world's etc root) and reading them with size
// limits: policy.json, every registries.d/*.yaml, and the publisher keys under pki/containers/.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileLimited } from '../shared/bounded.ts';
import { CodedError } from '../shared/errors.ts';
import type { RegistriesFile } from './registries-d.ts';
import { MAX_POLICY_CHARS } from './policy-parse.ts';
import { checkKeyFileName, MAX_KEY_CHARS } from './public-key.ts';

export class PolicyHostError extends CodedError<'policy-unreadable'> {}

/** The files a policy plan may change (a plan from stdin targets only these). */
export type PlanTarget = { readonly kind: 'policy' } | { readonly kind: 'registries' } | { readonly kind: 'key'; readonly name: string };

/**
 * The only files the app (and its privileged helper) ever writes: a plan's targets, plus those the other
 * verbs compute themselves (rpm-ostree's configuration, the automatic-updates setting, the enforcement record).
 */
export type HelperTarget =
  | PlanTarget
  | { readonly kind: 'rpm-ostreed-conf' }
  | { readonly kind: 'automatic-updates' }
  /** /etc/vespera-updates/enforcement.json: which images the app enforces (written by its own verb). */
  | { readonly kind: 'enforcement' };

/** Under /etc: whether Vespera Updates' host-wide automatic updates are on (see automatic-updates-helper.ts). */
export const AUTOMATIC_UPDATES_FILE = 'vespera-updates/automatic-updates.json';

/** Our registries.d file; other files there belong to the system or the user and are never edited. */
export const OWN_REGISTRIES_FILE = 'vespera-updates.yaml';
/** Where keys live on a real host; policy.json refers to keys by these paths even in the test world. */
export const HOST_KEY_DIR = '/etc/pki/containers';
const MAX_REGISTRIES_FILES = 256;
const MAX_REGISTRIES_FILE_BYTES = 256 * 1024;

export interface PolicyPaths {
  readonly etcRoot: string;
  readonly policyFile: string;
  readonly registriesDir: string;
  readonly keyDir: string;
  /** Which images Vespera Updates enforces itself (app-enforced mode), for every user of the host. */
  readonly enforcementFile: string;
}

export function policyPaths(etcRoot: string): PolicyPaths {
  return {
    etcRoot,
    policyFile: join(etcRoot, 'containers', 'policy.json'),
    registriesDir: join(etcRoot, 'containers', 'registries.d'),
    keyDir: join(etcRoot, 'pki', 'containers'),
    enforcementFile: join(etcRoot, 'vespera-updates', 'enforcement.json'),
  };
}

/** The target's path on a real host (what diffs show and policy.json refers to). */
export function hostPathOf(target: HelperTarget): string {
  switch (target.kind) {
    case 'policy':
      return '/etc/containers/policy.json';
    case 'registries':
      return `/etc/containers/registries.d/${OWN_REGISTRIES_FILE}`;
    case 'key':
      return `${HOST_KEY_DIR}/${checkKeyFileName(target.name)}`;
    case 'enforcement':
      return '/etc/vespera-updates/enforcement.json';
    case 'rpm-ostreed-conf':
      return '/etc/rpm-ostreed.conf';
    case 'automatic-updates':
      return `/etc/${AUTOMATIC_UPDATES_FILE}`;
  }
}

/** The target's path under `etcRoot` (itself /etc on a host). The key name is checked, never trusted. */
export function diskPathOf(paths: PolicyPaths, target: HelperTarget): string {
  switch (target.kind) {
    case 'policy':
      return paths.policyFile;
    case 'registries':
      return join(paths.registriesDir, OWN_REGISTRIES_FILE);
    case 'key':
      return join(paths.keyDir, checkKeyFileName(target.name));
    case 'enforcement':
      return paths.enforcementFile;
    case 'rpm-ostreed-conf':
      return join(paths.etcRoot, 'rpm-ostreed.conf');
    case 'automatic-updates':
      return join(paths.etcRoot, AUTOMATIC_UPDATES_FILE);
  }
}

export interface PolicyHostState {
  /** null when the file does not exist. */
  readonly policyText: string | null;
  readonly registriesFiles: readonly RegistriesFile[];
  /** Existing key files by name (only the names asked for). */
  readonly keyTexts: ReadonlyMap<string, string>;
}

async function readOptional(path: string, maxBytes: number): Promise<string | null> {
  try {
    return (await readFileLimited(path, maxBytes)).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PolicyHostError('policy-unreadable', `${path} could not be read (${(error as Error).message}); check its permissions.`, { cause: error });
  }
}

export async function readRegistriesFiles(dir: string): Promise<RegistriesFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new PolicyHostError('policy-unreadable', `${dir} could not be listed (${(error as Error).message}); check its permissions.`, { cause: error });
  }
  if (names.length > MAX_REGISTRIES_FILES) {
    throw new PolicyHostError('policy-unreadable', `${dir} holds ${names.length} YAML files, more than the ${MAX_REGISTRIES_FILES} this app reads; remove the ones you do not need.`);
  }
  const files: RegistriesFile[] = [];
  for (const name of names) {
    const text = await readOptional(join(dir, name), MAX_REGISTRIES_FILE_BYTES);
    if (text !== null) files.push({ name, text });
  }
  return files;
}

export async function readPolicyHostState(paths: PolicyPaths, keyNames: readonly string[] = []): Promise<PolicyHostState> {
  const keyTexts = new Map<string, string>();
  for (const name of keyNames) {
    const text = await readOptional(join(paths.keyDir, checkKeyFileName(name)), MAX_KEY_CHARS);
    if (text !== null) keyTexts.set(name, text);
  }
  return {
    policyText: await readOptional(paths.policyFile, MAX_POLICY_CHARS),
    registriesFiles: await readRegistriesFiles(paths.registriesDir),
    keyTexts,
  };
}
