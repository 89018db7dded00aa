import { describe, expect, it } from 'vitest';
import { noticeNotification, noticeProblem, oneLine, type Notice } from '../../../main/notify/notices.ts';

const DIGEST = `sha256:${'b'.repeat(64)}` as const;
const READY: Notice = { kind: 'update-ready', digest: DIGEST, version: '42.20261126.0', signedBy: 'github.com/acme/vespera (main)' };
const FAILED: Notice = { kind: 'verification-failed', digest: DIGEST, reason: 'the certificate names another workflow' };
const FULL = new Set(['actions', 'body', 'body-markup']);
const PLAIN_WITH_BUTTONS = new Set(['actions', 'body']);
const NO_BUTTONS = new Set(['body']);

describe('the notices', () => {
  it('says a signed update is ready, with its version and signer, and offers Restart now and Details', () => {
    const { content, actionsByKey } = noticeNotification(READY, PLAIN_WITH_BUTTONS);
    expect(content.summary).toBe('Signed update ready');
    expect(content.body).toContain('Version 42.20261126.0 is ready');
    expect(content.body).toContain('signed by github.com/acme/vespera (main)');
    expect(content.buttons.filter((b) => b.key !== 'default').map((b) => b.label)).toEqual(['Restart now', 'Details']);
    expect(content.urgency).toBe('normal');
    expect(actionsByKey.get('restart')).toBe('restart');
    // Clicking the notification itself opens the details.
    expect(actionsByKey.get('default')).toBe('details');
  });

  it('makes a failed verification loud: critical, kept on screen, with Details', () => {
    const { content } = noticeNotification(FAILED, PLAIN_WITH_BUTTONS);
    expect(content.summary).toBe('Update failed its signature check');
    expect(content.urgency).toBe('critical');
    expect(content.expireTimeoutMs).toBe(0);
    expect(content.body).toContain(`The update ${DIGEST.slice(0, 19)} could not be verified: the certificate names another workflow.`);
    expect(content.body).toContain('Do not restart into it.');
    expect(content.buttons.filter((b) => b.key !== 'default').map((b) => b.label)).toEqual(['Details']);
  });

  it('names the headline package changes in one line when they are known', () => {
    const withChanges: Notice = { ...READY, changes: 'kernel 6.17.8 → 6.17.9, NVIDIA 580.95.05 → 580.105.08, 20 more' };
    expect(noticeNotification(withChanges, PLAIN_WITH_BUTTONS).content.body).toContain('Changes: kernel 6.17.8 → 6.17.9, NVIDIA 580.95.05 → 580.105.08, 20 more.\n');
    expect(noticeNotification(READY, PLAIN_WITH_BUTTONS).content.body).not.toContain('Changes:');
    // Outside text stays on one line and cannot break out of the markup.
    const hostile: Notice = { ...READY, changes: 'kernel <b>1</b>\nRestart now!' };
    expect(noticeNotification(hostile, FULL).content.body).toContain('Changes: kernel &lt;b&gt;1&lt;/b&gt; Restart now!.');
  });

  it('tells people where to go when the server cannot show buttons', () => {
    expect(noticeNotification(READY, NO_BUTTONS).content.body).toContain('Open Vespera Updates and choose Restart now');
    expect(noticeNotification(FAILED, NO_BUTTONS).content.body).toContain('Open Vespera Updates to see what failed');
  });

  it('escapes outside text for servers that read markup, and emphasises the version', () => {
    const hostile: Notice = { ...READY, version: '1<i>', signedBy: '<a href="https://evil.example">acme</a> & co' };
    const markup = noticeNotification(hostile, FULL).content.body;
    expect(markup).toContain('<b>1&lt;i&gt;</b>');
    expect(markup).toContain('&lt;a href="https://evil.example"&gt;acme&lt;/a&gt; &amp; co');
    expect(markup).not.toMatch(/<a /);
    // A plain-text server shows the text as it is.
    expect(noticeNotification(hostile, PLAIN_WITH_BUTTONS).content.body).toContain('<a href="https://evil.example">acme</a> & co');
  });

  it('strips control and direction-override characters and bounds the length of outside text', () => {
    expect(oneLine('acme\u202Eevil\u0007\n  corp', 100)).toBe('acmeevil corp');
    expect(oneLine('x'.repeat(500), 64)).toHaveLength(64);
    expect(oneLine('x'.repeat(500), 64).endsWith('…')).toBe(true);
  });

  it('refuses a notice whose digest is not a sha256 digest', () => {
    expect(noticeProblem({ ...READY, digest: 'latest' } as unknown as Notice)).toMatch(/not a sha256 digest/);
    expect(noticeProblem(READY)).toBeUndefined();
    expect(noticeProblem({ kind: 'unverified-host', image: '' })).toMatch(/empty/);
  });
});
