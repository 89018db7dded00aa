// What the host-wide automatic-updates service decided last: one root-written record under
// /var/lib/vespera-updates that every user can read, and the notice the tray and `status` show for it.

import { join } from 'node:path';
import type { Notice } from '../../preload/contract.ts';
import { readFileLimited } from '../shared/bounded.ts';
import type { FlowSession } from './session.ts';

export type AutomaticRunOutcome = 'staged' | 'up-to-date' | 'refused' | 'staged-not-verified' | 'not-enforced' | 'policy-invalid' | 'could-not-check';

/** What the last run decided; root-written under /var/lib/vespera-updates, readable by every user. */
export interface AutomaticRunRecord {
  readonly format: 'vespera-automatic-run/1';
  readonly at: string;
  readonly outcome: AutomaticRunOutcome;
  readonly message: string;
  readonly image?: string;
  readonly digest?: string;
  readonly version?: string;
}

const MAX_RECORD_BYTES = 16 * 1024;

/** /var/lib/vespera-updates/automatic-run.json on a host; under the world's root in tests and the demo. */
export function automaticRunRecordPath(session: Pick<FlowSession, 'hostStateDir'>): string {
  return join(session.hostStateDir, 'automatic-run.json');
}

export async function readOptional(path: string, max: number): Promise<string | null> {
  try {
    return (await readFileLimited(path, max)).toString('utf8');
  } catch {
    return null;
  }
}

export async function readAutomaticRunRecord(path: string): Promise<AutomaticRunRecord | undefined> {
  const text = await readOptional(path, MAX_RECORD_BYTES);
  if (text === null) return undefined;
  try {
    const data = JSON.parse(text) as Partial<AutomaticRunRecord>;
    const outcomes: readonly AutomaticRunOutcome[] = ['staged', 'up-to-date', 'refused', 'staged-not-verified', 'not-enforced', 'policy-invalid', 'could-not-check'];
    if (data.format !== 'vespera-automatic-run/1' || typeof data.at !== 'string' || typeof data.message !== 'string' || !outcomes.includes(data.outcome as AutomaticRunOutcome)) return undefined;
    return data as AutomaticRunRecord;
  } catch {
    return undefined;
  }
}

/** The notice the tray and `status` show for the last automatic run, when it needs someone's attention. */
export function noticeOfAutomaticRun(record: AutomaticRunRecord | undefined): Notice | undefined {
  if (!record) return undefined;
  const when = record.at.replace(/\.\d+Z$/, 'Z');
  if (record.outcome === 'refused' || record.outcome === 'staged-not-verified') {
    return { code: 'automatic-update-refused', severity: 'critical', message: `Automatic updates (${when}): ${record.message}`, action: 'doctor' };
  }
  // 'policy-invalid' needs no notice of its own: the status already leads with the broken policy.
  if (record.outcome === 'not-enforced') return { code: 'automatic-update-not-enforced', severity: 'warning', message: `Automatic updates (${when}): ${record.message}`, action: 'migrate' };
  return undefined;
}

