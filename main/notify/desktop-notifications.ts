// The app's own connection to the desktop's notification server (org.freedesktop.Notifications on the
// session bus): whether one is there and what it can show, Notify/CloseNotification, and typed events.
//
// Electron's Notification cannot carry buttons on Linux, so this speaks the Desktop Notifications
// Specification 1.2 directly. Everything the server sends is checked: replies by signature and range,
// signals by sender (only the current owner of the name), by id (only notifications sent from here)
// and by action key (only keys this client offered).

import dbus from 'dbus-next';
import { withTimeout } from '../shared/bounded.ts';
import { withoutControls } from '../shared/display-text.ts';
import { CodedError, describeError } from '../shared/errors.ts';
import { Listeners } from './listeners.ts';

export type NotifyErrorCode = 'no-session-bus' | 'no-server' | 'server-refused' | 'bad-reply' | 'timeout' | 'closed' | 'invalid-notice';

export class NotifyError extends CodedError<NotifyErrorCode> {}

export type Urgency = 'low' | 'normal' | 'critical';

export interface NotificationButton {
  /** Reported back in ActionInvoked; `default` is a click on the notification itself. */
  readonly key: string;
  readonly label: string;
}

export interface NotificationContent {
  readonly summary: string;
  /** Plain text, or markup already escaped when the server has `body-markup`. */
  readonly body: string;
  readonly buttons: readonly NotificationButton[];
  readonly urgency: Urgency;
  /** `x-vendor.class.name` or one of the spec's categories. */
  readonly category?: string;
  /** Icon name from the icon theme. */
  readonly icon?: string;
  /** Milliseconds; -1 lets the server decide, 0 keeps it until the person acts. */
  readonly expireTimeoutMs?: number;
}

export interface ServerInfo {
  readonly name: string;
  readonly vendor: string;
  readonly version: string;
  readonly specVersion: string;
}

export type Availability =
  | { readonly status: 'available'; readonly server: ServerInfo; readonly capabilities: ReadonlySet<string> }
  | { readonly status: 'unavailable'; readonly error: NotifyError };

/** A person pressed a button (or clicked the notification: `default`) on a notification sent from here. */
export interface ActionEvent {
  readonly id: number;
  readonly actionKey: string;
  /** XDG activation token the server gave for this press, to raise a window without focus stealing. */
  readonly activationToken?: string;
}

export type CloseReason = 'expired' | 'dismissed' | 'closed-by-app' | 'undefined';

export interface ClosedEvent {
  readonly id: number;
  readonly reason: CloseReason;
}

export interface DesktopNotificationsOptions {
  /** Session bus address; defaults to DBUS_SESSION_BUS_ADDRESS from `env`. */
  readonly busAddress?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Shown by servers as the sender. */
  readonly appName?: string;
  /** Basename of the app's .desktop file, so the desktop can group and theme the notices. */
  readonly desktopEntry?: string;
  /** Deadline for each call to the bus or the server. */
  readonly callTimeoutMs?: number;
}

const NAME = 'org.freedesktop.Notifications';
const PATH = '/org/freedesktop/Notifications';
const BUS_NAME = 'org.freedesktop.DBus';
const BUS_PATH = '/org/freedesktop/DBus';
const URGENCY: Record<Urgency, number> = { low: 0, normal: 1, critical: 2 };
const CLOSE_REASONS: Record<number, CloseReason> = { 1: 'expired', 2: 'dismissed', 3: 'closed-by-app', 4: 'undefined' };
const MAX_CAPABILITIES = 64;
const MAX_SHORT_STRING = 256;
const MAX_TOKEN = 4096;
// Servers that never report closing (persistence without NotificationClosed) must not grow this forever.
const MAX_TRACKED = 256;
const UINT32_MAX = 0xffff_ffff;

interface Sent {
  readonly actionKeys: ReadonlySet<string>;
  activationToken?: string;
}

type Internal =
  | { status: 'available'; server: ServerInfo; capabilities: ReadonlySet<string>; owner: string }
  | { status: 'unavailable'; error: NotifyError };

export class DesktopNotifications {
  readonly #bus: dbus.MessageBus | undefined;
  readonly #appName: string;
  readonly #desktopEntry: string;
  readonly #timeoutMs: number;
  #state: Internal;
  #probing: Promise<void> | undefined;
  #probeAgain = false;
  #closed = false;
  /** Notifications sent to the current server, by id. */
  readonly #sent = new Map<number, Sent>();
  readonly #actions = new Listeners<ActionEvent>();
  readonly #closes = new Listeners<ClosedEvent>();
  readonly #availability = new Listeners<Availability>();

  private constructor(bus: dbus.MessageBus | undefined, state: Internal, options: DesktopNotificationsOptions) {
    this.#bus = bus;
    this.#state = state;
    this.#appName = options.appName ?? 'Vespera Updates';
    this.#desktopEntry = options.desktopEntry ?? 'vespera-updates';
    this.#timeoutMs = options.callTimeoutMs ?? 5000;
  }

  /**
   * Connects to the session bus and looks for a notification server. Never rejects: without a bus
   * or a server the result is `unavailable` with the reason, and it turns `available` by itself when
   * a server takes the name later.
   */
  static async connect(options: DesktopNotificationsOptions = {}): Promise<DesktopNotifications> {
    const env = options.env ?? process.env;
    const address = options.busAddress ?? env.DBUS_SESSION_BUS_ADDRESS;
    const timeoutMs = options.callTimeoutMs ?? 5000;
    if (!address) {
      return new DesktopNotifications(undefined, { status: 'unavailable', error: noSessionBus('DBUS_SESSION_BUS_ADDRESS is not set') }, options);
    }
    let bus: dbus.MessageBus;
    try {
      bus = dbus.sessionBus({ busAddress: address });
    } catch (error) {
      return new DesktopNotifications(undefined, { status: 'unavailable', error: noSessionBus(describeError(error)) }, options);
    }
    const client = new DesktopNotifications(bus, { status: 'unavailable', error: noServer() }, options);
    try {
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          bus.once('connect', () => resolve());
          bus.once('error', reject);
        }),
        timeoutMs,
        'The session bus',
      );
    } catch (error) {
      bus.disconnect();
      client.#closed = true;
      client.#state = { status: 'unavailable', error: noSessionBus(describeError(error)) };
      return client;
    }
    bus.on('error', (error) => client.#lostBus(error));
    bus.on('message', (message) => {
      // Handled after the current batch of messages: a Notify reply and a signal about the new id
      // can arrive in one read, and the id must be recorded (in the reply's continuation) first.
      if (message.type === dbus.MessageType.SIGNAL) setImmediate(() => client.#onSignal(message));
    });
    try {
      await client.#busCall('AddMatch', 's', [`type='signal',sender='${BUS_NAME}',path='${BUS_PATH}',interface='${BUS_NAME}',member='NameOwnerChanged',arg0='${NAME}'`]);
      await client.#busCall('AddMatch', 's', [`type='signal',sender='${NAME}',path='${PATH}',interface='${NAME}'`]);
    } catch (error) {
      bus.disconnect();
      client.#closed = true;
      client.#state = { status: 'unavailable', error: asNotifyError(error, 'The session bus') };
      return client;
    }
    await client.#probe();
    return client;
  }

  get availability(): Availability {
    const state = this.#state;
    return state.status === 'available'
      ? { status: 'available', server: state.server, capabilities: state.capabilities }
      : state;
  }

  /** Capabilities of the current server; empty while none is there. */
  get capabilities(): ReadonlySet<string> {
    return this.#state.status === 'available' ? this.#state.capabilities : new Set();
  }

  /**
   * The availability, looking for a server again first when there was none: a server may be D-Bus
   * activatable (started by the first call), or may have come back without us noticing yet.
   */
  async ready(): Promise<Availability> {
    if (this.#state.status === 'unavailable' && !this.#closed) await this.#probe();
    return this.availability;
  }

  onAvailability(callback: (availability: Availability) => void): () => void {
    return this.#availability.add(callback);
  }

  onAction(callback: (event: ActionEvent) => void): () => void {
    return this.#actions.add(callback);
  }

  onClosed(callback: (event: ClosedEvent) => void): () => void {
    return this.#closes.add(callback);
  }

  /**
   * Shows a notification, or updates `replaces` in place when it is one of ours still on screen.
   * Buttons are sent only to a server that advertises `actions`. Resolves with the server's id.
   */
  async show(content: NotificationContent, options: { replaces?: number } = {}): Promise<number> {
    await this.ready();
    const state = this.#state;
    if (state.status === 'unavailable') throw state.error;
    const buttons = state.capabilities.has('actions') ? content.buttons : [];
    const hints: Record<string, dbus.Variant> = {
      urgency: new dbus.Variant('y', URGENCY[content.urgency]),
      'desktop-entry': new dbus.Variant('s', this.#desktopEntry),
    };
    if (content.category) hints.category = new dbus.Variant('s', content.category);
    const replaces = options.replaces !== undefined && this.#sent.has(options.replaces) ? options.replaces : 0;
    const reply = await this.#serverCall('Notify', 'susssasa{sv}i', [
      this.#appName,
      replaces,
      content.icon ?? '',
      // The last line of defence: nothing that reaches the desktop carries control characters.
      withoutControls(content.summary),
      withoutControls(content.body),
      buttons.flatMap((b) => [b.key, withoutControls(b.label)]),
      hints,
      content.expireTimeoutMs ?? -1,
    ]);
    const id = expectReply(reply, 'u', 'Notify')[0];
    if (!isNotificationId(id)) throw badReply('Notify', `an id of ${String(id)}`);
    if (replaces !== 0 && id !== replaces) this.#sent.delete(replaces);
    this.#sent.delete(id);
    this.#sent.set(id, { actionKeys: new Set(buttons.map((b) => b.key)) });
    if (this.#sent.size > MAX_TRACKED) this.#sent.delete(this.#sent.keys().next().value as number);
    return id;
  }

  /** Takes a notification sent from here off the screen; one already gone is not an error. */
  async close(id: number): Promise<void> {
    if (!this.#sent.has(id) || this.#state.status !== 'available') return;
    try {
      await this.#serverCall('CloseNotification', 'u', [id]);
    } catch (error) {
      // The spec has servers answer an error for an id that is no longer showing: that is success here.
      if (!(error instanceof NotifyError && error.code === 'server-refused')) throw error;
      this.#sent.delete(id);
    }
  }

  /** Ends the connection; the client is unavailable afterwards. */
  disconnect(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#bus?.disconnect();
    this.#setState({ status: 'unavailable', error: new NotifyError('closed', 'The notification connection was closed by Vespera Updates; restart the app to show notifications again.') });
    this.#actions.clear();
    this.#closes.clear();
    this.#availability.clear();
  }

  // ---- the server's presence ----

  /** Asks the name's current owner what it is; coalesces overlapping requests. */
  #probe(): Promise<void> {
    if (this.#probing) {
      this.#probeAgain = true;
      return this.#probing;
    }
    this.#probing = (async () => {
      do {
        this.#probeAgain = false;
        this.#setState(await this.#inspectServer());
      } while (this.#probeAgain && !this.#closed);
    })().finally(() => {
      this.#probing = undefined;
    });
    return this.#probing;
  }

  async #inspectServer(): Promise<Internal> {
    if (this.#closed) return this.#state;
    try {
      // GetCapabilities first: calling the name starts an activatable server, and the reply's sender
      // is the unique name whose signals count from now on.
      const capsReply = await this.#serverCall('GetCapabilities');
      const owner = capsReply?.sender;
      if (typeof owner !== 'string' || !owner.startsWith(':')) throw badReply('GetCapabilities', 'no sender');
      const capabilities = parseCapabilities(expectReply(capsReply, 'as', 'GetCapabilities')[0]);
      const info = expectReply(await this.#serverCall('GetServerInformation'), 'ssss', 'GetServerInformation');
      const [name, vendor, version, specVersion] = info.map((v) => shortString(v, 'GetServerInformation'));
      return { status: 'available', owner, capabilities, server: { name: name ?? '', vendor: vendor ?? '', version: version ?? '', specVersion: specVersion ?? '' } };
    } catch (error) {
      return { status: 'unavailable', error: asNotifyError(error, 'The notification server') };
    }
  }

  #setState(next: Internal): void {
    const previous = this.#state;
    this.#state = next;
    const sameServer = previous.status === 'available' && next.status === 'available' && previous.owner === next.owner;
    // Ids belong to one server run: a new server starts over and knows nothing of ours.
    if (!sameServer) this.#sent.clear();
    const changed =
      previous.status !== next.status ||
      (next.status === 'available' && !sameServer) ||
      (previous.status === 'unavailable' && next.status === 'unavailable' && previous.error.code !== next.error.code);
    if (changed) this.#availability.emit(this.availability);
  }

  #lostBus(error: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#bus?.disconnect();
    this.#setState({ status: 'unavailable', error: noSessionBus(`the connection failed: ${describeError(error)}`) });
  }

  // ---- signals ----

  #onSignal(message: dbus.Message): void {
    if (this.#closed) return;
    if (message.sender === BUS_NAME && message.path === BUS_PATH && message.interface === BUS_NAME && message.member === 'NameOwnerChanged') {
      if (message.signature !== 'sss') return;
      const [name, , newOwner] = message.body as unknown[];
      if (name !== NAME) return;
      if (newOwner === '') this.#setState({ status: 'unavailable', error: noServer() });
      else void this.#probe();
      return;
    }
    const state = this.#state;
    // Anyone on the session bus can emit a signal with this interface; only the server's count.
    if (message.path !== PATH || message.interface !== NAME || state.status !== 'available' || message.sender !== state.owner) return;
    const body = message.body as unknown[];
    const id = body[0];
    if (!isNotificationId(id)) return;
    const sent = this.#sent.get(id);
    if (!sent) return;
    if (message.member === 'ActionInvoked' && message.signature === 'us') {
      const key = body[1];
      if (typeof key !== 'string' || !sent.actionKeys.has(key)) return;
      const token = sent.activationToken;
      delete sent.activationToken;
      this.#actions.emit(token === undefined ? { id, actionKey: key } : { id, actionKey: key, activationToken: token });
    } else if (message.member === 'ActivationToken' && message.signature === 'us') {
      const token = body[1];
      // Tokens are opaque printable strings (X11 startup ids, xdg-activation tokens).
      if (typeof token === 'string' && token.length > 0 && token.length <= MAX_TOKEN && /^[\x21-\x7e]+$/.test(token)) {
        sent.activationToken = token;
      }
    } else if (message.member === 'NotificationClosed' && message.signature === 'uu') {
      const reason = body[1];
      this.#sent.delete(id);
      this.#closes.emit({ id, reason: (typeof reason === 'number' ? CLOSE_REASONS[reason] : undefined) ?? 'undefined' });
    }
  }

  // ---- calls ----

  async #serverCall(member: string, signature = '', body: unknown[] = []): Promise<dbus.Message | null> {
    return this.#call(new dbus.Message({ destination: NAME, path: PATH, interface: NAME, member, signature, body }), 'The notification server');
  }

  async #busCall(member: string, signature: string, body: unknown[]): Promise<dbus.Message | null> {
    return this.#call(new dbus.Message({ destination: BUS_NAME, path: BUS_PATH, interface: BUS_NAME, member, signature, body }), 'The session bus');
  }

  async #call(message: dbus.Message, what: string): Promise<dbus.Message | null> {
    if (!this.#bus || this.#closed) throw this.#state.status === 'unavailable' ? this.#state.error : noServer();
    try {
      return await withTimeout(this.#bus.call(message), this.#timeoutMs, what);
    } catch (error) {
      throw asNotifyError(error, what);
    }
  }
}

// ---- parsing what the server says ----

function expectReply(reply: dbus.Message | null, signature: string, member: string): unknown[] {
  if (!reply || reply.signature !== signature || !Array.isArray(reply.body)) {
    throw badReply(member, `signature "${reply?.signature ?? 'none'}" instead of "${signature}"`);
  }
  return reply.body as unknown[];
}

function parseCapabilities(value: unknown): ReadonlySet<string> {
  if (!Array.isArray(value) || value.length > MAX_CAPABILITIES) throw badReply('GetCapabilities', 'a capability list that is not a short list of names');
  return new Set(value.map((c) => shortString(c, 'GetCapabilities')));
}

function shortString(value: unknown, member: string): string {
  if (typeof value !== 'string' || value.length > MAX_SHORT_STRING) throw badReply(member, 'a string that is missing or too long');
  return value;
}

function isNotificationId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= UINT32_MAX;
}

function asNotifyError(error: unknown, what: string): NotifyError {
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

function noServer(cause?: unknown): NotifyError {
  return new NotifyError(
    'no-server',
    'No notification server is running in this desktop session, so Vespera Updates cannot show notifications; the window and tray icon still show the state, and notices appear as soon as a notification server starts.',
    cause === undefined ? undefined : { cause },
  );
}

function noSessionBus(detail: string): NotifyError {
  return new NotifyError('no-session-bus', `Vespera Updates cannot reach the desktop session's message bus (${detail}), so it cannot show notifications; start it from within your desktop session.`);
}

function badReply(member: string, what: string): NotifyError {
  return new NotifyError('bad-reply', `The notification server answered ${member} with ${what}, which the Desktop Notifications Specification does not allow; notifications are off until a conforming server runs.`);
}
