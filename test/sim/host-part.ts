// The world part that plays the scenario's Fedora Atomic host: the rpm-ostreed stand-in (bus-activated
// on the world's system bus, like the real one), a logind Reboot recorder, bus policy, and the host's /etc.

import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEY_SIGNED_VARIANTS, OWNER } from '../world/catalog.ts';
import { spawnManaged } from '../world/processes.ts';
import type { World, WorldPart } from '../world/world.ts';
import { worldSigstore } from '../world/sigstore/part.ts';
import { askBusDaemon } from '../../main/shared/bus-daemon.ts';
import { sigstoreSkopeo } from '../support/skopeo.ts';
import type { DeploymentSpec, HostSpec, OriginSpec } from './host-spec.ts';
import { RPMOSTREE_NAME, SimulatedHost } from './simulated-host.ts';

/** Starting the stand-in runs Python: generous under load. */
const BUS_TIMEOUT_MS = 30_000;

declare module '../world/world.ts' {
  interface World {
    /** The rpm-ostreed stand-in's control handle, when the scenario has a host. */
    host?: SimulatedHost;
  }
}

const HERE = dirname(fileURLToPath(import.meta.url));
const DAEMON = join(HERE, 'rpmostreed', 'rpmostreed.py');
const LOGIND = join(HERE, 'logind', 'logind.py');
const PYTHON = '/usr/bin/python3';
const LOGIND_NAME = 'org.freedesktop.login1';
/** Where the key-enforced policy says the publisher key lives (inside the world's etc root). */
export const PUBLISHER_KEY_PATH = '/etc/pki/containers/vespera.pub';

const DOCTYPE =
  '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"\n "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">';

/** Mirrors the shape of rpm-ostree's bus policy: root owns and calls; others read and call Sysroot/OS. */
function rpmostreePolicy(serviceDir: string): string {
  const to = `send_destination="${RPMOSTREE_NAME}"`;
  return `${DOCTYPE}
<busconfig>
  <servicedir>${serviceDir}</servicedir>
  <policy user="root">
    <allow own="${RPMOSTREE_NAME}"/>
    <allow ${to}/>
  </policy>
  <policy context="default">
    <allow ${to} send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow ${to} send_interface="org.freedesktop.DBus.ObjectManager"/>
    <allow ${to} send_interface="org.freedesktop.DBus.Peer"/>
    <allow ${to} send_interface="org.freedesktop.DBus.Properties" send_member="Get"/>
    <allow ${to} send_interface="org.freedesktop.DBus.Properties" send_member="GetAll"/>
    <allow ${to} send_interface="org.projectatomic.rpmostree1.Sysroot"/>
    <allow ${to} send_interface="org.projectatomic.rpmostree1.OS"/>
  </policy>
</busconfig>
`;
}

function logindPolicy(): string {
  const to = `send_destination="${LOGIND_NAME}"`;
  return `${DOCTYPE}
<busconfig>
  <policy user="root">
    <allow own="${LOGIND_NAME}"/>
    <allow ${to}/>
  </policy>
  <policy context="default">
    <allow ${to} send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow ${to} send_interface="org.freedesktop.DBus.Peer"/>
    <allow ${to} send_interface="org.freedesktop.DBus.Properties" send_member="Get"/>
    <allow ${to} send_interface="org.freedesktop.DBus.Properties" send_member="GetAll"/>
    <allow ${to} send_interface="org.freedesktop.login1.Manager"/>
  </policy>
</busconfig>
`;
}

export function originRefspec(origin: OriginSpec | undefined, registry: string, repository: string, tag: string): string {
  if (origin === undefined || origin === 'unverified-registry') return `ostree-unverified-registry:${registry}/${repository}:${tag}`;
  if (origin === 'image-signed') return `ostree-image-signed:docker://${registry}/${repository}:${tag}`;
  return origin.refspec.replaceAll('{registry}', registry);
}

function seedDeployment(world: World, spec: DeploymentSpec): Record<string, unknown> {
  const pushed = world.images.get(spec.repository, spec.release);
  return {
    refspec: originRefspec(spec.origin, world.registry.host, spec.repository, spec.tag ?? 'latest'),
    pull: `${world.registry.host}/${spec.repository}@${pushed.digest}`,
    booted: spec.booted ?? false,
    staged: spec.staged ?? false,
    pinned: spec.pinned ?? false,
    finalizationLocked: spec.finalizationLocked ?? false,
    // App-enforced mode stages by digest; a locked deployment is always a Deploy("sha256:…").
    ...(spec.finalizationLocked ? { overrideDigest: pushed.digest } : {}),
  };
}

/** The repositories the publisher key signs, as policy scopes in this world. */
export function keySignedScopes(registryHost: string): string[] {
  return KEY_SIGNED_VARIANTS.map((variant) => `${registryHost}/${OWNER}/${variant}`);
}

/**
 * Key-enforced /etc: default reject, the publisher key for its repositories, sigstore attachments on.
 * The OS verifies with the real containers/image, so the key must be the one the test Sigstore signed
 * the catalog with: such a host needs that part.
 */
async function writeSignedEtc(world: World): Promise<void> {
  let publisherKey: string;
  try {
    publisherKey = worldSigstore(world).publisherKeyPath;
  } catch {
    throw new Error(`scenario ${world.scenario.name}: a key-enforced host needs the test Sigstore (its images must carry real signatures for the OS to verify); start the world with it.`);
  }
  const docker: Record<string, unknown> = {};
  for (const scope of keySignedScopes(world.registry.host)) {
    docker[scope] = [{ type: 'sigstoreSigned', keyPath: PUBLISHER_KEY_PATH, signedIdentity: { type: 'matchRepository' } }];
  }
  docker[''] = [{ type: 'insecureAcceptAnything' }];
  const accept = { '': [{ type: 'insecureAcceptAnything' }] };
  const policy = {
    default: [{ type: 'reject' }],
    transports: {
      docker,
      'docker-daemon': accept,
      'containers-storage': accept,
      oci: accept,
      'oci-archive': accept,
      dir: accept,
      'docker-archive': accept,
    },
  };
  await writeFile(join(world.etcRoot, 'containers', 'policy.json'), `${JSON.stringify(policy, null, 4)}\n`);
  await writeFile(
    join(world.etcRoot, 'containers', 'registries.d', 'vespera.yaml'),
    `docker:\n  ${world.registry.host}/${OWNER}:\n    use-sigstore-attachments: true\n`,
  );
  const keyFile = join(world.etcRoot, PUBLISHER_KEY_PATH.slice('/etc/'.length));
  await mkdir(dirname(keyFile), { recursive: true });
  await copyFile(publisherKey, keyFile);
}

async function startHost(world: World, spec: HostSpec): Promise<void> {
  const stateDir = join(world.root, 'rpmostreed');
  const serviceDir = join(world.root, 'buses', 'system-services');
  await mkdir(stateDir, { recursive: true });
  await mkdir(serviceDir, { recursive: true });
  if (spec.etc === 'signed-vespera') await writeSignedEtc(world);

  const configPath = join(stateDir, 'config.json');
  await writeFile(
    configPath,
    JSON.stringify({
      stateDir,
      etcRoot: world.etcRoot,
      // The real containers/image: pulls go through its image proxy, as ostree-ext's do.
      skopeo: sigstoreSkopeo(),
      busAddress: world.systemBus.address,
      registries: [world.registry.host],
      idleExitSeconds: spec.idleExitSeconds ?? 60,
    }),
  );
  await writeFile(
    join(stateDir, 'sysroot.json'),
    JSON.stringify({
      osname: spec.osname ?? 'fedora',
      automaticUpdatePolicy: spec.automaticUpdatePolicy ?? 'none',
      cachedUpdate: spec.cachedUpdate ?? null,
      deployments: spec.deployments.map((d) => seedDeployment(world, d)),
    }),
  );
  await writeFile(
    join(serviceDir, `${RPMOSTREE_NAME}.service`),
    `[D-BUS Service]\nName=${RPMOSTREE_NAME}\nExec=${PYTHON} -B ${DAEMON} --config ${configPath}\nUser=root\n`,
  );
  await writeFile(join(world.systemBus.policyDir, `${RPMOSTREE_NAME}.conf`), rpmostreePolicy(serviceDir));
  await writeFile(join(world.systemBus.policyDir, `${LOGIND_NAME}.conf`), logindPolicy());
  await askBusDaemon({ address: world.systemBus.address }, 'ReloadConfig', '', [], BUS_TIMEOUT_MS);

  const host = new SimulatedHost(world.systemBus.address, stateDir, world.registry.host);
  world.onStop(() => host.stop());
  const logind = spawnManaged(
    'logind stand-in',
    PYTHON,
    ['-B', LOGIND, '--bus', world.systemBus.address, '--record', join(stateDir, 'logind-reboots.jsonl')],
    { readyLine: (line) => line === 'ready' },
  ).then(({ process }) => world.onStop(() => process.stop()));
  // Activation, like the first `rpm-ostree status` on a booted machine.
  const daemon = askBusDaemon({ address: world.systemBus.address }, 'StartServiceByName', 'su', [RPMOSTREE_NAME, 0], BUS_TIMEOUT_MS);
  const [logindResult, daemonResult] = await Promise.allSettled([logind, daemon]);
  if (daemonResult.status === 'rejected') {
    throw new Error(`the rpm-ostreed stand-in did not start: ${String(daemonResult.reason)}\n${await host.log()}`, { cause: daemonResult.reason });
  }
  if (logindResult.status === 'rejected') throw logindResult.reason;
  world.host = host;
}

export const hostPart: WorldPart = {
  name: 'rpm-ostreed stand-in',
  async start(world) {
    if (world.scenario.host) await startHost(world, world.scenario.host);
  },
};
