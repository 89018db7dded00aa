// What a host's container stack does with images under the world's /etc, asked of the real
// containers/image through the rpm-ostreed stand-in's own proxy client (test/sim/rpmostreed).

import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { World } from '../world/world.ts';
import { sigstoreSkopeo } from './skopeo.ts';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'sim', 'rpmostreed', 'open_images.py');
const TIMEOUT_MS = 120_000;
const MAX_OUTPUT = 4 * 1024 * 1024;

export interface OsImageAnswers {
  /** ostree-ext's own check: the global default is a lone insecureAcceptAnything, so ostree-image-signed: is refused. */
  readonly insecureDefault: boolean;
  /** The proxy's OpenImage per reference: null when it opened, else its refusal text. */
  readonly refusals: ReadonlyMap<string, string | null>;
}

/** Opens each `host/repo:tag` with skopeo's image proxy under the world's policy.json and registries.d. */
export async function openWithHostPolicy(world: World, references: readonly string[]): Promise<OsImageAnswers> {
  const runDir = await mkdtemp(join(world.root, 'os-image-check-'));
  const request = JSON.stringify({ skopeo: sigstoreSkopeo(), etcRoot: world.etcRoot, runDir, registries: [world.registry.host], references });
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile('/usr/bin/python3', ['-B', SCRIPT], { timeout: TIMEOUT_MS, maxBuffer: MAX_OUTPUT }, (error, out, err) => {
      if (error) reject(new Error(`${SCRIPT} failed: ${err || out || error.message}`, { cause: error }));
      else resolve(out);
    });
    child.stdin?.end(request);
  });
  const parsed = JSON.parse(stdout) as { insecureDefault: boolean; images: Array<{ reference: string; refusal: string | null }> };
  return { insecureDefault: parsed.insecureDefault, refusals: new Map(parsed.images.map((i) => [i.reference, i.refusal])) };
}
