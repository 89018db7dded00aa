// Builds the catalog's images, pushes them to the world's registry, and remembers every digest so
// tests and scenarios can name an image by repository and tag.

import type { Sha256Digest } from '../../main/shared/image-reference.ts';
import { CATALOG, releaseLabels, type CatalogRepository, type Release, type Variant } from './catalog.ts';
import { buildImage, type BuiltImage, type Platform } from './oci.ts';
import { releasePackages, RPMDB_PATH, rpmdbText, type RpmPackage } from './packages.ts';
import type { RegistryPusher } from './registry.ts';

export interface PushedRelease {
  readonly repository: string;
  readonly release: Release;
  readonly image: BuiltImage;
  /** What tags resolve to: the index digest for multi-platform images. */
  readonly digest: Sha256Digest;
  /** The manifest each platform resolves to; rpm-ostree records the one for its architecture. */
  readonly platformDigests: Readonly<Partial<Record<Platform['architecture'], Sha256Digest>>>;
}

export class WorldImages {
  readonly registryHost: string;
  readonly pushed: PushedRelease[] = [];
  readonly #pusher: RegistryPusher;
  readonly #tags = new Map<string, PushedRelease>();

  constructor(registryHost: string, pusher: RegistryPusher) {
    this.registryHost = registryHost;
    this.#pusher = pusher;
  }

  /** Repositories are pushed side by side; releases of one repository in order. */
  async pushCatalog(catalog: readonly CatalogRepository[] = CATALOG): Promise<void> {
    await Promise.all(catalog.map((repo) => this.#pushRepository(repo)));
  }

  async #pushRepository(repo: CatalogRepository): Promise<void> {
    for (const release of repo.releases) await this.#push(repo, release);
  }

  async #push(repo: CatalogRepository, release: Release, packages?: readonly RpmPackage[]): Promise<PushedRelease> {
    const variant = (repo.repository.split('/').pop() ?? '') as Variant;
    const installed = packages ?? releasePackages(variant, release);
    const kernel = installed.find((p) => p.name === 'kernel');
    const image = buildImage({
      format: repo.format,
      platforms: repo.platforms,
      labels: releaseLabels(repo.repository, release),
      created: release.created,
      layers: [
        { 'usr/lib/os-release': `NAME="Vespera"\nVERSION="${release.version}"\nID=vespera\n` },
        { [`usr/lib/modules/${kernel ? `${kernel.version}-${kernel.release}.${kernel.arch}` : 'none'}/vmlinuz`]: `kernel for ${release.version}` },
        // The package list is a layer of its own, as rpm-ostree's chunking puts the rpm database.
        { [RPMDB_PATH]: rpmdbText(installed) },
        { [`usr/share/vespera/${variant}`]: `${repo.repository} ${release.version}` },
      ],
    });
    const digest = await this.#pusher.pushImage(repo.repository, image, release.tags);
    const platformDigests: Partial<Record<Platform['architecture'], Sha256Digest>> = {};
    for (const m of image.manifests) if (m.platform) platformDigests[m.platform.architecture] = m.digest;
    const pushed: PushedRelease = { repository: repo.repository, release, image, digest, platformDigests };
    this.pushed.push(pushed);
    for (const tag of [...release.tags, release.version]) this.#tags.set(`${repo.repository}:${tag}`, pushed);
    return pushed;
  }

  /**
   * What a publisher's next build does: pushes a new release of a catalog repository (its tags move
   * to it), with the given packages installed instead of the release's usual list. Unsigned.
   */
  async pushRelease(repository: string, release: Release, packages?: readonly RpmPackage[]): Promise<PushedRelease> {
    const repo = CATALOG.find((r) => r.repository === repository);
    if (!repo) throw new Error(`the catalog has no repository ${repository}`);
    return await this.#push(repo, release, packages);
  }

  /** The release a `repository:tag` (or `repository:version`) currently names. */
  get(repository: string, tagOrVersion: string): PushedRelease {
    const found = this.#tags.get(`${repository}:${tagOrVersion}`);
    if (!found) throw new Error(`the world has no image ${repository}:${tagOrVersion}`);
    return found;
  }

  /** `127.0.0.1:PORT/acme/vespera-nvidia:latest`. */
  reference(repository: string, tag: string): string {
    return `${this.registryHost}/${repository}:${tag}`;
  }

  /** Points `tag` at the release with `version` (what a publisher's next build does to `latest`). */
  async retag(repository: string, tag: string, version: string): Promise<PushedRelease> {
    const target = this.get(repository, version);
    await this.#pusher.pushManifest(repository, tag, target.image.top);
    this.#tags.set(`${repository}:${tag}`, target);
    return target;
  }

  /** Pushes an arbitrary manifest or blob (for negative cases: tampered content, odd media types). */
  get pusher(): RegistryPusher {
    return this.#pusher;
  }
}
