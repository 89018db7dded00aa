// How a checkout on its own finds the real containers/image: ./run test (scripts/lib.sh) and the
// tests (sigstoreSkopeo) look in the same places and, where nothing fits, stop with the same one line.

import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSigstoreSkopeo, sigstoreSkopeo } from '../../support/skopeo.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** Debian's skopeo, which the test packages install: real, but built with sigstore switched off. */
const DEBIAN_SKOPEO = '/usr/bin/skopeo';

const top = mkdtempSync(join(tmpdir(), 'lone-checkout-'));
afterAll(() => rmSync(top, { recursive: true, force: true }));

/** A clone's entry point and lookups in `top/checkout`, with nothing beside it. */
const checkout = join(top, 'checkout');
for (const file of ['run', 'package.json', 'scripts/lib.sh']) {
  mkdirSync(dirname(join(checkout, file)), { recursive: true });
  copyFileSync(join(REPO, file), join(checkout, file));
}
chmodSync(join(checkout, 'run'), 0o755);

/**
 * A PATH holding only what the lookup itself uses, plus Debian's skopeo as `skopeo`, as on a Debian
 * machine. No node and no npm: should ./run go past the lookup, it stops at once instead of installing.
 */
const bin = join(top, 'bin');
mkdirSync(bin);
for (const tool of spawnSync('sh', ['-c', 'for tool in dirname basename sed grep; do command -v $tool; done'], { encoding: 'utf8' }).stdout.trim().split('\n')) symlinkSync(tool, join(bin, basename(tool)));
symlinkSync(DEBIAN_SKOPEO, join(bin, 'skopeo'));

function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: bin, HOME: top, LANG: 'C.UTF-8', ...extra };
}

function runTest(extra: Record<string, string> = {}) {
  return spawnSync(join(checkout, 'run'), ['test'], { cwd: checkout, env: environment(extra), encoding: 'utf8', timeout: 30_000 });
}

/** Sources lib.sh as ./run does, from `cwd`, and prints what ensure_sigstore_skopeo settled on. */
function shellLookup(cwd: string, extra: Record<string, string> = {}) {
  const script = '. "$(dirname "$0")/scripts/lib.sh"; cd /; ensure_sigstore_skopeo; printf %s "$VESPERA_SKOPEO"';
  return spawnSync('/bin/sh', ['-c', script, join(checkout, 'run')], { cwd, env: environment(extra), encoding: 'utf8', timeout: 30_000 });
}

/** What the tests' lookup answers for the lone checkout: the path, or the one line it throws. */
function testsLookup(extra: Record<string, string> = {}, cwd = checkout): { found?: string; refused?: string } {
  try {
    return { found: findSigstoreSkopeo({ env: environment(extra), cwd, checkout }) };
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

/** Each test runs real skopeo binaries (tens of MB) a few times: quick alone, slow on a busy machine. */
const SPAWNS = { timeout: 30_000 };

function oneLine(text: string): string {
  expect(text.endsWith('\n') ? text.slice(0, -1) : text).not.toContain('\n');
  return text.trim();
}

describe('a lone checkout without a skopeo that verifies sigstore', SPAWNS, () => {
  it('./run test stops before the suite with one line saying how to get one; a test that needs it, with the same words', () => {
    const result = runTest();
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const line = oneLine(result.stderr);
    expect(line).toMatch(/^setup: the tests need a skopeo that verifies sigstore signatures .* and none was found /);
    expect(line).toContain('on Fedora: dnf install skopeo');
    expect(line).toContain('git clone --depth 1 --branch v1.14.5 https://github.com/containers/skopeo && cd skopeo && ');
    expect(line).toContain('go build -tags ');
    expect(line).toContain('export VESPERA_SKOPEO=$PWD/skopeo');
    expect(`setup: ${oneLine(testsLookup().refused ?? '')}`).toBe(line);
  });

  it('refuses a VESPERA_SKOPEO that cannot verify sigstore, naming it, in both places', () => {
    const shell = runTest({ VESPERA_SKOPEO: DEBIAN_SKOPEO });
    expect(shell.status).toBe(1);
    const line = oneLine(shell.stderr);
    expect(line).toMatch(/^setup: VESPERA_SKOPEO=\/usr\/bin\/skopeo is not a skopeo 1\.10\+ that verifies sigstore signatures /);
    expect(line).toContain('on Fedora: dnf install skopeo');
    expect(`setup: ${oneLine(testsLookup({ VESPERA_SKOPEO: DEBIAN_SKOPEO }).refused ?? '')}`).toBe(line);
  });
});

describe('a lone checkout given a skopeo that verifies sigstore', SPAWNS, () => {
  /** A folder whose `skopeo` verifies sigstore, as Fedora's /usr/bin: put first on PATH. */
  const fedoraBin = join(top, 'fedora-bin');
  const onPath = { PATH: `${fedoraBin}:${bin}` };
  const beside = join(top, 'shared', 'tools', 'skopeo');
  const typedIn = join(top, 'elsewhere');
  const named = join(typedIn, 'tools', 'skopeo');
  beforeAll(() => {
    const real = sigstoreSkopeo();
    for (const link of [join(fedoraBin, 'skopeo'), beside, named]) {
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(real, link);
    }
  });

  it('takes VESPERA_SKOPEO first, relative to the folder it was typed in', () => {
    const shell = shellLookup(typedIn, { ...onPath, VESPERA_SKOPEO: 'tools/skopeo' });
    expect(shell.stderr).toBe('');
    expect(shell.stdout).toBe(named);
    expect(testsLookup({ ...onPath, VESPERA_SKOPEO: 'tools/skopeo' }, typedIn)).toEqual({ found: named });
  });

  it('then ../shared/tools/skopeo beside the checkout, before the skopeo on PATH', () => {
    const shell = shellLookup(checkout, onPath);
    expect(shell.stderr).toBe('');
    expect(shell.stdout).toBe(beside);
    expect(testsLookup(onPath)).toEqual({ found: beside });
  });

  it('then a skopeo on PATH that verifies sigstore, as on Fedora', () => {
    rmSync(join(top, 'shared'), { recursive: true, force: true });
    const shell = shellLookup(checkout, onPath);
    expect(shell.stderr).toBe('');
    expect(shell.stdout).toBe(join(fedoraBin, 'skopeo'));
    expect(testsLookup(onPath)).toEqual({ found: join(fedoraBin, 'skopeo') });
  });
});
