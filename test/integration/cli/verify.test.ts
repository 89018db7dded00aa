// `vespera-updates verify` inside a world, as IMAGE-SIGNING.md uses `cosign verify`: the jq lines of
// the seed document work on --output json, and the exit code says verified or not; and what an
// attacker with push access tries (a variant swap, a crafted OCI layout, escape sequences) is refused.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess, type ProcessRun } from '../../support/cli.ts';
import { hasTerminalControls } from '../../support/negative-corpus.ts';
import { sigstoreSkopeo } from '../../support/skopeo.ts';
import { buildImage, descriptor } from '../../world/oci.ts';
import { writeBlobs } from '../../world/oci-layout.ts';
import { copyImageWithSignatures } from '../../world/registry-copy.ts';
import { startRegistryFaults } from '../../world/registry-faults.ts';
import { startWorld, type World } from '../../world/world.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const CLI = `"${process.execPath}" --disable-warning=ExperimentalWarning "${ROOT}main/cli/index.ts"`;
let world: World;

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.stop();
});

function sh(script: string): Promise<ProcessRun> {
  return runProcess('sh', ['-c', script], { env: { ...world.processEnv(), VU: CLI } });
}

describe('vespera-updates verify', () => {
  it("prints cosign verify's JSON, so `jq '.[] | .optional.Subject'` shows who signed", async () => {
    const run = await sh(`eval "$VU" verify --repository https://github.com/acme/vespera --certificate-oidc-issuer https://token.actions.githubusercontent.com $VESPERA_WORLD_REGISTRY/acme/vespera-nvidia:latest --output json | jq '.[] | .optional.Subject'`);
    expect(run.stdout).toBe('"https://github.com/acme/vespera/.github/workflows/build.yml@refs/heads/main"\n');
    const issuer = await sh(`eval "$VU" verify $VESPERA_WORLD_REGISTRY/acme/vespera-nvidia:latest --output json | jq -r '.[] | .optional.Issuer, .optional.Bundle.Payload.logIndex, .critical.identity."docker-reference"'`);
    expect(issuer.stdout.split('\n')).toEqual(['https://token.actions.githubusercontent.com', expect.stringMatching(/^\d+$/), `${world.registry.host}/acme/vespera-nvidia`, '']);
  });

  it('exits 0 only when verified, 3 on evidence against the image, 1 when it could not check, and explains each on stderr', async () => {
    const ok = await sh(`eval "$VU" verify $VESPERA_WORLD_REGISTRY/acme/vespera:cosign3`);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/rpm-ostree cannot see this signature/);
    const forked = await sh(`eval "$VU" verify $VESPERA_WORLD_REGISTRY/acme/vespera-nvidia:forked --output json`);
    expect(forked.code).toBe(3);
    expect(forked.stdout).toBe('');
    expect(forked.stderr).toMatch(/signed, but not by whom you trust.*mallory/);
    const unsigned = await sh(`eval "$VU" verify $VESPERA_WORLD_REGISTRY/acme/vespera-dx:unsigned`);
    expect(unsigned.code).toBe(3);
    expect(unsigned.stderr).toMatch(/is not signed/);
    // Nothing listens on port 9 of this host: could not check, not a failed signature.
    const offline = await sh(`eval "$VU" verify 127.0.0.1:9/acme/vespera:latest`);
    expect(offline.code, offline.stderr).toBe(1);
    expect(offline.stderr).not.toMatch(/not signed|not by whom/);
  });

  it('checks a publisher key given with --key, and refuses wrong usage with exit 2', async () => {
    const keyed = await sh(`eval "$VU" verify --key "$VESPERA_WORLD_PUBLISHER_KEY" $VESPERA_WORLD_REGISTRY/acme/vespera-dx-nvidia:latest`);
    expect(keyed.code, keyed.stderr).toBe(0);
    expect(keyed.stdout).toMatch(/signed by\s+the key .*vespera\.pub/);
    const usage = await sh(`eval "$VU" verify --repository https://github.com/acme/vespera --certificate-identity x $VESPERA_WORLD_REGISTRY/acme/vespera:latest`);
    expect(usage.code).toBe(2);
    const malformed = await sh(`eval "$VU" verify 'Registry.example/UPPER/Case:latest'`);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/IMAGE_REF/);
  });
});

describe('vespera-updates verify against an attacker with push access', () => {
  it('refuses acme/vespera:cosign3 and its referrer copied into acme/vespera-nvidia under latest', async () => {
    await copyImageWithSignatures(world.registry.url, world.images.pusher, { repository: 'acme/vespera', reference: 'cosign3' }, { repository: 'acme/vespera-nvidia', tag: 'latest' });
    try {
      const swapped = await sh(`eval "$VU" verify $VESPERA_WORLD_REGISTRY/acme/vespera-nvidia:latest`);
      expect(swapped.code).toBe(3);
      expect(swapped.stdout).toBe('');
      expect(swapped.stderr).toMatch(/is a signed build of another image, not of this repository\. Its signature: its own signed labels say it is "vespera" .*not vespera-nvidia\. Do not update to it/);
      // The same image under its own name still verifies, and its cosign 3 statement names no repository: none is printed.
      const own = await sh(`eval "$VU" verify $VESPERA_WORLD_REGISTRY/acme/vespera:cosign3 --output json | jq -c '.[0].critical'`);
      expect(JSON.parse(own.stdout)).toEqual({ image: { 'docker-manifest-digest': world.images.get('acme/vespera', 'cosign3').digest }, type: 'cosign container image signature' });
      const text = await sh(`eval "$VU" verify $VESPERA_WORLD_REGISTRY/acme/vespera:cosign3`);
      expect(text.stdout).toMatch(/bound by\s+the image's signed labels name vespera from https:\/\/github\.com\/acme\/vespera, version 42\.20261120\.0/);
      expect(text.stdout).toMatch(/workflow\s+\.github\/workflows\/build\.yml\n\s+ref\s+refs\/heads\/main/);
    } finally {
      await world.images.pusher.pushManifest('acme/vespera-nvidia', 'latest', world.images.get('acme/vespera-nvidia', 'latest').image.top);
    }
  });

  it('verifies an oci: layout by the digest skopeo inspect (containers/image) resolves, and says which', async () => {
    await mkdir(join(world.root, 'layouts'), { recursive: true });
    const dir = join(world.root, 'layouts', 'nvidia');
    const skopeo = sigstoreSkopeo();
    execFileSync(skopeo, ['copy', '--insecure-policy', '--preserve-digests', '--src-tls-verify=false', '--all', `docker://${world.registry.host}/acme/vespera-nvidia:latest`, `oci:${dir}:latest`], { stdio: 'pipe' });
    const digest = world.images.get('acme/vespera-nvidia', 'latest').digest;
    const sigTag = `${digest.replace(':', '-')}.sig`;
    execFileSync(skopeo, ['copy', '--insecure-policy', '--preserve-digests', '--src-tls-verify=false', `docker://${world.registry.host}/acme/vespera-nvidia:${sigTag}`, `oci:${dir}:${sigTag}`], { stdio: 'pipe' });
    const inspect = (): string => (JSON.parse(execFileSync(skopeo, ['inspect', `oci:${dir}:latest`], { encoding: 'utf8' })) as { Digest: string }).Digest;
    const resolved = inspect();
    expect(resolved).toBe(digest);
    const run = await sh(`eval "$VU" verify oci:${dir}:latest --reference $VESPERA_WORLD_REGISTRY/acme/vespera-nvidia`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`  digest     ${resolved}\n`);

    // An attacker adds an unsigned image under the same name, behind an entry containers/image skips.
    const evil = buildImage({ format: 'oci-manifest', platforms: [{ os: 'linux', architecture: 'amd64' }], labels: { 'org.opencontainers.image.title': 'vespera-nvidia' }, created: '2026-11-29T04:00:00Z', layers: [{ 'etc/evil': 'x' }] });
    await writeBlobs(dir, [...evil.top.blobs, evil.top]);
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Array<Record<string, unknown> & { annotations?: Record<string, string> }> };
    const named = (m: { annotations?: Record<string, string> }): boolean => m.annotations?.['org.opencontainers.image.ref.name'] === 'latest';
    const signedEntry = index.manifests.find(named);
    const crafted = {
      ...index,
      manifests: [
        { ...signedEntry, mediaType: 'application/vnd.oci.image.config.v1+json' },
        { ...descriptor(evil.top), annotations: { 'org.opencontainers.image.ref.name': 'latest' } },
        ...index.manifests.filter((m) => !named(m)),
      ],
    };
    await writeFile(join(dir, 'index.json'), JSON.stringify(crafted));
    const opened = inspect();
    expect(opened).toBe(evil.top.digest);
    const refused = await sh(`eval "$VU" verify oci:${dir}:latest --reference $VESPERA_WORLD_REGISTRY/acme/vespera-nvidia`);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(new RegExp(`is not signed\\. No cosign signature was found for ${opened}`));
  });

  it("shows a lying registry's escape sequences instead of obeying them", async () => {
    const faults = await startRegistryFaults(world, world.registry.url);
    faults.add({ path: /\/acme\/vespera\/tags\/list/, action: { kind: 'status', status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'acme/vespera', tags: ['latest', 'x\r\u001b[2K\u001b[32mVerified'] }) } });
    faults.add({ path: /\/acme\/vespera\/manifests\/42$/, action: { kind: 'status', status: 200, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: JSON.stringify({ schemaVersion: 2, mediaType: 'x\r\u001b[2K\u001b[32mVerified', layers: [] }) } });
    const missing = await sh(`eval "$VU" verify ${faults.host}/acme/vespera:41`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Tags that exist: latest\./);
    const odd = await sh(`eval "$VU" verify ${faults.host}/acme/vespera:42`);
    expect(odd.code).toBe(3);
    expect(odd.stderr).toContain('unsupported media type "x\\x0D\\x1B[2K\\x1B[32mVerified"');
    for (const run of [missing, odd]) expect(hasTerminalControls(run.stderr.trimEnd())).toBe(false);
  });
});
