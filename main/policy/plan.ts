// Plans key-enforced mode: from the host's files and an image family, the exact new policy.json,
// registries.d file and key file, a readable diff, what it means, and checks that nothing is lost.
// Also the honest statement for app-enforced mode, where no policy can express the identity.

import { createHash } from 'node:crypto';
import { parseDockerReference } from '../shared/image-reference.ts';
import { hostPathOf, OWN_REGISTRIES_FILE, type PlanTarget, type PolicyHostState } from './host-files.ts';
import { plainValue, readLocatedJson, type JsonNode } from './located-json.ts';
import { checkPolicyChange, canonicalRequirements } from './policy-change.ts';
import { looseningsOf } from './policy-strictness.ts';
import { PolicyTextEditor } from './policy-edit.ts';
import { explainImage } from './policy-evaluate.ts';
import { describeFeatureLevel, isInsecureDefault, requirementsEffect, type Policy } from './policy-model.ts';
import { parsePolicyText, PolicyFileError } from './policy-parse.ts';
import { checkFamily, defaultKeyName, familyNamespace, PlanError, singleImage } from './plan-family.ts';
import { checkKeyFileName, parsePublisherKey, type PublisherKey } from './public-key.ts';
import { mergeRegistriesFiles, parseRegistriesFile, sigstoreAttachmentsFor, type RegistriesFile } from './registries-d.ts';
import { unifiedDiff } from './unified-diff.ts';

export { checkFamily, defaultKeyName, familyNamespace, PlanError, singleImage, type PlanCode } from './plan-family.ts';

/**
 * Which images the new rule covers: `image` exactly the repository this host runs; `per-variant` every
 * repository of the family (the image and its variants), one rule each; `namespace` one rule for the
 * family's namespace, covering every repository under it.
 */
export type ScopeChoice = 'image' | 'per-variant' | 'namespace';
/** `reject`: the global default becomes reject, each transport keeping today's behaviour through a catch-all. */
export type DefaultChoice = 'reject' | 'keep';

/** One option the migration wizard offers, saying truthfully what it writes (same shape as the IPC contract's). */
export interface MigrationChoice<T extends string = string> {
  readonly value: T;
  readonly label: string;
  readonly hint: string;
  readonly available: boolean;
  readonly unavailableReason?: string;
}

export interface KeyPlanRequest {
  /** Repository names of the family, all on one registry: `ghcr.io/acme/vespera`, … */
  readonly family: readonly string[];
  readonly scope: ScopeChoice;
  /** The repository this host runs (one of the family); required for the `image` scope with a larger family. */
  readonly image?: string;
  /** Omitted: keep the default when ostree-image-signed: accepts it, else reject. */
  readonly default?: DefaultChoice;
  /** The publisher's public key file text. */
  readonly keyText: string;
  /** File name under /etc/pki/containers/; derived from the family when omitted. */
  readonly keyName?: string;
  /** Replace existing rules for the family's scopes (otherwise such a rule is a conflict). */
  readonly replace?: boolean;
}

export interface FileChange {
  readonly target: PlanTarget;
  /** Path on a real host: /etc/containers/policy.json. */
  readonly hostPath: string;
  readonly before: string | null;
  readonly after: string;
}

export interface KeyEnforcedPlan {
  readonly mode: 'key';
  readonly family: readonly string[];
  /** The docker scopes the new rule covers. */
  readonly scopes: readonly string[];
  readonly default: DefaultChoice;
  readonly key: PublisherKey & { readonly name: string; readonly hostPath: string };
  /** Only files that change; empty when the host already enforces exactly this. */
  readonly changes: readonly FileChange[];
  readonly diff: string;
  /** What the plan means, in plain words, most important first. */
  readonly statements: readonly string[];
  /** Existing rules the plan replaces (only with `replace`). */
  readonly replaced: readonly string[];
}

/** What is handed to the privileged helper: the new contents and the hashes of what they replace. */
export interface HelperPlan {
  readonly format: 'vespera-policy-plan/1';
  readonly changes: readonly { readonly target: PlanTarget; readonly beforeSha256: string | null; readonly after: string }[];
}

export const CATCH_ALL_TRANSPORTS = ['docker', 'docker-daemon', 'atomic', 'containers-storage', 'dir', 'oci', 'oci-archive', 'docker-archive', 'tarball'] as const;

export function sha256Text(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function helperPlanOf(plan: KeyEnforcedPlan): HelperPlan {
  return {
    format: 'vespera-policy-plan/1',
    changes: plan.changes.map((c) => ({ target: c.target, beforeSha256: c.before === null ? null : sha256Text(c.before), after: c.after })),
  };
}

function parseHostPolicy(text: string | null): Policy {
  if (text === null) {
    throw new PlanError('plan-impossible', `${hostPathOf({ kind: 'policy' })} does not exist, so every image pull on this host fails already. Reinstall containers-common (it ships the file), then plan again.`);
  }
  try {
    return parsePolicyText(text, hostPathOf({ kind: 'policy' }));
  } catch (error) {
    if (error instanceof PolicyFileError) {
      throw new PlanError('plan-policy-invalid', `The current policy is invalid, so no change can be planned on top of it without guessing what you meant. ${error.message}`, { cause: error });
    }
    throw error;
  }
}

function rule(keyHostPath: string): unknown[] {
  return [{ type: 'sigstoreSigned', keyPath: keyHostPath, signedIdentity: { type: 'matchRepository' } }];
}

export function planKeyEnforced(state: PolicyHostState, request: KeyPlanRequest): KeyEnforcedPlan {
  const family = checkFamily(request.family);
  const key = parsePublisherKey(request.keyText, 'The key file');
  const keyName = checkKeyFileName(request.keyName ?? defaultKeyName(family));
  const keyHostPath = hostPathOf({ kind: 'key', name: keyName });
  // The repositories the new rule must govern.
  const covered = request.scope === 'image' ? [singleImage(family, request.image)] : family;
  const scopes = request.scope === 'namespace' ? [familyNamespace(family)] : covered;
  const before = parseHostPolicy(state.policyText);
  const policyBefore = state.policyText as string;
  const statements: string[] = [];

  // The key file: never overwrite a different key someone else's rules may trust.
  const existingKey = state.keyTexts.get(keyName);
  if (existingKey !== undefined) {
    let same: boolean;
    try {
      same = parsePublisherKey(existingKey, keyHostPath).fingerprint === key.fingerprint;
    } catch {
      same = false;
    }
    if (!same) {
      throw new PlanError('plan-conflict', `${keyHostPath} already exists and holds a different key; other rules may trust it. Choose another name for the key file.`, { cliHint: '--key-name NAME' });
    }
  }

  // policy.json
  const wanted = rule(keyHostPath);
  const wantedCanonical = canonicalRequirements(parsePolicyText(JSON.stringify({ default: wanted }), 'plan').default);
  const docker = before.transports.find((t) => t.transport === 'docker');
  const editor = new PolicyTextEditor(policyBefore);
  const replaced: string[] = [];
  for (const scope of scopes) {
    const existing = docker?.scopes.find((s) => s.scope === scope);
    if (existing && canonicalRequirements(existing.requirements) === wantedCanonical) continue;
    // A rule that rejects or checks other signatures is never replaced, asked or not; say so first.
    if (existing && requirementsEffect(existing.requirements) !== 'accept-unsigned') {
      throw new PlanError(
        'plan-conflict',
        `Your rule for "${scope}" (line ${existing.at.line}) is not an accept-anything rule, and the app only ever tightens rules: it does not replace a rule that rejects or checks other signatures. Edit or remove that rule yourself if you mean to change it, then plan again.`,
      );
    }
    if (existing && !request.replace) {
      throw new PlanError(
        'plan-conflict',
        `${hostPathOf({ kind: 'policy' })} already has a rule for "${scope}" (line ${existing.at.line}) that differs from the one planned. Keep it and plan without it, or allow replacing it: the old rule is kept in the backup.`,
        { cliHint: '--replace' },
      );
    }
    if (existing) replaced.push(scope);
    editor.setScope('docker', scope, wanted);
  }

  const defaultChoice: DefaultChoice = request.default ?? (isInsecureDefault(before.default) ? 'reject' : 'keep');
  const defaultText = JSON.stringify(plainValue(defaultNode(policyBefore)));
  if (defaultChoice === 'keep') {
    if (isInsecureDefault(before.default)) {
      throw new PlanError(
        'plan-impossible',
        `Keeping the current default is not possible: it is insecureAcceptAnything, and rpm-ostree refuses ostree-image-signed: while it is ("containers-policy.json specifies a default of insecureAcceptAnything; refusing usage"). Choose to switch the default to reject.`,
        { cliHint: '--default reject' },
      );
    }
    statements.push(
      requirementsEffect(before.default) === 'accept-unsigned'
        ? `The global default stays ${defaultText}. It accepts anything but is not a single insecureAcceptAnything, so rpm-ostree's check passes while unsigned images from everywhere else are accepted.`
        : `The global default stays ${defaultText}; rpm-ostree's ostree-image-signed: accepts it.`,
    );
  } else if (!(before.default.length === 1 && before.default[0]?.type === 'reject')) {
    const oldDefault = JSON.parse(defaultText) as unknown[];
    const added: string[] = [];
    for (const transport of CATCH_ALL_TRANSPORTS) {
      const rules = before.transports.find((t) => t.transport === transport);
      if (rules?.scopes.some((s) => s.scope === '')) continue;
      editor.setScope(transport, '', oldDefault);
      added.push(transport);
    }
    editor.setDefault([{ type: 'reject' }]);
    statements.push(
      `The global default becomes reject, which rpm-ostree's ostree-image-signed: requires. So that podman, toolbox and distrobox keep working, ${added.length > 0 ? `the transports ${added.join(', ')} get a catch-all "" rule with today's default (${defaultText})` : 'every transport keeps its own catch-all ""'}; images of transports not listed there are now rejected.`,
    );
  } else {
    statements.push('The global default is already reject; it stays.');
  }

  const policyAfter = editor.text;
  const after = parsePolicyText(policyAfter, hostPathOf({ kind: 'policy' }));
  const change = checkPolicyChange(before, after);
  if (change.violations.length > 0) {
    throw new PlanError('plan-impossible', `Internal check failed, nothing was planned: ${change.violations.join('; ')}. Please report this.`);
  }
  // Scope precedence: a new rule wins over broader ones for its images, so it must not let through
  // what a broader rule (another publisher's key, a reject) or the default refuses today.
  const loosened = looseningsOf(before, after);
  if (loosened.length > 0) {
    throw new PlanError(
      'plan-conflict',
      `The new rule would let through images your policy refuses today: ${loosened.map((l) => l.message).join('; ')}. The app only ever tightens the policy; change that rule yourself if you mean to trust this key there.`,
    );
  }

  // Every covered repository must now be governed by the new rule: a more specific existing rule
  // (a tag of it, or the repository under a namespace scope) would quietly keep it unenforced.
  for (const repo of covered) {
    const ref = parseDockerReference(repo);
    const answer = explainImage(after, ref);
    if (canonicalRequirements(answer.applied.requirements) !== wantedCanonical) {
      throw new PlanError(
        'plan-conflict',
        `Your rule for "${answer.applied.scope ?? 'default'}" (line ${answer.applied.at.line}) is more specific than the planned one and would keep governing ${repo}. Remove it, or choose one rule per image and allow replacing it.`,
        { cliHint: '--scope per-variant --replace' },
      );
    }
    const tagRules = (docker?.scopes ?? []).filter((s) => s.scope.startsWith(`${repo}:`) || s.scope.startsWith(`${repo}@`));
    for (const tagRule of tagRules) {
      if (canonicalRequirements(tagRule.requirements) !== wantedCanonical) {
        throw new PlanError('plan-conflict', `Your rule for "${tagRule.scope}" (line ${tagRule.at.line}) governs that tag instead of the planned rule. Remove it so the key is enforced for every tag.`);
      }
    }
  }

  // registries.d: turn on sigstore attachments in our own file, never touching the others.
  const ownBefore = state.registriesFiles.find((f) => f.name === OWN_REGISTRIES_FILE)?.text ?? null;
  const others = state.registriesFiles.filter((f) => f.name !== OWN_REGISTRIES_FILE);
  const othersConfig = mergeRegistriesFiles(others);
  const ownEntries = ownBefore === null ? [] : parseRegistriesFile(OWN_REGISTRIES_FILE, ownBefore).docker.map((e) => e.scope);
  const ownScopes = [...ownEntries];
  for (const scope of scopes) {
    const elsewhere = othersConfig.docker.get(scope);
    if (elsewhere) {
      if (elsewhere.useSigstoreAttachments === true) continue;
      throw new PlanError(
        'plan-conflict',
        `registries.d/${elsewhere.file} (line ${elsewhere.line}) already defines "${scope}" without use-sigstore-attachments: true, and containers/image refuses a scope defined in two files. Add "use-sigstore-attachments: true" under that entry, then plan again.`,
      );
    }
    if (!ownScopes.includes(scope)) ownScopes.push(scope);
  }
  const ownAfter = registriesFileText(ownScopes);
  const registriesAfter: RegistriesFile[] = [...others, { name: OWN_REGISTRIES_FILE, text: ownAfter }];
  const merged = mergeRegistriesFiles(registriesAfter);
  for (const repo of covered) {
    const answer = sigstoreAttachmentsFor(merged, parseDockerReference(repo));
    if (!answer.enabled) throw new PlanError('plan-conflict', `${answer.explanation} Set use-sigstore-attachments: true there, then plan again.`);
    for (const [scope, entry] of merged.docker) {
      if ((scope.startsWith(`${repo}:`) || scope.startsWith(`${repo}@`)) && entry.useSigstoreAttachments === false) {
        throw new PlanError('plan-conflict', `registries.d/${entry.file} (line ${entry.line}) turns sigstore attachments off for "${scope}", so that tag could never be verified. Remove that setting.`);
      }
    }
  }

  const changes: FileChange[] = [];
  if (existingKey === undefined) changes.push({ target: { kind: 'key', name: keyName }, hostPath: keyHostPath, before: null, after: key.pem });
  if (ownAfter !== ownBefore && !(ownBefore !== null && sameScopes(ownBefore, ownScopes))) {
    changes.push({ target: { kind: 'registries' }, hostPath: hostPathOf({ kind: 'registries' }), before: ownBefore, after: ownAfter });
  }
  if (policyAfter !== policyBefore) changes.push({ target: { kind: 'policy' }, hostPath: hostPathOf({ kind: 'policy' }), before: policyBefore, after: policyAfter });

  const uncovered = family.filter((f) => !covered.includes(f));
  const coverage =
    request.scope === 'namespace'
      ? `every repository under ${scopes[0] ?? ''}/ (not only ${family.map((f) => f.split('/').pop()).join(', ')})`
      : `${covered.join(', ')}${uncovered.length > 0 ? ` (not its variants ${uncovered.join(', ')}, which stay as they are)` : ''}`;
  statements.unshift(
    `From now on the OS accepts images of ${coverage} only with a cosign signature by the key ${keyHostPath} (${key.algorithm}, SHA-256 fingerprint ${key.fingerprint}): rpm-ostree, bootc and podman all apply ${hostPathOf({ kind: 'policy' })}.`,
  );
  if (replaced.length > 0) statements.push(`Your existing rules for ${replaced.map((s) => `"${s}"`).join(', ')} are replaced (the backup keeps them).`);
  statements.push(
    `${hostPathOf({ kind: 'registries' })} turns on use-sigstore-attachments for ${scopes.join(', ')}, so containers/image fetches the cosign signatures; without it every signed pull fails with "no signature exists".`,
    `The signatures must be in cosign's legacy .sig layout: cosign 3 signs as Sigstore bundles by default, which the OS cannot see (sign with --new-bundle-format=false --use-signing-config=false).`,
    `Needs ${describeFeatureLevel(after.requires)} on the host.`,
  );
  const loopholes = explainCatchAll(after);
  if (loopholes) statements.push(loopholes);
  statements.push(`/etc is merged across deployments: once ${hostPathOf({ kind: 'policy' })} is changed here, later image updates of that file are not applied (the local copy wins).`);

  return {
    mode: 'key',
    family,
    scopes,
    default: defaultChoice,
    key: { ...key, name: keyName, hostPath: keyHostPath },
    changes,
    diff: changes.map((c) => unifiedDiff({ path: c.hostPath, before: c.before, after: c.after })).join(''),
    statements,
    replaced,
  };
}

function defaultNode(text: string): JsonNode {
  const root = readLocatedJson(text).root;
  const member = root.kind === 'object' ? root.members.find((m) => m.key === 'default') : undefined;
  if (!member) throw new PlanError('plan-policy-invalid', 'The policy has no default.');
  return member.value;
}

function explainCatchAll(after: Policy): string | undefined {
  const docker = after.transports.find((t) => t.transport === 'docker');
  const catchAll = docker?.scopes.find((s) => s.scope === '');
  const effective = catchAll?.requirements ?? after.default;
  if (requirementsEffect(effective) !== 'accept-unsigned') return undefined;
  return 'Images from other registries without their own rule are still accepted unsigned (the docker catch-all), also through ostree-image-signed: — that prefix alone proves nothing for them; Vespera Updates checks the images it manages itself.';
}

function sameScopes(text: string, scopes: readonly string[]): boolean {
  try {
    const entries = parseRegistriesFile(OWN_REGISTRIES_FILE, text).docker;
    return entries.length === scopes.length && entries.every((e) => scopes.includes(e.scope) && e.useSigstoreAttachments === true && e.lookaside === undefined);
  } catch {
    return false;
  }
}

/** Our registries.d file: only use-sigstore-attachments: true entries. Scopes are quoted as JSON strings (valid YAML). */
export function registriesFileText(scopes: readonly string[]): string {
  const lines = [
    '# Written by Vespera Updates. containers/image fetches cosign signatures (sigstore attachments)',
    '# only for scopes listed in registries.d; each scope may be defined in one file only.',
    'docker:',
    ...scopes.flatMap((s) => [`  ${JSON.stringify(s)}:`, '    use-sigstore-attachments: true']),
  ];
  return `${lines.join('\n')}\n`;
}

/** The honest answer for keyless-only images: no file can express the identity, nothing is written. */
export function appEnforcedStatement(family: readonly string[], repository?: string): string[] {
  const who = repository ? `workflows of ${repository}` : 'a GitHub Actions workflow';
  return [
    `No policy.json can require a signature by ${who}: containers/image matches Fulcio certificates only by "subjectEmail", and a GitHub Actions certificate carries the workflow URI and no e-mail address. No containers/image release has a URI matcher (a "buildSignerURI" field is only proposed upstream).`,
    `In app-enforced mode Vespera Updates verifies the keyless signature of the exact digest itself and has rpm-ostree deploy that digest with finalization locked; ${family.length > 0 ? family.join(', ') : 'the images'} are then verified by the app, not enforced by the OS. Nothing is written to ${hostPathOf({ kind: 'policy' })}.`,
    'For the OS to enforce signatures as well, the publisher must also sign with a cosign key (key-enforced mode: vespera-updates policy plan --mode key --key cosign.pub).',
  ];
}

