// What a configuration is: each section's settings, a file's layer of them, the built-in defaults, and the
// coded error a file that cannot be used raises. Reading and layering the files is config.ts's.

import { CodedError } from './errors.ts';
import type { SettingSource } from './config-layers.ts';

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

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

/** One day in ms: durations in files and defaults are counted in them. */
export const DAY = 86_400_000;

const BUILT_IN: SettingSource = { layer: 'built-in' };

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
