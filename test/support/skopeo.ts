// The real containers/image with sigstore verification, which tests hold the OS side to: skopeo's
// image proxy is what rpm-ostree uses to apply policy.json. Found where scripts/lib.sh looks.

import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Debian's build answers every sigstore rule with this sentence instead of verifying. */
const DEBIAN_DISABLED = 'Debian-local change: sigstore disabled';
/** How to get one; the same words as scripts/lib.sh's VESPERA_SKOPEO_HELP. */
const HOW =
  "on Fedora: dnf install skopeo; elsewhere build it with Go 1.19+: git clone --depth 1 --branch v1.14.5 https://github.com/containers/skopeo && cd skopeo && GOFLAGS=-mod=vendor CGO_ENABLED=0 go build -tags 'containers_image_openpgp exclude_graphdriver_btrfs exclude_graphdriver_devicemapper' ./cmd/skopeo, then set VESPERA_SKOPEO to the skopeo it wrote there (export VESPERA_SKOPEO=$PWD/skopeo)";

function verifiesSigstore(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    const version = /^skopeo version (\d+)\.(\d+)/m.exec(execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }));
    if (!version || Number(version[1]) < 1 || (Number(version[1]) === 1 && Number(version[2]) < 10)) return false;
    // grep stops at the first match and scans tens of MB faster than reading them into Node.
    return spawnSync('grep', ['-qF', DEBIAN_DISABLED, path], { timeout: 10_000 }).status === 1;
  } catch {
    return false;
  }
}

function firstOnPath(path: string): string | undefined {
  for (const dir of path.split(':')) {
    const candidate = join(dir || '.', 'skopeo');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Where to look: this process's environment and folder, from this checkout, unless a test says otherwise. */
export interface SkopeoSearch {
  readonly env: NodeJS.ProcessEnv;
  /** A relative VESPERA_SKOPEO is relative to this folder. */
  readonly cwd: string;
  /** The checkout whose ../shared/tools/skopeo counts. */
  readonly checkout: string;
}

/**
 * The path of a skopeo that verifies sigstore signatures: $VESPERA_SKOPEO, else ../shared/tools/skopeo
 * beside the checkout, else the skopeo on PATH if it can. Throws one line saying how to get one.
 */
export function findSigstoreSkopeo(search: SkopeoSearch = { env: process.env, cwd: process.cwd(), checkout: REPO }): string {
  const named = search.env.VESPERA_SKOPEO;
  if (named) {
    const path = resolve(search.cwd, named);
    if (!verifiesSigstore(path)) throw new Error(`VESPERA_SKOPEO=${path} is not a skopeo 1.10+ that verifies sigstore signatures (the tests need the real containers/image; Debian's has it switched off): ${HOW}.`);
    return path;
  }
  for (const candidate of [join(search.checkout, '..', 'shared', 'tools', 'skopeo'), firstOnPath(search.env.PATH ?? '')]) {
    if (candidate && verifiesSigstore(candidate)) return candidate;
  }
  throw new Error(`the tests need a skopeo that verifies sigstore signatures (the real containers/image; Debian's has it switched off) and none was found (VESPERA_SKOPEO is unset, no ../shared/tools/skopeo beside the checkout, no such skopeo on PATH): ${HOW}.`);
}

let found: string | undefined;

/** findSigstoreSkopeo for this process, looked up once. */
export function sigstoreSkopeo(): string {
  return (found ??= findSigstoreSkopeo());
}
