// The coded error every failure to show a notification becomes, and its messages: what happened to
// the session bus or the notification server, and what the person can do about it.

import dbus from 'dbus-next';
import { CodedError, describeError } from '../shared/errors.ts';

export type NotifyErrorCode = 'no-session-bus' | 'no-server' | 'server-refused' | 'bad-reply' | 'timeout' | 'closed' | 'invalid-notice';

export class NotifyError extends CodedError<NotifyErrorCode> {}

export function asNotifyError(error: unknown, what: string): NotifyError {
  if (error instanceof NotifyError) return error;
  if (error instanceof CodedError && error.code === 'timeout') {
    return new NotifyError('timeout', `${what} did not answer in time; notifications are paused until it responds. If this keeps happening, restart your desktop session.`, { cause: error });
  }
  if (error instanceof dbus.DBusError) {
    if (error.type === 'org.freedesktop.DBus.Error.ServiceUnknown' || error.type === 'org.freedesktop.DBus.Error.NameHasNoOwner') {
      return noServer(error);
    }
    return new NotifyError('server-refused', `${what} refused the request (${error.type}: ${error.text}); if notifications stay missing, check the desktop's notification settings for Vespera Updates.`, { cause: error });
  }
  return new NotifyError('server-refused', `${what} could not be reached (${describeError(error)}); notifications are paused until it can.`, { cause: error });
}

export function noServer(cause?: unknown): NotifyError {
  return new NotifyError(
    'no-server',
    'No notification server is running in this desktop session, so Vespera Updates cannot show notifications; the window and tray icon still show the state, and notices appear as soon as a notification server starts.',
    cause === undefined ? undefined : { cause },
  );
}

export function noSessionBus(detail: string): NotifyError {
  return new NotifyError('no-session-bus', `Vespera Updates cannot reach the desktop session's message bus (${detail}), so it cannot show notifications; start it from within your desktop session.`);
}

export function badReply(member: string, what: string): NotifyError {
  return new NotifyError('bad-reply', `The notification server answered ${member} with ${what}, which the Desktop Notifications Specification does not allow; notifications are off until a conforming server runs.`);
}
