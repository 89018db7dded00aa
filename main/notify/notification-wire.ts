// The Desktop Notifications Specification on the wire: the bus names, paths and numeric codes, and
// the checks every reply from the server passes (signature, lengths, id range) before it is used.

import type dbus from 'dbus-next';
import type { CloseReason, Urgency } from './notification-model.ts';
import { badReply } from './notify-errors.ts';

export const NAME = 'org.freedesktop.Notifications';
export const PATH = '/org/freedesktop/Notifications';
export const BUS_NAME = 'org.freedesktop.DBus';
export const BUS_PATH = '/org/freedesktop/DBus';
export const URGENCY: Record<Urgency, number> = { low: 0, normal: 1, critical: 2 };
export const CLOSE_REASONS: Record<number, CloseReason> = { 1: 'expired', 2: 'dismissed', 3: 'closed-by-app', 4: 'undefined' };
const MAX_CAPABILITIES = 64;
const MAX_SHORT_STRING = 256;
const UINT32_MAX = 0xffff_ffff;

export function expectReply(reply: dbus.Message | null, signature: string, member: string): unknown[] {
  if (!reply || reply.signature !== signature || !Array.isArray(reply.body)) {
    throw badReply(member, `signature "${reply?.signature ?? 'none'}" instead of "${signature}"`);
  }
  return reply.body as unknown[];
}

export function parseCapabilities(value: unknown): ReadonlySet<string> {
  if (!Array.isArray(value) || value.length > MAX_CAPABILITIES) throw badReply('GetCapabilities', 'a capability list that is not a short list of names');
  return new Set(value.map((c) => shortString(c, 'GetCapabilities')));
}

export function shortString(value: unknown, member: string): string {
  if (typeof value !== 'string' || value.length > MAX_SHORT_STRING) throw badReply(member, 'a string that is missing or too long');
  return value;
}

export function isNotificationId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= UINT32_MAX;
}
