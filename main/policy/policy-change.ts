// The rule every policy change the app makes must obey, checked by the planner and again, as root, by
// the privileged helper: the user's rules all stay (only an accept-anything rule may become a key rule);
// what is added only requires signatures by a key under /etc/pki/containers/, or keeps today's
// behaviour for a transport when the default becomes reject.

import { requirementsEffect, type Policy, type Requirement } from './policy-model.ts';
import { HOST_KEY_DIR } from './host-files.ts';

/** Requirements as canonical JSON, without positions, for comparing two files' rules. */
export function canonicalRequirements(requirements: readonly Requirement[]): string {
  return JSON.stringify(requirements, (key, value: unknown) => {
    if (key === 'at') return undefined;
    if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer') {
      return Buffer.from((value as { data: number[] }).data).toString('base64');
    }
    return value;
  });
}

function requirementsEqual(a: readonly Requirement[], b: readonly Requirement[]): boolean {
  return canonicalRequirements(a) === canonicalRequirements(b);
}

/** A rule the app writes: cosign signatures by installed key files, for the same repository. */
export function isKeyEnforcedRule(requirements: readonly Requirement[]): boolean {
  return (
    requirements.length > 0 &&
    requirements.every((r) => {
      if (r.type !== 'sigstoreSigned' || r.signedIdentity.type !== 'matchRepository') return false;
      const paths = r.trust.kind === 'keyPath' ? [r.trust.path] : r.trust.kind === 'keyPaths' ? r.trust.paths : [];
      return paths.length > 0 && paths.every((p) => p.startsWith(`${HOST_KEY_DIR}/`) && !p.slice(HOST_KEY_DIR.length + 1).includes('/'));
    })
  );
}

/** Key files a key-enforced rule refers to. */
export function keyPathsOf(requirements: readonly Requirement[]): string[] {
  return requirements.flatMap((r) => (r.type === 'sigstoreSigned' ? (r.trust.kind === 'keyPath' ? [r.trust.path] : r.trust.kind === 'keyPaths' ? [...r.trust.paths] : []) : []));
}

export interface PolicyChangeReport {
  /** Everything wrong with the change; empty when it is allowed. */
  readonly violations: readonly string[];
  /** Docker scopes whose earlier rule is replaced by a key-enforced one. */
  readonly replaced: readonly string[];
  readonly addedScopes: readonly string[];
  readonly defaultChanged: boolean;
}

function scopesOf(policy: Policy): Map<string, readonly Requirement[]> {
  const out = new Map<string, readonly Requirement[]>();
  for (const t of policy.transports) for (const s of t.scopes) out.set(`${t.transport}\u0000${s.scope}`, s.requirements);
  return out;
}

function label(key: string): string {
  const [transport, scope] = key.split('\u0000');
  return `${transport ?? ''} scope "${scope ?? ''}"`;
}

export function checkPolicyChange(before: Policy, after: Policy): PolicyChangeReport {
  const violations: string[] = [];
  const replaced: string[] = [];
  const addedScopes: string[] = [];
  const defaultChanged = !requirementsEqual(before.default, after.default);
  if (defaultChanged && !(after.default.length === 1 && after.default[0]?.type === 'reject')) {
    violations.push('the global default may only be kept or set to reject');
  }
  const old = scopesOf(before);
  const now = scopesOf(after);
  for (const [key, requirements] of old) {
    const next = now.get(key);
    if (!next) violations.push(`the ${label(key)} was removed`);
    else if (!requirementsEqual(requirements, next)) {
      // Replacing is only ever a tightening: a rule that accepted anything becomes a key rule.
      if (key.startsWith('docker\u0000') && key !== 'docker\u0000' && isKeyEnforcedRule(next) && requirementsEffect(requirements) === 'accept-unsigned') {
        replaced.push(key.slice('docker\u0000'.length));
      } else violations.push(`the ${label(key)} was changed`);
    }
  }
  for (const [key, requirements] of now) {
    if (old.has(key)) continue;
    const [transport, scope] = key.split('\u0000') as [string, string];
    if (scope === '') {
      // A new catch-all must keep what applied to that transport before: the old global default.
      if (!requirementsEqual(requirements, before.default)) violations.push(`the new ${label(key)} does not keep the behaviour the old default gave that transport`);
    } else if (transport !== 'docker' || !isKeyEnforcedRule(requirements)) {
      violations.push(`the new ${label(key)} is not a cosign key rule (sigstoreSigned, keyPath under ${HOST_KEY_DIR}/, matchRepository)`);
    } else {
      addedScopes.push(scope);
    }
  }
  return { violations, replaced, addedScopes, defaultChanged };
}
