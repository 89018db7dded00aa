// The stand-in must look like rpm-ostreed on the wire: every method, property and signal it exports
// (as introspected over the bus and over a transaction's peer socket) matches rpm-ostree's interface.

import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeerConnection } from '../../../main/host/peer.ts';
import { OS_IFACE, OS_PATH, rawBus, SYSROOT_PATH, type RawBus } from '../../support/bus.ts';
import { parseIntrospection, type InterfaceShape } from '../../support/introspection.ts';
import { startWorld, type World } from '../../world/world.ts';

/** rpm-ostree's own interface, as a facts-only extract (provenance in its README). */
const REFERENCE = new URL('../../fixtures/rpm-ostree/org.projectatomic.rpmostree1.xml', import.meta.url);
const INTROSPECTABLE = 'org.freedesktop.DBus.Introspectable';
/** What the app calls; the stand-in must export at least these. */
const USED = {
  'org.projectatomic.rpmostree1.Sysroot': ['RegisterClient', 'UnregisterClient', 'Reload', 'GetOS'],
  'org.projectatomic.rpmostree1.OS': ['AutomaticUpdateTrigger', 'Upgrade', 'UpdateDeployment', 'Rebase', 'Deploy', 'FinalizeDeployment', 'Rollback', 'Cleanup', 'GetDeploymentsRpmDiff'],
  'org.projectatomic.rpmostree1.Transaction': ['Start', 'Cancel'],
};

function compare(exported: Map<string, InterfaceShape>, reference: Map<string, InterfaceShape>): string[] {
  const problems: string[] = [];
  for (const [name, shape] of exported) {
    if (name.startsWith('org.freedesktop.DBus.')) continue;
    const ref = reference.get(name);
    if (!ref) {
      problems.push(`interface ${name} is not in the reference`);
      continue;
    }
    for (const [method, sig] of shape.methods) {
      const want = ref.methods.get(method);
      if (!want) problems.push(`${name}.${method} is not in the reference`);
      else if (want.in !== sig.in || want.out !== sig.out) {
        problems.push(`${name}.${method} is (${sig.in})→(${sig.out}), the reference says (${want.in})→(${want.out})`);
      }
    }
    for (const [property, sig] of shape.properties) {
      const want = ref.properties.get(property);
      if (!want) problems.push(`property ${name}.${property} is not in the reference`);
      else if (want.type !== sig.type || want.access !== sig.access) {
        problems.push(`property ${name}.${property} is ${sig.type} ${sig.access}, the reference says ${want.type} ${want.access}`);
      }
    }
    for (const [signal, sig] of shape.signals) {
      const want = ref.signals.get(signal);
      if (want === undefined) problems.push(`signal ${name}.${signal} is not in the reference`);
      else if (want !== sig) problems.push(`signal ${name}.${signal} carries (${sig}), the reference says (${want})`);
    }
  }
  return problems;
}

describe('the rpm-ostreed stand-in conforms to the reference interface', () => {
  let world: World;
  let raw: RawBus;
  let reference: Map<string, InterfaceShape>;
  beforeAll(async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
    raw = await rawBus(world.systemBus.address);
    reference = parseIntrospection(await readFile(REFERENCE, 'utf8'));
  });
  afterAll(async () => {
    raw.close();
    await world.stop();
  });

  async function introspect(path: string): Promise<Map<string, InterfaceShape>> {
    const [xml] = await raw.call(path, INTROSPECTABLE, 'Introspect');
    return parseIntrospection(String(xml));
  }

  it('exports Sysroot and the OS object with the reference names and signatures', async () => {
    const sysroot = await introspect(SYSROOT_PATH);
    const os = await introspect(OS_PATH);
    expect(compare(sysroot, reference)).toEqual([]);
    expect(compare(os, reference)).toEqual([]);
    for (const method of USED['org.projectatomic.rpmostree1.Sysroot']) {
      expect(sysroot.get('org.projectatomic.rpmostree1.Sysroot')?.methods.has(method), method).toBe(true);
    }
    for (const method of USED['org.projectatomic.rpmostree1.OS']) expect(os.get(OS_IFACE)?.methods.has(method), method).toBe(true);
    // Every property the reference declares on these two interfaces is there.
    for (const iface of ['org.projectatomic.rpmostree1.Sysroot', OS_IFACE]) {
      const have = [...((iface === OS_IFACE ? os : sysroot).get(iface)?.properties.keys() ?? [])].sort();
      expect(have).toEqual([...(reference.get(iface)?.properties.keys() ?? [])].sort());
    }
  });

  it('serves the ObjectManager at the base path, listing its children', async () => {
    const base = await introspect('/org/projectatomic/rpmostree1');
    expect(base.get('org.freedesktop.DBus.ObjectManager')?.methods.get('GetManagedObjects')).toEqual({ in: '', out: 'a{oa{sa{sv}}}' });
    const [xml] = await raw.call('/org/projectatomic/rpmostree1', INTROSPECTABLE, 'Introspect');
    expect(String(xml)).toMatch(/<node name="Sysroot"\/>/);
    expect(String(xml)).toMatch(/<node name="fedora"\/>/);
  });

  it('exports the Transaction interface at / on the peer socket, complete with every signal', async () => {
    await world.host?.setFaults({ holdTransactions: true });
    const [address] = await raw.call(OS_PATH, OS_IFACE, 'Cleanup', 'as', [['repomd']]);
    const peer = await PeerConnection.open(String(address));
    try {
      const [xml] = await peer.call('/', INTROSPECTABLE, 'Introspect');
      const exported = parseIntrospection(String(xml));
      expect(compare(exported, reference)).toEqual([]);
      const transaction = exported.get('org.projectatomic.rpmostree1.Transaction');
      expect([...(transaction?.signals.keys() ?? [])].sort()).toEqual([...(reference.get('org.projectatomic.rpmostree1.Transaction')?.signals.keys() ?? [])].sort());
      for (const method of USED['org.projectatomic.rpmostree1.Transaction']) expect(transaction?.methods.has(method)).toBe(true);
    } finally {
      peer.close();
      await world.host?.clearFaults();
    }
  });
});
