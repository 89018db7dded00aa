// rpm-ostreed's exported objects as this client last saw them (Sysroot and OS properties, from
// GetManagedObjects and the daemon's signals), bounded, and the typed HostState read from them.

import type dbus from 'dbus-next';
import { HostError } from './errors.ts';
import {
  asDict,
  isWireVariant,
  parseActiveTransaction,
  parseCachedUpdate,
  parseDeployment,
  parseDeployments,
  parsePolicy,
  type HostState,
  type WireVariant,
} from './model.ts';

export const BASE_PATH = '/org/projectatomic/rpmostree1';
export const SYSROOT_PATH = `${BASE_PATH}/Sysroot`;
export const SYSROOT_IFACE = 'org.projectatomic.rpmostree1.Sysroot';
export const OS_IFACE = 'org.projectatomic.rpmostree1.OS';
export const OM_IFACE = 'org.freedesktop.DBus.ObjectManager';
const PROPS_IFACE = 'org.freedesktop.DBus.Properties';
const MAX_OBJECTS = 64;

/** What one daemon signal did to the cache; `invalidated` asks for a full re-read. */
export interface SignalEffect {
  readonly changed: boolean;
  readonly invalidated: boolean;
}

const UNCHANGED: SignalEffect = { changed: false, invalidated: false };

export class DaemonObjects {
  readonly #objects = new Map<string, Map<string, Record<string, WireVariant>>>();

  /** Replaces everything with a GetManagedObjects reply (the first MAX_OBJECTS paths of it). */
  replaceAll(managedObjects: unknown): void {
    this.#objects.clear();
    const entries = typeof managedObjects === 'object' && managedObjects !== null ? Object.entries(managedObjects).slice(0, MAX_OBJECTS) : [];
    for (const [path, interfaces] of entries) this.#setInterfaces(path, interfaces);
  }

  /** Applies one signal from the daemon (the caller has checked its sender). */
  applySignal(msg: dbus.Message): SignalEffect {
    if (msg.interface === PROPS_IFACE && msg.member === 'PropertiesChanged') {
      const [iface, changed, invalidated] = msg.body as [unknown, unknown, unknown];
      const object = this.#objects.get(msg.path);
      const props = typeof iface === 'string' ? object?.get(iface) : undefined;
      const dict = asDict(changed);
      if (!props || !dict) return UNCHANGED;
      Object.assign(props, dict);
      return { changed: true, invalidated: Array.isArray(invalidated) && invalidated.length > 0 };
    }
    if (msg.interface === OM_IFACE && msg.path === BASE_PATH) {
      const [path, second] = msg.body as [unknown, unknown];
      if (typeof path !== 'string') return UNCHANGED;
      if (msg.member === 'InterfacesAdded') {
        this.#setInterfaces(path, second);
        return { changed: true, invalidated: false };
      }
      if (msg.member === 'InterfacesRemoved' && Array.isArray(second)) {
        const object = this.#objects.get(path);
        for (const iface of second) if (typeof iface === 'string') object?.delete(iface);
        if (object?.size === 0) this.#objects.delete(path);
        return { changed: true, invalidated: false };
      }
    }
    return UNCHANGED;
  }

  /** The booted OS object's path, where every update method lives. */
  bootedOsPath(): string {
    const sysroot = this.#objects.get(SYSROOT_PATH)?.get(SYSROOT_IFACE);
    const booted = sysroot?.Booted?.value;
    if (typeof booted !== 'string' || booted === '/' || !this.#objects.has(booted)) {
      throw new HostError('unknown', 'rpm-ostreed reports no booted system (not booted into a deployment), so nothing can be updated.');
    }
    return booted;
  }

  /**
   * The typed host state, or undefined while there is no Sysroot to read. `daemonName` is the daemon's
   * unique bus name; `ownName` this connection's, to tell our own transactions from others'.
   */
  hostState(daemonName: string, ownName: string | undefined): HostState | undefined {
    const sysroot = this.#objects.get(SYSROOT_PATH)?.get(SYSROOT_IFACE);
    if (!sysroot) return undefined;
    const deployments = parseDeployments(sysroot.Deployments?.value);
    const bootedPath = sysroot.Booted?.value;
    const os = typeof bootedPath === 'string' ? this.#objects.get(bootedPath)?.get(OS_IFACE) : undefined;
    const booted = deployments.find((d) => d.booted);
    const staged = deployments.find((d) => d.staged);
    const osName = typeof os?.Name?.value === 'string' ? os.Name.value : booted?.osname;
    const first = deployments.find((d) => d.osname === osName);
    const rollbackId = parseDeployment(os?.RollbackDeployment?.value)?.id;
    const rollback = deployments.find((d) => d.id === rollbackId);
    const cachedUpdate = os?.HasCachedUpdateRpmDiff?.value === true ? parseCachedUpdate(os.CachedUpdate?.value) : undefined;
    const activeTransaction = parseActiveTransaction(sysroot.ActiveTransaction?.value, sysroot.ActiveTransactionPath?.value, ownName);
    return {
      daemon: 'running',
      daemonName,
      ...(osName !== undefined ? { osName } : {}),
      deployments,
      ...(booted ? { booted } : {}),
      ...(first && !first.booted ? { pending: first } : {}),
      ...(staged ? { staged } : {}),
      ...(rollback ? { rollback } : {}),
      ...(cachedUpdate ? { cachedUpdate } : {}),
      ...(activeTransaction ? { activeTransaction } : {}),
      automaticUpdatePolicy: parsePolicy(isWireVariant(sysroot.AutomaticUpdatePolicy) ? sysroot.AutomaticUpdatePolicy.value : undefined),
    };
  }

  #setInterfaces(path: string, interfaces: unknown): void {
    if (typeof interfaces !== 'object' || interfaces === null) return;
    for (const [iface, props] of Object.entries(interfaces)) {
      if (iface !== SYSROOT_IFACE && iface !== OS_IFACE) continue;
      const dict = asDict(props);
      if (!dict) continue;
      let object = this.#objects.get(path);
      if (!object) {
        if (this.#objects.size >= MAX_OBJECTS) return;
        object = new Map();
        this.#objects.set(path, object);
      }
      object.set(iface, { ...dict });
    }
  }
}
