// What every flow works with: the configuration, a connected host client, the trust context and
// where this host's files live (/etc, or the test world's etc root). Opened once per CLI run or app.

import { connectHost, type HostClient } from '../host/index.ts';
import { policyPaths, type PolicyPaths } from '../policy/host-files.ts';
import type { HelperSite } from '../policy/helper-client.ts';
import { loadConfig, type Config } from '../shared/config.ts';
import { describeError } from '../shared/errors.ts';
import { userStateDir } from '../shared/user-files.ts';
import { join } from 'node:path';

/** Host-wide state, created by the package (run records in runs/, sticky and writable by all). */
export const HOST_STATE_DIR = '/var/lib/vespera-updates';

/** The host state folder: /var/lib/vespera-updates, or its place under the test world's root. */
export function hostStateDirOf(config: Config): string {
  return config.world ? join(config.world.root, 'var', 'lib', 'vespera-updates') : HOST_STATE_DIR;
}
import { createTrustContext, type TrustContext } from '../trust/index.ts';

export interface FlowSession {
  readonly config: Config;
  readonly env: NodeJS.ProcessEnv;
  readonly host: HostClient;
  readonly trust: TrustContext;
  /** policy.json, registries.d and keys of this host. */
  readonly policy: PolicyPaths;
  /** Where the privileged helper writes: pkexec on a host, directly under the world's root in tests. */
  readonly helperSite: HelperSite;
  /** This user's state folder ($XDG_STATE_HOME/vespera-updates). */
  readonly stateDir: string;
  /** What every user of the host shares: run records and the host lock (/var/lib/vespera-updates). */
  readonly hostStateDir: string;
  readonly now: () => Date;
  close(): Promise<void>;
}

export interface SessionOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Shown by rpm-ostree as the client (`vespera-updates`, `vespera-updates-cli`). */
  readonly clientId?: string;
  readonly now?: () => Date;
}

/** A session whose host may be missing: the doctor still has things to say without rpm-ostreed. */
export type PartialSession = Omit<FlowSession, 'host'> & { readonly host?: HostClient; readonly hostProblem?: string };

export async function openSession(options: SessionOptions = {}): Promise<FlowSession> {
  const partial = await openPartialSession(options, true);
  if (!partial.host) throw new Error('unreachable: the host was required');
  return partial as FlowSession;
}

/** Like openSession, but a host that cannot be reached is reported instead of thrown. */
export async function openPartialSession(options: SessionOptions = {}, requireHost = false): Promise<PartialSession> {
  const env = options.env ?? process.env;
  const config = await loadConfig(env);
  const trust = await createTrustContext(config, env);
  let host: HostClient | undefined;
  let hostProblem: string | undefined;
  try {
    host = await connectHost({
      clientId: options.clientId ?? 'vespera-updates',
      ...(env.DBUS_SYSTEM_BUS_ADDRESS ? { busAddress: env.DBUS_SYSTEM_BUS_ADDRESS } : {}),
    });
  } catch (error) {
    if (requireHost) throw error;
    hostProblem = describeError(error);
  }
  return {
    config,
    env,
    ...(host ? { host } : {}),
    ...(hostProblem ? { hostProblem } : {}),
    trust,
    policy: policyPaths(config.world?.etcRoot ?? '/etc'),
    helperSite: config.world ? { world: config.world } : {},
    stateDir: userStateDir(env),
    hostStateDir: hostStateDirOf(config),
    now: options.now ?? clockOf(config),
    close: async () => {
      await host?.close();
    },
  };
}

/** Real time, or in the test world its own date running on from when the session opened. */
function clockOf(config: Config): () => Date {
  const start = config.world?.clock === undefined ? NaN : Date.parse(config.world.clock);
  if (Number.isNaN(start)) return () => new Date();
  const offset = start - Date.now();
  return () => new Date(Date.now() + offset);
}
