// The host client's errors: a stable code for each way talking to rpm-ostreed fails, worked out from
// D-Bus error names and the daemon's own failure texts, and a message that says what to do next.

import dbus from 'dbus-next';
import { CodedError, describeError } from '../shared/errors.ts';

export type HostErrorCode =
  | 'busy'
  | 'denied'
  | 'daemon-gone'
  | 'policy-rejected'
  | 'signature-required'
  | 'image-not-found'
  | 'network'
  | 'staged-blocks-rollback'
  | 'no-rollback'
  | 'nothing-staged'
  | 'deployment-not-found'
  | 'rebooting'
  | 'cancelled'
  | 'unknown';

export class HostError extends CodedError<HostErrorCode> {
  /** What rpm-ostreed (or the bus) said, verbatim, for logs and "details" views. */
  readonly detail: string | undefined;

  constructor(code: HostErrorCode, message: string, detail?: string) {
    super(code, message);
    this.detail = detail;
  }

  override toJSON(): { code: HostErrorCode; message: string; detail?: string } {
    return { code: this.code, message: this.message, ...(this.detail !== undefined ? { detail: this.detail } : {}) };
  }
}

const GONE_NAMES = new Set([
  'org.freedesktop.DBus.Error.ServiceUnknown',
  'org.freedesktop.DBus.Error.NameHasNoOwner',
  'org.freedesktop.DBus.Error.NoReply',
  'org.freedesktop.DBus.Error.Disconnected',
  'org.freedesktop.DBus.Error.Spawn.ChildExited',
  'org.freedesktop.DBus.Error.Spawn.ExecFailed',
  'org.freedesktop.DBus.Error.Spawn.ServiceNotFound',
  'org.freedesktop.DBus.Error.TimedOut',
]);
const G_IO_ERROR = 'org.gtk.GDBus.UnmappedGError.Quark._g_2dio_2derror_2dquark.Code';
const G_IO_BUSY = 26;

/** A D-Bus error returned by a method call (not a transaction failure). `what` names the operation. */
export function errorFromDBus(name: string, text: string, what: string): HostError {
  const detail = text ? `${name}: ${text}` : name;
  if (name === `${G_IO_ERROR}${G_IO_BUSY}` || /^(System )?[Tt]ransaction in progress/.test(text)) {
    const title = /Transaction in progress: ([^\n]*)/.exec(text)?.[1];
    return new HostError(
      'busy',
      `The system is busy with another update operation${title ? ` (${title})` : ''}; wait for it to finish, or cancel it, then try to ${what} again.`,
      detail,
    );
  }
  if (name === 'org.freedesktop.DBus.Error.AccessDenied' || name === 'org.freedesktop.DBus.Error.AuthFailed') {
    return new HostError(
      'denied',
      `You are not allowed to ${what} on this machine: the administrator password was not given or polkit refused. Try again and authenticate when asked.`,
      detail,
    );
  }
  if (text.startsWith('Reboot initiated')) {
    return new HostError('rebooting', `The machine is already restarting, so it cannot ${what} now; try again after it has restarted.`, detail);
  }
  if (GONE_NAMES.has(name)) return daemonGone(what, detail);
  if (/^Deployment with id '.*' not found/s.test(text) || text === 'empty deployment ID') {
    return new HostError('deployment-not-found', `rpm-ostreed no longer has that deployment (the system changed since it was read), so it could not ${what}. Look at the status again.`, detail);
  }
  return new HostError('unknown', `rpm-ostreed could not ${what}: ${text || name}`, detail);
}

/** A D-Bus error reply as dbus-next hands it over (its class, or the same shape from elsewhere). */
export function isDBusError(error: unknown): error is { type: string; text: string } {
  return error instanceof dbus.DBusError || (typeof error === 'object' && error !== null && typeof (error as { type?: unknown }).type === 'string');
}

/** Whatever a call to rpm-ostreed threw, as a HostError; anything that is not a D-Bus reply means the daemon is gone. */
export function hostErrorOf(error: unknown, what: string): HostError {
  if (error instanceof HostError) return error;
  if (isDBusError(error)) return errorFromDBus(error.type, error.text, what);
  return daemonGone(what, describeError(error));
}

export function daemonGone(what: string, detail?: string): HostError {
  return new HostError(
    'daemon-gone',
    `rpm-ostreed, the system's update service, stopped or restarted before it could ${what}; nothing was confirmed. Check the status and try again.`,
    detail,
  );
}

export function cancelled(what: string, detail?: string): HostError {
  return new HostError('cancelled', `The operation to ${what} was cancelled; the system was left as it was.`, detail);
}

const NETWORK = [
  'pinging container registry',
  'dial tcp',
  'connection refused',
  'no such host',
  'i/o timeout',
  'TLS handshake',
  'proxyconnect',
  'network is unreachable',
  'connection reset',
  'Temporary failure in name resolution',
];
const POLICY = [
  'is rejected by policy',
  'refusing usage',
  'Source image rejected',
  'signature verification failed',
  'is not accepted',
  'invalid policy',
  'no policy',
];

/** A transaction's `Finished(false, message)`, as a coded error. `what` names the operation. */
export function errorFromFailure(message: string, what: string): HostError {
  const has = (needle: string): boolean => message.includes(needle);
  if (has('A signature was required, but no signature exists')) {
    return new HostError(
      'signature-required',
      `The system refused to ${what}: its image policy requires a signature and the image has none it can find. Nothing was changed. Check that the publisher signs this image (cosign, legacy .sig layout) and that registries.d has use-sigstore-attachments for it.`,
      message,
    );
  }
  if (has('refusing usage')) {
    return new HostError(
      'policy-rejected',
      `The system refused to ${what}: ostree-image-signed needs /etc/containers/policy.json to default to "reject" (it accepts anything now). Set up signature enforcement first, then try again.`,
      message,
    );
  }
  if (POLICY.some(has)) {
    return new HostError(
      'policy-rejected',
      `The system's image policy (/etc/containers/policy.json) refused the image, so it did not ${what}. Nothing was changed; check the policy and the image's signature.`,
      message,
    );
  }
  if (has('manifest unknown') || has('name unknown') || has('not found in manifest list') || has('no image found in image index')) {
    return new HostError('image-not-found', `The registry does not have that image (or not for this machine's architecture), so the system did not ${what}. Check the image name and tag.`, message);
  }
  if (NETWORK.some(has)) {
    return new HostError('network', `The system could not reach the image registry to ${what}. Check the network connection and try again.`, message);
  }
  if (has('Staged deployment (remove with cleanup -p)')) {
    return new HostError('staged-blocks-rollback', `An update is staged for the next boot, so the system cannot roll back; discard the staged update first, then roll back.`, message);
  }
  if (has('No rollback deployment found')) {
    return new HostError('no-rollback', 'There is no previous deployment to roll back to.', message);
  }
  if (has('No pending staged deployment found') || has('Staged deployment already unlocked')) {
    return new HostError('nothing-staged', `There is no locked staged update to ${what}; check for updates and stage one first.`, message);
  }
  if (/\bcancel(l)?ed\b/i.test(message)) return cancelled(what, message);
  if (has('Reboot initiated')) {
    return new HostError('rebooting', `The machine is already restarting, so it cannot ${what} now; try again after it has restarted.`, message);
  }
  return new HostError('unknown', `rpm-ostreed could not ${what}: ${message}`, message);
}
