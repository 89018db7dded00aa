// The helper's `apply` input and its checks as root: the plan JSON read strictly, and the contents it
// would leave on disk held to the model's rules (tighten only, scope precedence included; plain YAML).

import { join } from 'node:path';
import { describeError } from '../shared/errors.ts';
import { hostPathOf, OWN_REGISTRIES_FILE, readRegistriesFiles, type HelperTarget, type PlanTarget } from './host-files.ts';
import { pathsOf, refuse, TARGET_RULES, type HelperContext } from './helper-context.ts';
import { readLocatedJson, type JsonNode } from './located-json.ts';
import type { HelperPlan } from './plan.ts';
import { checkPolicyChange, keyPathsOf } from './policy-change.ts';
import { MAX_POLICY_CHARS, parsePolicyText, PolicyFileError } from './policy-parse.ts';
import { looseningsOf } from './policy-strictness.ts';
import { checkKeyFileName, MAX_KEY_CHARS, parsePublisherKey } from './public-key.ts';
import { mergeRegistriesFiles, parseRegistriesFile } from './registries-d.ts';
import { readRegular } from './safe-files.ts';

const MAX_PLAN_CHANGES = 16;

function objectMembers(node: JsonNode, what: string, known: readonly string[]): Map<string, JsonNode> {
  if (node.kind !== 'object') refuse(`${what} must be a JSON object`);
  const out = new Map<string, JsonNode>();
  for (const m of node.members) {
    if (!known.includes(m.key)) refuse(`${what} has an unknown key "${m.key}"`);
    out.set(m.key, m.value);
  }
  return out;
}

function parseTarget(node: JsonNode | undefined): PlanTarget {
  if (!node) refuse('a change has no target');
  const m = objectMembers(node, 'a target', ['kind', 'name']);
  const kind = m.get('kind');
  if (kind?.kind !== 'string') refuse('a target has no kind');
  if (kind.value === 'policy' || kind.value === 'registries') {
    if (m.has('name')) refuse(`a ${kind.value} target takes no name`);
    return { kind: kind.value };
  }
  if (kind.value !== 'key') refuse(`unknown target kind "${kind.value}" (the helper writes only policy.json, its registries.d file and keys)`);
  const name = m.get('name');
  if (name?.kind !== 'string') refuse('a key target needs a name');
  try {
    return { kind: 'key', name: checkKeyFileName(name.value) };
  } catch (error) {
    return refuse(describeError(error));
  }
}

/** Parses the plan JSON, refusing anything unexpected. */
export function parseHelperPlan(text: string): HelperPlan {
  let root: JsonNode;
  try {
    root = readLocatedJson(text, { maxLength: 4 * MAX_POLICY_CHARS, maxDepth: 8 }).root;
  } catch (error) {
    return refuse(`the plan is not valid JSON (${describeError(error)})`);
  }
  const top = objectMembers(root, 'the plan', ['format', 'changes']);
  const format = top.get('format');
  if (format?.kind !== 'string' || format.value !== 'vespera-policy-plan/1') refuse('the plan is not in the format vespera-policy-plan/1');
  const changes = top.get('changes');
  if (changes?.kind !== 'array') refuse('the plan has no list of changes');
  if (changes.items.length === 0) refuse('the plan changes nothing');
  if (changes.items.length > MAX_PLAN_CHANGES) refuse(`the plan has more than ${MAX_PLAN_CHANGES} changes`);
  const seen = new Set<string>();
  const parsed = changes.items.map((item) => {
    const m = objectMembers(item, 'a change', ['target', 'beforeSha256', 'after']);
    const target = parseTarget(m.get('target'));
    const id = JSON.stringify(target);
    if (seen.has(id)) refuse(`the plan changes ${hostPathOf(target)} twice`);
    seen.add(id);
    const before = m.get('beforeSha256');
    if (!before || (before.kind !== 'null' && (before.kind !== 'string' || !/^[0-9a-f]{64}$/.test(before.value)))) refuse(`the change of ${hostPathOf(target)} has no valid beforeSha256`);
    const after = m.get('after');
    if (after?.kind !== 'string') refuse(`the change of ${hostPathOf(target)} has no new content`);
    if (after.value.length > TARGET_RULES[target.kind].maxBytes) refuse(`the new ${hostPathOf(target)} is too large`);
    return { target, beforeSha256: before.kind === 'string' ? before.value : null, after: after.value };
  });
  return { format: 'vespera-policy-plan/1', changes: parsed };
}

/** One file of a change as the helper sees it: what is there now and what it would become. */
export interface StagedFile {
  readonly target: HelperTarget;
  readonly before: string | null;
  /** null: the file is removed. */
  readonly after: string | null;
}

/** Everything wrong with the contents an apply would leave on disk; empty when allowed. */
export async function applyProblems(ctx: HelperContext, changes: readonly StagedFile[], originalPolicy: string | null): Promise<string[]> {
  const problems: string[] = [];
  const keyDir = pathsOf(ctx).keyDir;
  const written = new Set<string>();
  for (const c of changes) {
    if (c.after === null) problems.push(`the plan removes ${hostPathOf(c.target)}; apply only ever writes files`);
  }
  for (const c of changes) {
    if (c.target.kind !== 'key' || c.after === null) continue;
    written.add(hostPathOf(c.target));
    if (c.before !== null) problems.push(`${hostPathOf(c.target)} already exists; the helper never replaces a key other rules may trust`);
    try {
      const key = parsePublisherKey(c.after, hostPathOf(c.target));
      if (key.pem !== c.after) problems.push(`${hostPathOf(c.target)} is not in canonical PEM form`);
    } catch (error) {
      problems.push(describeError(error));
    }
  }
  const registries = changes.find((c) => c.target.kind === 'registries');
  if (registries && registries.after !== null) {
    const where = hostPathOf(registries.target);
    try {
      // Strict: the file written as root must mean the same to Go's YAML as to ours, to the letter.
      const content = parseRegistriesFile(OWN_REGISTRIES_FILE, registries.after, { strict: true });
      if (content.defaultDocker) problems.push(`${where} may not define default-docker`);
      for (const e of content.docker) {
        if (e.useSigstoreAttachments !== true || e.lookaside !== undefined || e.lookasideStaging !== undefined) {
          problems.push(`${where} may only turn use-sigstore-attachments on (scope "${e.scope}")`);
        }
      }
      if (registries.before !== null) {
        const kept = new Set(content.docker.map((e) => e.scope));
        for (const e of parseRegistriesFile(OWN_REGISTRIES_FILE, registries.before).docker) {
          if (!kept.has(e.scope)) problems.push(`${where} would drop its entry for "${e.scope}"`);
        }
      }
      const others = (await readRegistriesFiles(pathsOf(ctx).registriesDir)).filter((f) => f.name !== OWN_REGISTRIES_FILE);
      mergeRegistriesFiles([...others, { name: OWN_REGISTRIES_FILE, text: registries.after }]);
    } catch (error) {
      problems.push(describeError(error));
    }
  }
  const policy = changes.find((c) => c.target.kind === 'policy');
  if (policy && policy.after !== null) {
    if (originalPolicy === null) problems.push(`${hostPathOf(policy.target)} does not exist; the helper only changes an existing policy`);
    else {
      try {
        const before = parsePolicyText(originalPolicy, hostPathOf(policy.target));
        const after = parsePolicyText(policy.after, `the new ${hostPathOf(policy.target)}`);
        const report = checkPolicyChange(before, after);
        problems.push(...report.violations.map((v) => `in the new policy, ${v}`));
        // Scope precedence: a new, more specific rule must not loosen what a broader one or the default demanded.
        if (report.violations.length === 0) problems.push(...looseningsOf(before, after).map((l) => `in the new policy, ${l.message}`));
        const docker = after.transports.find((t) => t.transport === 'docker');
        for (const scope of [...report.addedScopes, ...report.replaced]) {
          for (const keyPath of keyPathsOf(docker?.scopes.find((s) => s.scope === scope)?.requirements ?? [])) {
            if (written.has(keyPath)) continue;
            const name = keyPath.slice(keyPath.lastIndexOf('/') + 1);
            try {
              const existing = await readRegular(join(keyDir, checkKeyFileName(name)), MAX_KEY_CHARS);
              if (existing === null) problems.push(`the new rule for "${scope}" trusts ${keyPath}, which does not exist`);
              else parsePublisherKey(existing.toString('utf8'), keyPath);
            } catch (error) {
              problems.push(describeError(error));
            }
          }
        }
      } catch (error) {
        if (error instanceof PolicyFileError && error.source === hostPathOf(policy.target)) {
          problems.push(`the current policy is invalid, fix it first: ${error.message}`);
        } else problems.push(describeError(error));
      }
    }
  }
  return problems;
}
