// Named starting states of the world. A scenario says what the registry serves and, as later parts
// arrive, what the host runs and how its /etc looks. `world run --scenario NAME` picks one.

import type { HostSpec } from '../sim/host-spec.ts';
import { CURRENT, FORKED_VERSION, NEWER, OLD } from './catalog.ts';

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Tags moved after the catalog is pushed: `repository:tag` → version. */
  readonly retag?: Readonly<Record<string, string>>;
  /**
   * Files written over the stock Fedora /etc (path under etc → a policy-corpus file or text;
   * `YOUR_USERNAME` becomes the catalog owner and `{registry}` the world's registry host).
   */
  readonly etc?: Readonly<Record<string, { readonly corpus: string } | { readonly text: string }>>;
  /** The Fedora Atomic host the rpm-ostreed stand-in plays; none when absent. */
  readonly host?: HostSpec;
}

const NVIDIA = 'acme/vespera-nvidia';

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'default',
    description: 'The registry serves the Vespera catalog; latest is the current build.',
  },
  {
    name: 'newer-latest',
    description: 'The publisher has pushed a newer vespera-nvidia build and moved latest to it.',
    retag: { 'acme/vespera-nvidia:latest': '42.20261125.0' },
  },
  {
    name: 'seed-policy',
    description: "The host followed IMAGE-SIGNING.md: policy.json holds its strict keyless example, which no containers/image loads, so every pull fails.",
    etc: { 'containers/policy.json': { corpus: 'seed-strict.json' } },
  },
  {
    name: 'ublue-policy',
    description: 'A Universal Blue-style host: reject default, cosign key rules for ghcr.io/ublue-os, catch-alls for everything else.',
    etc: {
      'containers/policy.json': { corpus: 'ublue-os-signing.json' },
      'containers/registries.d/ublue-os.yaml': { text: 'docker:\n  ghcr.io/ublue-os:\n    use-sigstore-attachments: true\n' },
    },
  },
  {
    name: 'unverified-nvidia',
    description:
      'A host booted from ostree-unverified-registry:…/vespera-nvidia:latest, the previous release kept for rollback; the publisher has since moved latest to a newer build.',
    retag: { 'acme/vespera-nvidia:latest': NEWER.version },
    host: {
      deployments: [
        { repository: NVIDIA, release: CURRENT.version, booted: true },
        { repository: NVIDIA, release: OLD.version },
      ],
    },
  },
  {
    name: 'signed-nvidia',
    description: 'A host already on ostree-image-signed:docker://…/vespera-nvidia:latest, its /etc enforcing the publisher key.',
    host: {
      etc: 'signed-vespera',
      deployments: [
        { repository: NVIDIA, release: CURRENT.version, origin: 'image-signed', booted: true },
        { repository: NVIDIA, release: OLD.version },
      ],
    },
  },
  {
    name: 'staged-update',
    description: 'latest moved to a newer build and the automatic timer staged it; it waits for a reboot.',
    retag: { 'acme/vespera-nvidia:latest': NEWER.version },
    host: {
      automaticUpdatePolicy: 'stage',
      cachedUpdate: 'upgrade',
      deployments: [
        { repository: NVIDIA, release: NEWER.version, staged: true },
        { repository: NVIDIA, release: CURRENT.version, booted: true },
        { repository: NVIDIA, release: OLD.version },
      ],
    },
  },
  {
    name: 'staged-forked',
    description: "latest was replaced by a build that another repository's workflow signed, and the automatic timer staged it.",
    retag: { 'acme/vespera-nvidia:latest': FORKED_VERSION },
    host: {
      automaticUpdatePolicy: 'stage',
      cachedUpdate: 'upgrade',
      deployments: [
        { repository: NVIDIA, release: FORKED_VERSION, staged: true },
        { repository: NVIDIA, release: CURRENT.version, booted: true },
        { repository: NVIDIA, release: OLD.version },
      ],
    },
  },
  {
    name: 'cached-update',
    description: 'latest moved to a newer build; an update check found it (CachedUpdate), nothing is staged.',
    retag: { 'acme/vespera-nvidia:latest': NEWER.version },
    host: {
      automaticUpdatePolicy: 'check',
      cachedUpdate: 'check',
      deployments: [
        { repository: NVIDIA, release: CURRENT.version, booted: true },
        { repository: NVIDIA, release: OLD.version },
      ],
    },
  },
  {
    name: 'pinned-rollback',
    description: 'The rollback deployment is pinned, so cleanups and updates never remove it.',
    host: {
      deployments: [
        { repository: NVIDIA, release: CURRENT.version, booted: true },
        { repository: NVIDIA, release: OLD.version, pinned: true },
      ],
    },
  },
];

/** The scenarios with a host, the only ones the demo can show: without rpm-ostreed there is no app to run. */
export function demoScenarios(): readonly Scenario[] {
  return SCENARIOS.filter((scenario) => scenario.host !== undefined);
}

export function findScenario(name: string): Scenario {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario) {
    throw new Error(`no scenario named "${name}"; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  return scenario;
}
