// How a scenario describes the host the rpm-ostreed stand-in plays: deployments in boot order (each an
// image release of the world's catalog under an origin), the automatic-update policy, the host's /etc.

/** How the deployment's origin names its image; `{registry}` is the world's registry host. */
export type OriginSpec =
  | 'unverified-registry'
  | 'image-signed'
  | { readonly refspec: string };

export interface DeploymentSpec {
  /** Repository in the world's registry, e.g. `acme/vespera-nvidia`. */
  readonly repository: string;
  /** The catalog release deployed (its version); the origin still names `tag`. */
  readonly release: string;
  /** The tag the origin follows (default `latest`). */
  readonly tag?: string;
  readonly origin?: OriginSpec;
  readonly booted?: boolean;
  readonly staged?: boolean;
  readonly pinned?: boolean;
  readonly finalizationLocked?: boolean;
}

/** What the host's /etc/containers says: Fedora's stock policy, or enforcing the publisher's key. */
export type EtcSpec = 'stock' | 'signed-vespera';

export interface HostSpec {
  /** Stateroot name (default `fedora`, what Anaconda installs use). */
  readonly osname?: string;
  /** Boot order: a staged deployment first, then the booted one, then rollbacks. */
  readonly deployments: readonly DeploymentSpec[];
  readonly automaticUpdatePolicy?: 'none' | 'check' | 'stage' | 'apply';
  /**
   * `check`: an update check already ran (CachedUpdate with manifest-diff when latest moved);
   * `upgrade`: the staged deployment came from a plain upgrade (CachedUpdate describes it).
   */
  readonly cachedUpdate?: 'check' | 'upgrade';
  readonly etc?: EtcSpec;
  /** Seconds without a registered client before the daemon exits (rpm-ostreed's default is 60). */
  readonly idleExitSeconds?: number;
}
