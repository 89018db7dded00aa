// The long-running app reloads its Sigstore trusted root on a schedule: when a rotation withdraws the
// authority that signed what this host runs, the app says so without a restart, and it drops every
// verdict made under the old root (and trusts again when the authority comes back).
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusSnapshot } from '../../../preload/contract.ts';
import { UiBackend } from '../../../main/flows/ui-backend.ts';
import { verdictOfCode, type TrustFailureCode } from '../../../main/trust/errors.ts';
import { worldSigstore } from '../../world/sigstore/part.ts';
import { TestSigstore } from '../../world/sigstore/signer.ts';
import { startWorld, type World } from '../../world/world.ts';

let world: World;
let backend: UiBackend | undefined;

beforeAll(async () => {
  world = await startWorld({ scenario: 'signed-nvidia', without: ['notifications'] });
});
afterAll(async () => {
  await backend?.close();
  await world.stop();
});

async function bootedSignature(until: (s: StatusSnapshot['deployments'][number]['signature']) => boolean): Promise<StatusSnapshot['deployments'][number]['signature']> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const signature = backend?.snapshot().deployments.find((d) => d.role === 'booted')?.signature;
    if (signature && until(signature)) return signature;
    if (Date.now() > deadline) throw new Error(`the booted signature stayed ${JSON.stringify(signature)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the trusted root of the running app', () => {
  it('is reloaded on its schedule: a withdrawn authority fails what it signed, a restored one verifies again', async () => {
    const path = worldSigstore(world).trustedRootPath;
    const original = await readFile(path);
    const logs: string[] = [];
    backend = await UiBackend.start({ env: world.processEnv(), notifications: false, firstCheckAfterMs: 600_000, trustRefreshEveryMs: 250, log: (line) => logs.push(line) });
    expect(await bootedSignature((s) => s.status === 'verified')).toMatchObject({ status: 'verified', signer: { sourceRepository: 'https://github.com/acme/vespera' } });

    // The new root trusts another CA and log only: what the old CA certified no longer verifies.
    await writeFile(path, JSON.stringify(new TestSigstore().trustedRoot()));
    const withdrawn = await bootedSignature((s) => s.status !== 'verified' && s.status !== 'checking');
    // Evidence, not "could not check": nothing the new root trusts vouches for this signature.
    expect(withdrawn.status).toBe('failed');
    expect(verdictOfCode(withdrawn.failure?.code as TrustFailureCode)).toBe('failed');
    expect(logs).toContain('the Sigstore trusted root changed; checking every signature again');

    await writeFile(path, original);
    expect(await bootedSignature((s) => s.status === 'verified')).toMatchObject({ status: 'verified' });
  }, 90_000);
});
