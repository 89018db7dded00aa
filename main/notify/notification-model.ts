// What the app and the notification server exchange, in the app's terms: a notification's content and
// buttons, the server and its capabilities (availability), and the events a person's actions raise.

import type { NotifyError } from './notify-errors.ts';

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
