// Host-wide automatic updates: what turning them on or off changes (shown as a diff first), and the
// run the root service makes from its timer: check, verify, stage finalization-locked, with journal
// lines that say what it decided and why, and a record the tray and `status` show afterwards.

import { automaticUpdatesChanges, automaticUpdatesFingerprint, CONF_TARGET, parseAutomaticUpdatesSetting, SETTING_TARGET, type AutomaticUpdatesSetting } from '../policy/automatic-updates-helper.ts';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { diskPathOf, hostPathOf, type PolicyPaths } from '../policy/host-files.ts';
import { automaticUpdatePolicyOf, MAX_RPM_OSTREED_CONF_BYTES, type AutomaticUpdatePolicy } from '../policy/rpm-ostreed-conf.ts';
import { unifiedDiff } from '../policy/unified-diff.ts';
import { formatDockerReference } from '../shared/image-reference.ts';
import { isTrustFailureCode, isVerified, verdictOfCode } from '../trust/index.ts';
import { ImageChecks, imageOf } from './image-checks.ts';
import type { FlowSession } from './session.ts';
import { brokenPolicy } from './enforcement.ts';
import { UpdateWatch } from './update-watch.ts';
import { writeAtomically } from '../policy/safe-files.ts';
import { automaticRunRecordPath, readAutomaticRunRecord, readOptional, type AutomaticRunOutcome, type AutomaticRunRecord } from './automatic-run-record.ts';

export interface AutomaticUpdatesState {
  readonly setting?: AutomaticUpdatesSetting;
  /** rpm-ostree's own AutomaticUpdatePolicy as /etc/rpm-ostreed.conf sets it. */
  readonly rpmOstreedPolicy: AutomaticUpdatePolicy;
  readonly lastRun?: AutomaticRunRecord;
}

export interface AutomaticUpdatesPlan {
  readonly on: boolean;
  /** Unified diff of every file the helper will change; empty when nothing changes. */
  readonly diff: string;
  readonly changed: readonly string[];
  /** Handed to the helper, which refuses if the files changed since this plan was shown. */
  readonly expect: string;
}

/** Journal priorities (sd-daemon's `<N>` prefixes on a service's output). */
const PRIORITY = { err: 3, warning: 4, notice: 5, info: 6 } as const;
export type JournalLine = (priority: keyof typeof PRIORITY, text: string) => void;

/** A journal writer for a stream systemd reads: one `<N>`-prefixed line per message. */
export function journalTo(stream: NodeJS.WritableStream): JournalLine {
  return (priority, text) => stream.write(`<${PRIORITY[priority]}>${text.replaceAll('\n', ' ')}\n`);
}

async function readFiles(paths: PolicyPaths): Promise<{ conf: string | null; setting: string | null }> {
  return {
    conf: await readOptional(diskPathOf(paths, CONF_TARGET), MAX_RPM_OSTREED_CONF_BYTES),
    setting: await readOptional(diskPathOf(paths, SETTING_TARGET), 4096),
  };
}

export async function automaticUpdatesState(session: Pick<FlowSession, 'policy' | 'helperSite' | 'hostStateDir'>): Promise<AutomaticUpdatesState> {
  const { conf, setting } = await readFiles(session.policy);
  const parsed = parseAutomaticUpdatesSetting(setting);
  const lastRun = await readAutomaticRunRecord(automaticRunRecordPath(session));
  return { ...(parsed ? { setting: parsed } : {}), rpmOstreedPolicy: automaticUpdatePolicyOf(conf), ...(lastRun ? { lastRun } : {}) };
}

/** The change turning automatic updates on or off makes, as the helper will compute it. */
export async function planAutomaticUpdates(paths: PolicyPaths, on: boolean, now: Date): Promise<AutomaticUpdatesPlan> {
  const { conf, setting } = await readFiles(paths);
  const changes = automaticUpdatesChanges(on, conf, setting, now);
  const before = (kind: string): string | null => (kind === 'rpm-ostreed-conf' ? conf : setting);
  return {
    on,
    diff: changes.map((c) => unifiedDiff({ path: hostPathOf(c.target), before: before(c.target.kind), after: c.after })).join(''),
    changed: changes.map((c) => hostPathOf(c.target)),
    expect: automaticUpdatesFingerprint(conf, setting),
  };
}

/**
 * One run of the root service. Never asks polkit or a user: rpm-ostreed lets root deploy, and the
 * result goes to the journal and to the record. Returns the outcome, or undefined when turned off.
 */
export async function runAutomaticUpdate(session: FlowSession, journal: JournalLine): Promise<AutomaticRunOutcome | undefined> {
  const state = await automaticUpdatesState(session);
  if (!state.setting) {
    journal('info', `Automatic updates are off (${hostPathOf(SETTING_TARGET)} says nothing); nothing was done. Turn them on with: vespera-updates automatic-updates on`);
    return undefined;
  }
  const watch = new UpdateWatch(session, new ImageChecks(session.config, session.trust));
  const record = async (outcome: AutomaticRunOutcome, message: string, extra: Partial<AutomaticRunRecord> = {}): Promise<AutomaticRunOutcome> => {
    const entry: AutomaticRunRecord = { format: 'vespera-automatic-run/1', at: session.now().toISOString(), outcome, message, ...extra };
    const path = automaticRunRecordPath(session);
    await mkdir(dirname(path), { recursive: true, mode: 0o755 })
      .then(async () => await writeAtomically(path, `${JSON.stringify(entry, null, 1)}\n`, { mode: 0o644 }))
      .catch((error: unknown) => {
        journal('warning', `Could not write ${path} (${(error as Error).message}); the tray will not show this run.`);
      });
    return outcome;
  };
  try {
    await watch.start();
    await watch.settle();
    const host = session.host.state;
    const image = imageOf(host.booted);
    const bootedText = `${host.booted?.version ?? host.booted?.imageDigest ?? 'the current system'}`;
    if (host.automaticUpdatePolicy === 'stage' || host.automaticUpdatePolicy === 'apply') {
      journal('warning', `rpm-ostree's own AutomaticUpdatePolicy is ${host.automaticUpdatePolicy}: it stages updates without Vespera's check. Set it back to check in /etc/rpm-ostreed.conf (turning automatic updates off and on again does it) and run rpm-ostree reload.`);
    }
    const staged = host.staged;
    const stagedCheck = staged ? watch.checkOf(staged) : undefined;
    if (staged && stagedCheck?.status === 'done' && !isVerified(stagedCheck.result)) {
      const message = `The staged update ${staged.version ?? staged.imageDigest ?? ''} is NOT verified (${stagedCheck.result.message}). Do not restart into it; discard it with: rpm-ostree cleanup -p`;
      journal('err', message);
      return await record('staged-not-verified', message, { ...(staged.imageDigest ? { digest: staged.imageDigest } : {}), ...(staged.version ? { version: staged.version } : {}) });
    }
    const enforcement = watch.enforcement;
    const broken = brokenPolicy(enforcement);
    if (broken) {
      const message = `The host's signature policy does not load, so every image download fails until it is fixed: ${broken} Nothing was staged.`;
      journal('err', message);
      return await record('policy-invalid', message);
    }
    if (!image || enforcement?.mode === 'none' || !enforcement) {
      const message = `This host does not verify updates (${enforcement?.summary ?? 'it does not follow a registry image'}); automatic updates stage nothing until it is migrated (vespera-updates migrate).`;
      journal('warning', message);
      return await record('not-enforced', message);
    }
    const name = formatDockerReference(image);
    const outcome = await watch.check({ askHost: false });
    const available = watch.available;
    const at = available ? { image: name, digest: available.platformDigest, ...(available.version ? { version: available.version } : {}) } : { image: name };
    const version = available?.version ?? available?.platformDigest ?? '';
    if (!outcome.ok) {
      const result = available?.check?.status === 'done' && !isVerified(available.check.result) ? available.check.result : undefined;
      const code = result?.code ?? outcome.code;
      if (result && (!isTrustFailureCode(code) || verdictOfCode(code) === 'failed')) {
        const message = `Refused the update ${version} of ${name} (${available?.platformDigest ?? ''}): it failed its signature check (${result.code}): ${result.message} Nothing was staged; this host keeps booting ${bootedText}.`;
        journal('err', message);
        return await record('refused', message, at);
      }
      const message = `Could not check for updates of ${name}: ${result?.message ?? outcome.message} Nothing was changed; the next run tries again.`;
      journal('warning', message);
      return await record('could-not-check', message, at);
    }
    if (watch.snapshot().health !== 'update-available' || !available) {
      journal('info', `${outcome.message} (${name}; ${enforcement.summary}).`);
      return await record('up-to-date', outcome.message, at);
    }
    journal('info', `A signed update ${version} of ${name} verified (${available.platformDigest}); staging it.`);
    const stagedOutcome = await watch.stage();
    if (!stagedOutcome.ok) {
      const message = `The verified update ${version} could not be staged: ${stagedOutcome.message}`;
      journal(stagedOutcome.code === 'update-not-verified' || isTrustFailureCode(stagedOutcome.code) ? 'err' : 'warning', message);
      return await record(isTrustFailureCode(stagedOutcome.code) ? 'staged-not-verified' : 'could-not-check', message, at);
    }
    const locked = session.host.state.staged?.finalizationLocked === true;
    const message = locked
      ? `Staged the verified update ${version} (${available.platformDigest}), finalization locked: it boots only when someone chooses Restart now in Vespera Updates (or vespera-updates apply); any other reboot boots ${bootedText}.`
      : `Staged the verified update ${version} (${available.platformDigest}); ${enforcement.summary}. It applies at the next restart.`;
    journal('notice', message);
    return await record('staged', message, at);
  } finally {
    watch.close();
  }
}
