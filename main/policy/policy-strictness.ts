// Whether one signature policy is at least as strict as another, image by image, the way containers/image
// picks the rule for an image (scope precedence): the "tighten only" rule for plans and restores.

import { broaderScopes } from './docker-scopes.ts';
import { canonicalRequirements } from './policy-change.ts';
import { describeRequirement } from './policy-evaluate.ts';
import { requirementsEffect, type Policy, type Requirement } from './policy-model.ts';

/** A group of images the second policy treats more leniently than the first. */
export interface Loosening {
  readonly transport: string;
  /** The scope naming the images; `""` for the transport's other images; null for transports no file lists. */
  readonly scope: string | null;
  readonly message: string;
}

interface Governing {
  /** Where the rule sits: `"ghcr.io/acme"`, `the docker catch-all ""`, `the global default`. */
  readonly where: string;
  readonly requirements: readonly Requirement[];
}

/** A policy's rules by transport and scope, for lookups. */
interface Indexed {
  readonly policy: Policy;
  readonly rules: ReadonlyMap<string, ReadonlyMap<string, readonly Requirement[]>>;
}

function indexed(policy: Policy): Indexed {
  return { policy, rules: new Map(policy.transports.map((t) => [t.transport, new Map(t.scopes.map((s) => [s.scope, s.requirements]))])) };
}

const NO_RULES: ReadonlyMap<string, readonly Requirement[]> = new Map();

/** The rule that applies to the images `scope` names (`""`: those no scope names; null: unlisted transports). */
function governing({ policy, rules }: Indexed, transport: string, scope: string | null): Governing {
  const scopes = rules.get(transport) ?? NO_RULES;
  if (scope !== null && scope !== '') {
    // Only docker scopes nest (a tag under its repository, a repository under namespaces and hosts); for
    // other transports a scope is looked up as written.
    const candidates = transport === 'docker' ? [scope, ...broaderScopes(scope).map((c) => c.scope)] : [scope];
    for (const candidate of candidates) {
      const rules = scopes.get(candidate);
      if (rules) return { where: `the ${transport} scope "${candidate}"`, requirements: rules };
    }
  }
  const catchAll = scope === null ? undefined : scopes.get('');
  if (catchAll) return { where: `the ${transport} catch-all ""`, requirements: catchAll };
  return { where: 'the global default', requirements: policy.default };
}

/**
 * True when `after` lets through nothing `before` refused: it rejects, or `before` accepted anything, or it
 * demands every requirement `before` did (requirements in one list must all pass, so more is stricter).
 */
export function atLeastAsStrict(before: readonly Requirement[], after: readonly Requirement[]): boolean {
  if (requirementsEffect(after) === 'reject' || requirementsEffect(before) === 'accept-unsigned') return true;
  return before.every((demanded) => after.some((r) => implies(r, demanded)));
}

/** Key files a key-based sigstoreSigned requirement trusts (any one of them signs), else undefined. */
function trustedKeyFiles(r: Requirement): readonly string[] | undefined {
  if (r.type !== 'sigstoreSigned') return undefined;
  return r.trust.kind === 'keyPath' ? [r.trust.path] : r.trust.kind === 'keyPaths' ? r.trust.paths : undefined;
}

/** Whether passing `r` means passing `demanded`: the same requirement, or the same one trusting fewer key files. */
function implies(r: Requirement, demanded: Requirement): boolean {
  if (canonicalRequirements([r]) === canonicalRequirements([demanded])) return true;
  const keys = trustedKeyFiles(r);
  const allowed = trustedKeyFiles(demanded);
  if (!keys || !allowed || r.type !== 'sigstoreSigned' || demanded.type !== 'sigstoreSigned') return false;
  const rest = (x: typeof r) => canonicalRequirements([{ ...x, trust: { kind: 'keyPaths', paths: [] } }]);
  return rest(r) === rest(demanded) && keys.every((k) => allowed.includes(k));
}

function describe(requirements: readonly Requirement[]): string {
  return requirements.map(describeRequirement).join(' and ');
}

/**
 * Every group of images `after` treats more leniently than `before`. Probing each scope of either file,
 * each transport's catch-all and the default covers every image: an image's rule in either file is the
 * one found from the most specific scope (of both files) that matches it.
 */
export function looseningsOf(before: Policy, after: Policy): Loosening[] {
  const out: Loosening[] = [];
  const [previous, next] = [indexed(before), indexed(after)];
  const transports = [...new Set([...previous.rules.keys(), ...next.rules.keys()])];
  const probe = (transport: string, scope: string | null): void => {
    const was = governing(previous, transport, scope);
    const now = governing(next, transport, scope);
    if (atLeastAsStrict(was.requirements, now.requirements)) return;
    const images = scope === null ? 'images of transports no rule lists' : scope === '' ? `${transport} images no scope names` : `${transport} images of "${scope}"`;
    out.push({
      transport,
      scope,
      message: `${images} would be governed by ${now.where} (${describe(now.requirements)}) instead of ${was.where} (${describe(was.requirements)}), which lets through images refused today`,
    });
  };
  for (const transport of transports) {
    const scopes = new Set([...(previous.rules.get(transport) ?? NO_RULES).keys(), ...(next.rules.get(transport) ?? NO_RULES).keys()]);
    scopes.add('');
    for (const scope of scopes) probe(transport, scope);
  }
  probe('*', null);
  return out;
}
