// What a policy does with one image, as containers/image decides it: which scope applies and why, what
// rpm-ostree's ostree-image-signed: and ostree-unverified-registry: make of it, and the catch-all rules.

import type { DockerReference } from '../shared/image-reference.ts';
import type { Position } from './located-json.ts';
import { describeScopeKind, dockerPolicyIdentity, dockerScopeCandidates, type ScopeKind } from './docker-scopes.ts';
import {
  isInsecureDefault,
  requirementsEffect,
  type Policy,
  type Requirement,
  type RequirementsEffect,
  type SignedIdentity,
} from './policy-model.ts';
import { sigstoreAttachmentsFor, type AttachmentsAnswer, type RegistriesConfig } from './registries-d.ts';

export type AppliedSource = 'scope' | 'transport-default' | 'global-default';

export interface AppliedRule {
  readonly source: AppliedSource;
  /** The scope key for `scope` and `transport-default` (`""`). */
  readonly scope?: string;
  readonly kind?: ScopeKind;
  readonly at: Position;
  readonly requirements: readonly Requirement[];
}

export interface ScopeLookupStep {
  readonly scope: string;
  readonly kind: ScopeKind | 'transport-default' | 'global-default';
  readonly present: boolean;
}

/** How rpm-ostree / bootc treat the image through a given image-reference prefix. */
export interface SignedPrefixAnswer {
  readonly outcome: 'refused-insecure-default' | 'accepts-unsigned' | 'rejects' | 'requires-signature' | 'signature-never-found';
  readonly message: string;
}

export interface Loophole {
  readonly transport: string;
  readonly scope: string | null;
  readonly at: Position;
  readonly message: string;
}

export interface ImagePolicyAnswer {
  readonly identity: string;
  readonly lookup: readonly ScopeLookupStep[];
  readonly applied: AppliedRule;
  /** Scopes that also match the image but are less specific, so containers/image ignores them. */
  readonly shadowed: readonly { readonly scope: string; readonly kind: ScopeKind | 'transport-default' | 'global-default'; readonly at: Position }[];
  readonly effect: RequirementsEffect;
  readonly requirements: readonly string[];
  readonly why: string;
  readonly attachments?: AttachmentsAnswer;
  /** `ostree-image-signed:docker://…` (and `bootc switch --enforce-container-sigpolicy`). */
  readonly imageSigned: SignedPrefixAnswer;
  /** `ostree-unverified-registry:` / `ostree-unverified-image:`. */
  readonly unverified: SignedPrefixAnswer;
  readonly notes: readonly string[];
}

export function explainImage(policy: Policy, ref: DockerReference, registries?: RegistriesConfig): ImagePolicyAnswer {
  const docker = policy.transports.find((t) => t.transport === 'docker');
  const byScope = new Map((docker?.scopes ?? []).map((s) => [s.scope, s]));
  const lookup: ScopeLookupStep[] = [];
  let applied: AppliedRule | undefined;
  const shadowed: ImagePolicyAnswer['shadowed'][number][] = [];
  for (const candidate of dockerScopeCandidates(ref)) {
    const rules = byScope.get(candidate.scope);
    lookup.push({ scope: candidate.scope, kind: candidate.kind, present: Boolean(rules) });
    if (!rules) continue;
    if (applied) shadowed.push({ scope: candidate.scope, kind: candidate.kind, at: rules.at });
    else applied = { source: 'scope', scope: candidate.scope, kind: candidate.kind, at: rules.at, requirements: rules.requirements };
  }
  const transportDefault = byScope.get('');
  lookup.push({ scope: '', kind: 'transport-default', present: Boolean(transportDefault) });
  if (transportDefault) {
    if (applied) shadowed.push({ scope: '', kind: 'transport-default', at: transportDefault.at });
    else applied = { source: 'transport-default', scope: '', at: transportDefault.at, requirements: transportDefault.requirements };
  }
  lookup.push({ scope: 'default', kind: 'global-default', present: true });
  if (applied) shadowed.push({ scope: 'default', kind: 'global-default', at: policy.defaultAt });
  else applied = { source: 'global-default', at: policy.defaultAt, requirements: policy.default };

  const identity = dockerPolicyIdentity(ref);
  const effect = requirementsEffect(applied.requirements);
  const attachments = registries ? sigstoreAttachmentsFor(registries, ref) : undefined;
  const needsAttachments = applied.requirements.some((r) => r.type === 'sigstoreSigned');
  const notes: string[] = [];
  for (const r of applied.requirements) {
    if ((r.type === 'sigstoreSigned' || r.type === 'signedBy') && (r.signedIdentity.type === 'matchRepoDigestOrExact' || r.signedIdentity.type === 'matchExact') && ref.digest === undefined) {
      notes.push(`The ${r.type} rule compares the signature's identity with "${identity}" including the tag; cosign signs the repository without a tag, so this pull by tag is rejected even when signed. Use "signedIdentity": {"type": "matchRepository"}.`);
    }
  }

  const imageSigned = signedPrefixAnswer(policy, effect, needsAttachments && attachments !== undefined && !attachments.enabled, true);
  const unverified = signedPrefixAnswer(policy, effect, needsAttachments && attachments !== undefined && !attachments.enabled, false);
  return {
    identity,
    lookup,
    applied,
    shadowed,
    effect,
    requirements: applied.requirements.map(describeRequirement),
    why: describeApplied(applied, identity),
    ...(attachments ? { attachments } : {}),
    imageSigned,
    unverified,
    notes,
  };
}

function describeApplied(applied: AppliedRule, identity: string): string {
  if (applied.source === 'scope') {
    return `The docker scope "${applied.scope ?? ''}" (line ${applied.at.line}) is the most specific rule matching ${identity}: it names ${describeScopeKind(applied.kind ?? 'repository')}, and only the most specific matching scope counts.`;
  }
  if (applied.source === 'transport-default') {
    return `No docker scope names ${identity}, its repository, a namespace or its registry, so the docker transport's catch-all "" (line ${applied.at.line}) applies.`;
  }
  return `No docker scope matches ${identity} and the docker transport has no catch-all "", so the global "default" (line ${applied.at.line}) applies.`;
}

function signedPrefixAnswer(policy: Policy, effect: RequirementsEffect, attachmentsOff: boolean, enforcing: boolean): SignedPrefixAnswer {
  if (enforcing && isInsecureDefault(policy.default)) {
    return {
      outcome: 'refused-insecure-default',
      message: 'refused before pulling: the policy\'s global "default" is insecureAcceptAnything, and rpm-ostree answers "containers-policy.json specifies a default of insecureAcceptAnything; refusing usage". Set the default to reject (keeping catch-all rules for other transports).',
    };
  }
  switch (effect) {
    case 'accept-unsigned':
      return {
        outcome: 'accepts-unsigned',
        message: enforcing
          ? 'accepts this image unsigned: rpm-ostree only checks the global default, and the rule that applies to this image accepts anything. The prefix alone proves nothing here.'
          : 'pulls this image without any signature check: the rule that applies accepts anything.',
      };
    case 'reject':
      return { outcome: 'rejects', message: 'fails: the rule that applies to this image rejects it.' };
    case 'require-signature':
      if (attachmentsOff) {
        return { outcome: 'signature-never-found', message: 'fails with "A signature was required, but no signature exists": registries.d does not enable use-sigstore-attachments for this image, so its cosign signature is never fetched.' };
      }
      return {
        outcome: 'requires-signature',
        message: enforcing
          ? 'pulls this image only with a valid signature, as the applying rule requires.'
          : 'still enforces the signature rule for this image: "unverified" only skips rpm-ostree\'s check of the global default; policy.json is applied all the same.',
      };
  }
}

export function describeIdentity(identity: SignedIdentity): string {
  switch (identity.type) {
    case 'matchRepository':
      return 'signed for the same repository (any tag)';
    case 'matchRepoDigestOrExact':
      return 'signed for the same repository when pulled by digest, else for the exact reference and tag';
    case 'matchExact':
      return 'signed for exactly this reference and tag';
    case 'exactReference':
      return `signed for ${identity.dockerReference}`;
    case 'exactRepository':
      return `signed for the repository ${identity.dockerRepository}`;
    case 'remapIdentity':
      return `signed for the name with ${identity.prefix} replaced by ${identity.signedPrefix}`;
  }
}

export function describeRequirement(r: Requirement): string {
  switch (r.type) {
    case 'insecureAcceptAnything':
      return 'accept anything, signed or not (insecureAcceptAnything)';
    case 'reject':
      return 'reject (reject)';
    case 'signedBaseLayer':
      return 'signedBaseLayer, which containers/image never implemented: rejects';
    case 'signedBy': {
      const keys = r.keys.kind === 'keyPath' ? r.keys.path : r.keys.kind === 'keyPaths' ? r.keys.paths.join(', ') : 'inline key data';
      return `a GPG (simple signing) signature by ${keys}, ${describeIdentity(r.signedIdentity)} (signedBy)`;
    }
    case 'sigstoreSigned': {
      const t = r.trust;
      const by =
        t.kind === 'keyPath'
          ? `the key ${t.path}`
          : t.kind === 'keyPaths'
            ? `one of the keys ${t.paths.join(', ')}`
            : t.kind === 'keyData' || t.kind === 'keyDatas'
              ? 'an inline key'
              : t.kind === 'fulcio'
                ? `a Fulcio certificate for ${t.subjectEmail} from ${t.oidcIssuer}`
                : `a certificate from your own PKI for ${[t.subjectEmail, t.subjectHostname].filter(Boolean).join(' / ')}`;
      const rekor = r.rekor ? ', logged in Rekor' : '';
      return `a cosign (sigstore) signature by ${by}${rekor}, ${describeIdentity(r.signedIdentity)} (sigstoreSigned)`;
    }
  }
}

/**
 * Rules that let unsigned images through: what ERRATA item 4 warns about. The global default is only
 * refused by rpm-ostree when it is exactly one insecureAcceptAnything; anything else passes its check.
 */
export function findLoopholes(policy: Policy): Loophole[] {
  const out: Loophole[] = [];
  if (requirementsEffect(policy.default) === 'accept-unsigned') {
    out.push({
      transport: '*',
      scope: null,
      at: policy.defaultAt,
      message: isInsecureDefault(policy.default)
        ? 'The global default accepts anything unsigned; rpm-ostree refuses ostree-image-signed: while it is so.'
        : 'The global default accepts anything unsigned but is not a single insecureAcceptAnything, so rpm-ostree\'s check does not notice it and ostree-image-signed: accepts unsigned images.',
    });
  }
  const docker = policy.transports.find((t) => t.transport === 'docker');
  for (const s of docker?.scopes ?? []) {
    if (requirementsEffect(s.requirements) !== 'accept-unsigned') continue;
    out.push({
      transport: 'docker',
      scope: s.scope,
      at: s.at,
      message:
        s.scope === ''
          ? 'The docker catch-all "" accepts unsigned images from every registry without its own rule, also through ostree-image-signed:.'
          : `The docker scope "${s.scope}" accepts its images unsigned, also through ostree-image-signed:.`,
    });
  }
  return out;
}
