// /etc/rpm-ostreed.conf (a GLib key file): reads rpm-ostree's AutomaticUpdatePolicy and rewrites only
// that line, so that while Vespera Updates stages verified updates rpm-ostree's timer never stages behind it.

import { CodedError } from '../shared/errors.ts';

export type AutomaticUpdatePolicy = 'none' | 'check' | 'stage' | 'apply';
export class RpmOstreedConfError extends CodedError<'rpm-ostreed-conf-invalid'> {}

export const MAX_RPM_OSTREED_CONF_BYTES = 64 * 1024;
const POLICIES: readonly AutomaticUpdatePolicy[] = ['none', 'check', 'stage', 'apply'];
/** rpm-ostreed's own synonyms (rpmostree-util: "off" is none, "ex-stage" was stage's old name). */
const SYNONYMS: Record<string, AutomaticUpdatePolicy> = { off: 'none', 'ex-stage': 'stage' };

interface Line {
  readonly text: string;
  readonly section?: string;
  readonly key?: string;
  readonly value?: string;
}

function lines(text: string): Line[] {
  let section: string | undefined;
  return text.split('\n').map((raw) => {
    const trimmed = raw.trim();
    const header = /^\[([^\]]+)\]$/.exec(trimmed);
    if (header) {
      section = header[1];
      return { text: raw, section };
    }
    const pair = /^([A-Za-z0-9-]+)\s*=\s*(.*)$/.exec(trimmed);
    return pair ? { text: raw, ...(section ? { section } : {}), key: pair[1], value: pair[2] } : { text: raw, ...(section ? { section } : {}) };
  });
}

/** The policy rpm-ostreed applies with this file (absent file or key: none, its default). */
export function automaticUpdatePolicyOf(text: string | null): AutomaticUpdatePolicy {
  if (text === null) return 'none';
  if (text.length > MAX_RPM_OSTREED_CONF_BYTES) throw new RpmOstreedConfError('rpm-ostreed-conf-invalid', '/etc/rpm-ostreed.conf is too large to be rpm-ostree’s configuration.');
  const entry = lines(text).filter((l) => l.section === 'Daemon' && l.key === 'AutomaticUpdatePolicy').pop();
  if (!entry?.value) return 'none';
  const value = entry.value.toLowerCase();
  const policy = SYNONYMS[value] ?? POLICIES.find((p) => p === value);
  if (!policy) {
    throw new RpmOstreedConfError('rpm-ostreed-conf-invalid', `/etc/rpm-ostreed.conf sets AutomaticUpdatePolicy=${entry.value}, which rpm-ostree does not know (none, check, stage, apply); fix that line first.`);
  }
  return policy;
}

/**
 * The file with AutomaticUpdatePolicy set to `policy`: the active line replaced, else the commented
 * default Fedora ships (#AutomaticUpdatePolicy=none) replaced, else a line added under [Daemon].
 */
export function withAutomaticUpdatePolicy(text: string | null, policy: AutomaticUpdatePolicy): string {
  const parsed = lines(text ?? '');
  const active = parsed.map((l, i) => (l.section === 'Daemon' && l.key === 'AutomaticUpdatePolicy' ? i : -1)).filter((i) => i >= 0);
  const out = parsed.map((l) => l.text);
  const line = `AutomaticUpdatePolicy=${policy}`;
  if (active.length > 0) {
    for (const i of active.slice(0, -1)) out[i] = `#${out[i] ?? ''}`;
    out[active[active.length - 1] ?? 0] = line;
    return out.join('\n');
  }
  const commented = parsed.findIndex((l) => l.section === 'Daemon' && /^#\s*AutomaticUpdatePolicy\s*=/.test(l.text.trim()));
  if (commented >= 0) {
    out[commented] = line;
    return out.join('\n');
  }
  const header = parsed.findIndex((l) => l.section === 'Daemon' && /^\[Daemon\]$/.test(l.text.trim()));
  if (header >= 0) {
    out.splice(header + 1, 0, line);
    return out.join('\n');
  }
  const base = text === null || text === '' ? '' : text.endsWith('\n') ? text : `${text}\n`;
  return `${base}${base ? '\n' : ''}[Daemon]\n${line}\n`;
}

/** What Vespera Updates sets while it stages: rpm-ostree may still look for updates, never stage them. */
export function policyWhileVerifying(current: AutomaticUpdatePolicy): AutomaticUpdatePolicy {
  return current === 'stage' || current === 'apply' ? 'check' : current;
}
