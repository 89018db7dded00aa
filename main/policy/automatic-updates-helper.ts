// Host-wide automatic updates on and off, as the privileged helper's `automatic-updates` verb: the
// setting /etc/vespera-updates/automatic-updates.json, and rpm-ostree's own AutomaticUpdatePolicy held
// at `check` while it is on. Both sides compute the change from the files: the app to show it, the helper to make it.

import { execFile } from 'node:child_process';
import { sha256Text } from './plan.ts';
import { hostPathOf, type HelperTarget } from './host-files.ts';
import { applyComputed, HelperError, type ComputedChange, type HelperContext, type HelperResult } from './policy-transaction.ts';
import { automaticUpdatePolicyOf, policyWhileVerifying, withAutomaticUpdatePolicy, type AutomaticUpdatePolicy } from './rpm-ostreed-conf.ts';

export interface AutomaticUpdatesSetting {
  readonly enabled: true;
  readonly since: string;
  /** rpm-ostree's policy before we held it at check, put back when turned off (if still ours). */
  readonly rpmOstreedPolicyBefore?: AutomaticUpdatePolicy;
  readonly rpmOstreedPolicySet?: AutomaticUpdatePolicy;
}

const FORMAT = 'vespera-automatic-updates/1';
export const SETTING_TARGET: HelperTarget = { kind: 'automatic-updates' };
export const CONF_TARGET: HelperTarget = { kind: 'rpm-ostreed-conf' };
const POLICIES = ['none', 'check', 'stage', 'apply'] as const;

/** The setting, or undefined when off (absent, or anything not written by us: treated as off). */
export function parseAutomaticUpdatesSetting(text: string | null): AutomaticUpdatesSetting | undefined {
  if (text === null || text.length > 4096) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  const d = data as Record<string, unknown> | null;
  if (!d || d.format !== FORMAT || d.enabled !== true || typeof d.since !== 'string') return undefined;
  const policy = (v: unknown): AutomaticUpdatePolicy | undefined => POLICIES.find((p) => p === v);
  const before = policy(d.rpmOstreedPolicyBefore);
  const set = policy(d.rpmOstreedPolicySet);
  return { enabled: true, since: d.since, ...(before ? { rpmOstreedPolicyBefore: before } : {}), ...(set ? { rpmOstreedPolicySet: set } : {}) };
}

/** What the person reviewed: the two files as they were; the helper refuses if either changed since. */
export function automaticUpdatesFingerprint(conf: string | null, setting: string | null): string {
  return sha256Text(JSON.stringify([conf, setting]));
}

/** The files' new contents for turning automatic updates on or off, from what they hold now. */
export function automaticUpdatesChanges(on: boolean, conf: string | null, setting: string | null, now: Date): ComputedChange[] {
  const current = parseAutomaticUpdatesSetting(setting);
  const policy = automaticUpdatePolicyOf(conf);
  if (on) {
    if (current) return [];
    const held = policyWhileVerifying(policy);
    const record = { format: FORMAT, enabled: true, since: now.toISOString(), rpmOstreedPolicyBefore: policy, ...(held !== policy ? { rpmOstreedPolicySet: held } : {}) };
    return [
      { target: SETTING_TARGET, after: `${JSON.stringify(record, null, 1)}\n` },
      ...(held !== policy ? [{ target: CONF_TARGET, after: withAutomaticUpdatePolicy(conf, held) }] : []),
    ];
  }
  if (setting === null) return [];
  // Put rpm-ostree's policy back only if it is still the one we set: an administrator's later choice wins.
  const restore = current?.rpmOstreedPolicySet !== undefined && current.rpmOstreedPolicyBefore !== undefined && policy === current.rpmOstreedPolicySet;
  return [{ target: SETTING_TARGET, after: null }, ...(restore && current.rpmOstreedPolicyBefore ? [{ target: CONF_TARGET, after: withAutomaticUpdatePolicy(conf, current.rpmOstreedPolicyBefore) }] : [])];
}

function reloadRpmOstreed(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('rpm-ostree', ['reload'], { timeout: 30_000 }, (error, _stdout, stderr) => resolve(error ? (stderr.trim().split('\n')[0] ?? error.message) : undefined));
  });
}

/** The verb: turns host-wide automatic updates on or off, if the files are still as the person saw them. */
export async function setAutomaticUpdates(ctx: HelperContext, on: boolean, expected: string): Promise<HelperResult> {
  let confChanged = false;
  const result = await applyComputed(ctx, [SETTING_TARGET, CONF_TARGET], (current) => {
    const conf = current.get('rpm-ostreed-conf') ?? null;
    const setting = current.get('automatic-updates') ?? null;
    if (automaticUpdatesFingerprint(conf, setting) !== expected) {
      throw new HelperError('helper-stale-plan', `Nothing was changed: ${hostPathOf(CONF_TARGET)} or ${hostPathOf(SETTING_TARGET)} changed since the change was shown. Look at it again, then confirm.`);
    }
    let changes: ComputedChange[];
    try {
      changes = automaticUpdatesChanges(on, conf, setting, new Date());
    } catch (error) {
      throw new HelperError('helper-refused-input', `Refused, nothing was changed: ${(error as Error).message}`);
    }
    confChanged = changes.some((c) => c.target.kind === 'rpm-ostreed-conf');
    return changes;
  });
  const state = on ? 'Automatic updates are on: the vespera-updates-automatic timer stages verified updates.' : 'Automatic updates are off.';
  if (result.changed.length === 0) return { ...result, message: `${state} Nothing needed changing.` };
  // rpm-ostreed reads its configuration at start and on reload; only on a real host is there one to tell.
  const reloadProblem = confChanged && ctx.root === '/' ? await reloadRpmOstreed() : undefined;
  const reload = reloadProblem ? ` rpm-ostree did not reload its configuration (${reloadProblem}); run: rpm-ostree reload` : '';
  return { ...result, message: `${state} ${result.message}${reload}` };
}
