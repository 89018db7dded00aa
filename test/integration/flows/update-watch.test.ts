// The signed-update watch on the world: a staged update signed by the right workflow is ready, one
// signed by another repository is flagged with the discard action, and in app-enforced mode the watch
// stages verified digests held and releases only a digest that verifies.

import { afterEach, describe, expect, it } from 'vitest';
import { ImageChecks } from '../../../main/flows/image-checks.ts';
import { openSession, type FlowSession } from '../../../main/flows/session.ts';
import { UpdateWatch } from '../../../main/flows/update-watch.ts';
import { BUILD_WORKFLOW, CURRENT, FORKED_VERSION, GITHUB_ISSUER, NEWER, SOURCE_REPOSITORY } from '../../world/catalog.ts';
import { buildImage } from '../../world/oci.ts';
import { githubActionsIdentity } from '../../world/sigstore/fulcio.ts';
import { pushBundleReferrer, worldSigstore } from '../../world/sigstore/part.ts';
import { TestSigstore } from '../../world/sigstore/signer.ts';
import { startWorld, type World } from '../../world/world.ts';
import { runCliJson } from '../../support/cli.ts';
import { hostOf, recordAppEnforced } from '../../support/host.ts';

const NVIDIA = 'acme/vespera-nvidia';
let world: World | undefined;
let session: FlowSession | undefined;
let watch: UpdateWatch | undefined;

afterEach(async () => {
  watch?.close();
  await session?.close();
  await world?.stop();
  watch = undefined;
  session = undefined;
  world = undefined;
});

async function watching(scenario: string, options: { appEnforced?: boolean; automaticStaging?: boolean } = {}): Promise<{ w: World; watch: UpdateWatch }> {
  world = await startWorld({ scenario });
  if (options.appEnforced) {
    await recordAppEnforced(world, NVIDIA);
  }
  session = await openSession({ env: world.processEnv() });
  watch = new UpdateWatch(session, new ImageChecks(session.config, session.trust), { automaticStaging: () => options.automaticStaging ?? false });
  await watch.start();
  await watch.settle();
  return { w: world, watch };
}

describe('the update watch', () => {
  it('reports a staged update signed by the right workflow as ready to restart into', async () => {
    const { watch } = await watching('staged-update');
    const snapshot = watch.snapshot();
    expect(snapshot.health).toBe('update-ready');
    expect(snapshot.headline).toBe(`Signed update ready: restart to apply ${NEWER.version}`);
    expect(snapshot.update).toMatchObject({
      state: 'ready',
      version: NEWER.version,
      signature: { status: 'verified', signer: { kind: 'keyless', sourceRepository: 'https://github.com/acme/vespera', workflow: '.github/workflows/build.yml@refs/heads/main' } },
    });
    expect(snapshot.actions[0]).toBe('restart-now');
  });

  it('flags a staged update signed by another repository, refuses to restart into it, and discards it', async () => {
    const { w, watch } = await watching('staged-forked');
    const snapshot = watch.snapshot();
    expect(snapshot.health).toBe('needs-attention');
    expect(snapshot.update).toMatchObject({ state: 'failed', version: FORKED_VERSION, signature: { status: 'failed', failure: { code: 'identity-mismatch' } } });
    expect(snapshot.update?.signature.failure?.message).toMatch(/mallory\/vespera/);
    expect(snapshot.actions[0]).toBe('discard-staged');
    expect(snapshot.notices).toContainEqual(expect.objectContaining({ code: 'staged-not-verified', severity: 'critical', action: 'discard-staged' }));

    const restart = await watch.restartNow();
    expect(restart).toMatchObject({ ok: false, code: 'update-not-verified' });
    expect((await hostOf(w).reboots()).logind).toEqual([]);

    const discard = await watch.discardStaged();
    expect(discard.ok, discard.message).toBe(true);
    expect((await hostOf(w).dump()).deployments.some((d) => d.staged)).toBe(false);
  });

  it('the command line says the same, with exit code 3 and the discard action', async () => {
    world = await startWorld({ scenario: 'staged-forked' });
    const { code, json } = await runCliJson<{ health: string; update: { state: string }; notices: Array<{ action?: string }> }>(world, ['status']);
    expect(code).toBe(3);
    expect(json.health).toBe('needs-attention');
    expect(json.update.state).toBe('failed');
    expect(json.notices.some((n) => n.action === 'discard-staged')).toBe(true);
    const check = await runCliJson(world, ['check']);
    expect(check.code).toBe(3);
  });

  it('in app-enforced mode stages the verified update held, and restarts into it only once it verifies', async () => {
    const { w, watch } = await watching('unverified-nvidia', { appEnforced: true, automaticStaging: true });
    expect(watch.snapshot().enforcement.mode).toBe('app-enforced');
    const check = await watch.check();
    expect(check.ok, check.message).toBe(true);
    await watch.settle();
    const latest = w.images.get(NVIDIA, 'latest');
    const staged = (await hostOf(w).dump()).deployments.find((d) => d.staged);
    expect(staged).toMatchObject({ locked: true, override_digest: latest.digest, image: { digest: latest.platformDigests.amd64 } });
    await expect.poll(() => watch.snapshot().health).toBe('update-ready');

    const restart = await watch.restartNow();
    expect(restart.ok, restart.message).toBe(true);
    // FinalizeDeployment released the hold and asked for the reboot; the machine then reboots.
    const released = await hostOf(w).dump();
    expect(released.reboots.length).toBeGreaterThan(0);
    expect(released.deployments.find((d) => d.staged)?.locked).toBe(false);
    await hostOf(w).reboot();
    expect((await hostOf(w).dump()).deployments.find((d) => d.booted)?.version).toBe(NEWER.version);
  });

  it('in app-enforced mode never stages by itself a signed update that nothing binds to its repository', async () => {
    const { w, watch } = await watching('pinned-rollback', { appEnforced: true, automaticStaging: true });
    expect(watch.snapshot().enforcement.mode).toBe('app-enforced');
    // A newer build signed only with cosign 3, whose image carries no title label: the signature covers
    // its digest, but nothing signed says it is a vespera-nvidia build.
    const image = buildImage({ format: 'oci-manifest', platforms: [{ os: 'linux', architecture: 'amd64' }], labels: { 'org.opencontainers.image.version': '42.20261128.0' }, created: '2026-11-28T04:00:00Z', layers: [{ 'usr/lib/os-release': 'VERSION="42.20261128.0"\n' }] });
    const digest = await w.images.pusher.pushImage(NVIDIA, image, ['latest']);
    const sigstore = worldSigstore(w);
    const bundle = sigstore.signer.signBundle(TestSigstore.cosignStatement(digest), { kind: 'keyless', identity: githubActionsIdentity({ repository: SOURCE_REPOSITORY, workflow: BUILD_WORKFLOW, ref: 'refs/heads/main', issuer: GITHUB_ISSUER, commit: 'd'.repeat(40) }), at: new Date('2026-11-28T04:10:00Z') });
    await pushBundleReferrer(w.images.pusher, NVIDIA, { digest, mediaType: image.top.mediaType, size: image.top.data.length }, bundle);

    const check = await watch.check();
    expect(check.message).toMatch(/^A signed update is available: 42\.20261128\.0\. But its signature names no repository and the image has no org\.opencontainers\.image\.title label.*; it is not staged automatically\./);
    await watch.settle();
    expect(watch.snapshot().notices).toContainEqual(expect.objectContaining({ code: 'update-unbound', severity: 'warning' }));
    expect(watch.snapshot().update?.signature.binding).toMatchObject({ bound: false });
    expect((await hostOf(w).dump()).deployments.some((d) => d.staged)).toBe(false);
  });

  it('tells an app-enforced host when rpm-ostree stages updates behind its back, and how to stop it', async () => {
    const { watch } = await watching('staged-update', { appEnforced: true });
    const codes = watch.snapshot().notices.map((n) => n.code);
    expect(codes).toContain('staged-outside-app');
    const policy = watch.snapshot().notices.find((n) => n.code === 'automatic-policy-stages');
    expect(policy?.message).toMatch(/AutomaticUpdatePolicy=stage.*AutomaticUpdatePolicy=check/);
  });

  it('checks in the background without asking rpm-ostree (no password prompt); a check a person asks for asks it too', async () => {
    const { w, watch } = await watching('unverified-nvidia');
    const background = await watch.check({ askHost: false });
    expect(background).toMatchObject({ ok: true, message: `A signed update is available: ${NEWER.version}.` });
    expect((await hostOf(w).dump()).cachedUpdate).toBeNull();
    await watch.check();
    expect((await hostOf(w).dump()).cachedUpdate).toMatchObject({ version: NEWER.version });
  });

  it('finds a signed update available where rpm-ostree only cached the check', async () => {
    const { w, watch } = await watching('cached-update');
    const outcome = await watch.check();
    expect(outcome).toMatchObject({ ok: true, message: `A signed update is available: ${NEWER.version}.` });
    // rpm-ostree clears its ActiveTransaction a moment after the check finished.
    await expect.poll(() => watch.snapshot().health).toBe('update-available');
    expect(watch.snapshot()).toMatchObject({ update: { state: 'available', digest: w.images.get(NVIDIA, 'latest').platformDigests.amd64 } });
    // Nothing was staged: the user decides.
    expect((await hostOf(w).dump()).deployments.some((d) => d.staged)).toBe(false);
    expect(watch.snapshot().deployments.find((d) => d.role === 'booted')?.version).toBe(CURRENT.version);
  });
});
