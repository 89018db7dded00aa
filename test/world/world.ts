// The test world: private system and session buses, a real OCI registry with the Vespera catalog,
// an etc root standing in for /etc, and the parts later layers add (rpm-ostreed stand-in, test
// Sigstore, notification server). Everything lives in one temp folder and goes away on stop().

import { chmod, cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startBus, type Bus } from './dbus.ts';
import { WORLD_NOW } from './catalog.ts';
import { WorldImages } from './images.ts';
import { registerTempDir, removeTempDir } from './processes.ts';
import { RegistryPusher, startRegistry, type RegistryServer } from './registry.ts';
import { findScenario, type Scenario } from './scenarios.ts';
import { WORLD_PARTS } from './parts.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(HERE, 'fixtures');

export interface WorldOptions {
  /** Scenario name (default `default`). */
  readonly scenario?: string;
  /** Progress lines, e.g. to stderr; silent by default. */
  readonly log?: (line: string) => void;
  /** Names of parts (parts.ts) to leave out, e.g. `notifications` to test a desktop without a server. */
  readonly without?: readonly string[];
}

/** A layer of the world added by a later part of the project; see parts.ts. */
export interface WorldPart {
  readonly name: string;
  start(world: World): Promise<void>;
}

/** The app's configuration as the world writes it (VESPERA_UPDATES_CONFIG); parts add to it. */
export type WorldConfig = Record<string, unknown>;

export class World {
  readonly root: string;
  readonly scenario: Scenario;
  readonly systemBus: Bus;
  readonly sessionBus: Bus;
  readonly registry: RegistryServer;
  readonly images: WorldImages;
  /** Stands in for the host's /etc: containers/policy.json, registries.d, pki/containers. */
  readonly etcRoot: string;
  readonly configPath: string;
  readonly config: WorldConfig;
  readonly log: (line: string) => void;
  /** Extra variables parts export to what runs inside (besides the ones `env` always has). */
  readonly extraEnv: Record<string, string> = {};
  readonly #stops: Array<() => Promise<void>> = [];
  #stopping: Promise<void> | undefined;

  constructor(fields: {
    root: string;
    scenario: Scenario;
    systemBus: Bus;
    sessionBus: Bus;
    registry: RegistryServer;
    images: WorldImages;
    etcRoot: string;
    log: (line: string) => void;
  }) {
    this.root = fields.root;
    this.scenario = fields.scenario;
    this.systemBus = fields.systemBus;
    this.sessionBus = fields.sessionBus;
    this.registry = fields.registry;
    this.images = fields.images;
    this.etcRoot = fields.etcRoot;
    this.log = fields.log;
    this.configPath = join(fields.root, 'config.yaml');
    this.config = {
      registries: [{ host: fields.registry.host, insecure: true, 'github-packages': true }],
      world: { root: fields.root, 'etc-root': fields.etcRoot, clock: WORLD_NOW },
    };
  }

  /** The environment a program inside the world runs with. */
  get env(): Record<string, string> {
    const xdg = join(this.root, 'home');
    return {
      DBUS_SYSTEM_BUS_ADDRESS: this.systemBus.address,
      DBUS_SESSION_BUS_ADDRESS: this.sessionBus.address,
      VESPERA_UPDATES_CONFIG: this.configPath,
      VESPERA_WORLD_ROOT: this.root,
      VESPERA_WORLD_REGISTRY: this.registry.host,
      VESPERA_WORLD_ETC: this.etcRoot,
      XDG_CONFIG_HOME: join(xdg, 'config'),
      XDG_CACHE_HOME: join(xdg, 'cache'),
      XDG_DATA_HOME: join(xdg, 'data'),
      XDG_STATE_HOME: join(xdg, 'state'),
      // The Node that runs the world (22+) comes first, so `npx vespera-updates` inside uses it too.
      PATH: [dirname(process.execPath), process.env.PATH ?? '/usr/bin:/bin'].join(':'),
      ...this.extraEnv,
    };
  }

  /** The process environment merged with the world's, for spawning programs inside it. */
  processEnv(): NodeJS.ProcessEnv {
    return { ...process.env, ...this.env };
  }

  /** Registers cleanup for something a part started; runs in reverse order on stop(). */
  onStop(stop: () => Promise<void>): void {
    this.#stops.push(stop);
  }

  async writeConfig(): Promise<void> {
    await writeFile(this.configPath, `# Written by the test world for Vespera Updates.\n${stringify(this.config)}`);
  }

  /** Stops every process, removes the temp folder. Safe to call more than once. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const stop of [...this.#stops].reverse()) {
        try {
          await stop();
        } catch (error) {
          this.log(`world: stopping a part failed: ${String(error)}`);
        }
      }
      await Promise.all([this.registry.process.stop(), this.systemBus.process.stop(), this.sessionBus.process.stop()]);
      removeTempDir(this.root);
    })();
    return this.#stopping;
  }
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const log = options.log ?? (() => {});
  const scenario = findScenario(options.scenario ?? 'default');
  const root = await mkdtemp(join(process.env.TMPDIR ?? tmpdir(), 'vespera-world-'));
  registerTempDir(root);
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    await mkdir(join(root, 'buses'));
    const [systemBus, sessionBus] = await Promise.all([
      startBus('system', join(root, 'buses')),
      startBus('session', join(root, 'buses')),
    ]);
    started.push(systemBus.process, sessionBus.process);
    log(`world: system bus ${systemBus.address}, session bus ${sessionBus.address}`);

    const registry = await startRegistry(join(root, 'registry'));
    started.push(registry.process);
    log(`world: registry at ${registry.url}`);

    const etcRoot = join(root, 'etc');
    await cp(join(FIXTURES, 'etc'), etcRoot, { recursive: true, filter: (src) => !src.endsWith('README.md') });
    await mkdir(join(etcRoot, 'pki', 'containers'), { recursive: true });
    // As the package's tmpfiles.d makes it: run records of every user, sticky.
    const runs = join(root, 'var', 'lib', 'vespera-updates', 'runs');
    await mkdir(runs, { recursive: true });
    await chmod(runs, 0o1777);

    const images = new WorldImages(registry.host, new RegistryPusher(registry.url));
    await images.pushCatalog();
    for (const [ref, version] of Object.entries(scenario.retag ?? {})) {
      const [repository = '', tag = ''] = ref.split(':');
      await images.retag(repository, tag, version);
    }
    log(`world: pushed ${images.pushed.length} images`);

    const world = new World({ root, scenario, systemBus, sessionBus, registry, images, etcRoot, log });
    started.length = 0;
    try {
      for (const part of WORLD_PARTS) {
        if (options.without?.includes(part.name)) continue;
        await part.start(world);
        log(`world: ${part.name} ready`);
      }
      await world.writeConfig();
    } catch (error) {
      await world.stop();
      throw error;
    }
    return world;
  } catch (error) {
    await Promise.all(started.map((p) => p.stop()));
    removeTempDir(root);
    throw error;
  }
}
