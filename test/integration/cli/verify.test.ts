// `vespera-updates verify` inside a world, as IMAGE-SIGNING.md uses `cosign verify`: the jq lines of
// the seed document work on --output json, and the exit code says verified or not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../../world/world.ts';
import { runProcess, type ProcessRun } from '../../support/cli.ts';

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
