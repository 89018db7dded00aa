// What Vespera Updates tells people in desktop notifications: the notices, their words, buttons and
// urgency, in one place so the tray, the CLI and the notifications say the same thing.
// Text that came from outside (versions, signer names, error reasons) is cleaned before it is shown.

import { escapeMarkup, oneLine } from '../shared/display-text.ts';
import { isSha256Digest, type Sha256Digest } from '../shared/image-reference.ts';
import type { NotificationButton, NotificationContent, Urgency } from './desktop-notifications.ts';

export { escapeMarkup, oneLine };

/** Something the app wants to tell the person. */
export type Notice =
  | {
      readonly kind: 'update-ready';
      /** Manifest digest of the verified image that the next boot will use. */
      readonly digest: Sha256Digest;
      /** The image's version label, e.g. `42.20261125.0`. */
      readonly version: string;
      /** Who signed it, as the trust layer describes it: `github.com/acme/vespera (main)`. */
      readonly signedBy: string;
      /** The headline package changes in one line: `kernel 6.17.8 → 6.17.9, NVIDIA 580.95.05 → 580.105.08, 20 more`. */
      readonly changes?: string;
    }
  | {
      readonly kind: 'verification-failed';
      readonly digest: Sha256Digest;
      /** One sentence on what failed, from the trust layer's error message. */
      readonly reason: string;
      readonly version?: string;
    }
  | {
      readonly kind: 'unverified-host';
      /** The image reference the host follows without signature checks. */
      readonly image: string;
    };

export type NoticeKind = Notice['kind'];
export const NOTICE_KINDS: readonly NoticeKind[] = ['update-ready', 'verification-failed', 'unverified-host'];

/** What a button on a notice asks the app to do. */
export type NoticeAction = 'restart' | 'details';

export const ACTION_LABELS: Readonly<Record<NoticeAction, string>> = {
  restart: 'Restart now',
  details: 'Details',
};

/** Words of one notice, before they are fitted to a server: `strong` runs are bold where possible. */
export interface NoticeText {
  readonly summary: string;
  readonly body: ReadonlyArray<string | { readonly strong: string }>;
  readonly actions: readonly NoticeAction[];
  readonly urgency: Urgency;
}

/** What a notice is about: the digest for update notices, the image for the host notice. */
export function noticeSubject(notice: Notice): string {
  return notice.kind === 'unverified-host' ? notice.image : notice.digest;
}

/** Why a notice cannot be shown as given, or undefined when it is well formed. */
export function noticeProblem(notice: Notice): string | undefined {
  if (notice.kind === 'unverified-host') {
    return notice.image.length > 0 && notice.image.length <= 1024 ? undefined : 'its image reference is empty or too long';
  }
  return isSha256Digest(notice.digest) ? undefined : `"${String(notice.digest).slice(0, 80)}" is not a sha256 digest`;
}

/**
 * The words for `notice`. With `buttons` false (a server without actions) the body says where to go
 * instead, since nothing on the notice can be pressed.
 */
export function noticeText(notice: Notice, buttons: boolean): NoticeText {
  switch (notice.kind) {
    case 'update-ready':
      return {
        summary: 'Signed update ready',
        body: [
          'Version ',
          { strong: oneLine(notice.version, 64) },
          ` is ready. Its signature checks out: signed by ${oneLine(notice.signedBy, 200)}.\n`,
          ...(notice.changes ? [`Changes: ${oneLine(notice.changes, 160)}.\n`] : []),
          buttons ? 'Restart now to start using it.' : 'Open Vespera Updates and choose Restart now to start using it.',
        ],
        actions: ['restart', 'details'],
        urgency: 'normal',
      };
    case 'verification-failed':
      return {
        summary: 'Update failed its signature check',
        body: [
          'The update ',
          { strong: notice.version === undefined ? shortDigest(notice.digest) : oneLine(notice.version, 64) },
          ` could not be verified: ${paragraph(notice.reason, 400)}\n`,
          'Do not restart into it. ',
          buttons ? 'Open Details to see what failed and what to do.' : 'Open Vespera Updates to see what failed and what to do.',
        ],
        actions: ['details'],
        urgency: 'critical',
      };
    case 'unverified-host':
      return {
        summary: 'Updates on this computer are not verified',
        body: [
          'This computer follows ',
          { strong: oneLine(notice.image, 200) },
          ', and nothing checks who signed its updates. ',
          buttons ? 'Open Details to switch to signature-checked updates.' : 'Open Vespera Updates to switch to signature-checked updates.',
        ],
        actions: ['details'],
        urgency: 'normal',
      };
  }
}

const CATEGORY: Readonly<Record<NoticeKind, string>> = {
  'update-ready': 'x-vespera.update.ready',
  'verification-failed': 'x-vespera.update.failed',
  'unverified-host': 'x-vespera.host.unverified',
};

/** The app's icon name in the icon theme (build/ installs it). */
export const NOTICE_ICON = 'vespera-updates';

/**
 * The notification for `notice` on a server with `capabilities`, and which button key means which
 * action. Clicking the notification itself (`default`) opens the details.
 */
export function noticeNotification(
  notice: Notice,
  capabilities: ReadonlySet<string>,
): { content: NotificationContent; actionsByKey: ReadonlyMap<string, NoticeAction> } {
  const buttons = capabilities.has('actions');
  const text = noticeText(notice, buttons);
  // Servers with body-markup parse every body as markup, so outside text must be escaped there.
  const markup = capabilities.has('body-markup');
  const body = text.body
    .map((run) => (typeof run === 'string' ? (markup ? escapeMarkup(run) : run) : markup ? `<b>${escapeMarkup(run.strong)}</b>` : run.strong))
    .join('');
  const actionsByKey = new Map<string, NoticeAction>(text.actions.map((a) => [a, a]));
  actionsByKey.set('default', 'details');
  const shown: NotificationButton[] = [
    { key: 'default', label: ACTION_LABELS.details },
    ...text.actions.map((a) => ({ key: a, label: ACTION_LABELS[a] })),
  ];
  return {
    content: {
      summary: text.summary,
      body,
      buttons: shown,
      urgency: text.urgency,
      category: CATEGORY[notice.kind],
      icon: NOTICE_ICON,
      // A failure stays until the person has seen it; the rest follow the desktop's own timing.
      expireTimeoutMs: text.urgency === 'critical' ? 0 : -1,
    },
    actionsByKey,
  };
}

export function shortDigest(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12);
}

/** Like oneLine, for a sentence or two; a missing final full stop is added. */
function paragraph(text: string, max: number): string {
  const line = oneLine(text, max);
  return line === '' || /[.!?…]$/.test(line) ? line : `${line}.`;
}
