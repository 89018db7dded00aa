// The choices the migration wizard offers for key-enforced mode (which images the rule covers, what
// happens to the global default), each saying in plain words what it writes, and whether it can work
// on this host's policy: every choice is planned for real, so "available" is the planner's own answer.

import { CodedError, describeError } from '../shared/errors.ts';
import type { PolicyHostState } from './host-files.ts';
import { checkFamily, familyNamespace, singleImage } from './plan-family.ts';
import { planKeyEnforced, type DefaultChoice, type KeyPlanRequest, type MigrationChoice, type ScopeChoice } from './plan.ts';
import { describeRequirement } from './policy-evaluate.ts';
import { isInsecureDefault, requirementsEffect, type Policy } from './policy-model.ts';
import { parsePolicyText } from './policy-parse.ts';

export interface MigrationChoices {
  readonly scope: readonly MigrationChoice<ScopeChoice>[];
  readonly defaultPolicy: readonly MigrationChoice<DefaultChoice>[];
}

/** The request the wizard would send; `scope` and `default` are the current picks (each list varies one). */
export type ChoicesRequest = Omit<KeyPlanRequest, 'scope' | 'default'> & { readonly scope?: ScopeChoice; readonly default?: DefaultChoice };

/** Why a plan cannot be made, in the planner's own words; null when it can. */
function whyNot(state: PolicyHostState, request: KeyPlanRequest): string | null {
  try {
    planKeyEnforced(state, request);
    return null;
  } catch (error) {
    if (error instanceof CodedError) return error.message;
    return describeError(error);
  }
}

function choice<T extends string>(value: T, label: string, hint: string, unavailable: string | null): MigrationChoice<T> {
  return { value, label, hint, available: unavailable === null, ...(unavailable !== null ? { unavailableReason: unavailable } : {}) };
}

function lastPart(repository: string): string {
  return repository.slice(repository.lastIndexOf('/') + 1);
}

function scopeChoices(state: PolicyHostState, request: ChoicesRequest, family: readonly string[]): MigrationChoice<ScopeChoice>[] {
  const plan = (scope: ScopeChoice) => whyNot(state, { ...request, scope, ...(request.default ? { default: request.default } : {}) });
  let image: string | undefined;
  try {
    image = singleImage(family, request.image);
  } catch {
    image = undefined;
  }
  const variants = family.filter((f) => f !== image).map(lastPart);
  let namespace: string | undefined;
  try {
    namespace = familyNamespace(family);
  } catch {
    namespace = undefined;
  }
  return [
    choice(
      'image',
      'Only this image',
      image
        ? `One rule for exactly ${image}: only the image this computer runs must carry the publisher's signature.${variants.length > 0 ? ` Its variants (${variants.join(', ')}) are not covered and stay as they are.` : ''}`
        : 'One rule for exactly the image this computer runs.',
      image ? plan('image') : 'This computer does not run one of these images, so there is no single image to cover.',
    ),
    choice(
      'per-variant',
      'This image and its variants',
      `One rule for each of the ${family.length} image${family.length === 1 ? '' : 's'} of the family (${family.map(lastPart).join(', ')}): each must carry the publisher's signature, so switching between variants stays protected.`,
      plan('per-variant'),
    ),
    choice(
      'namespace',
      namespace ? `Everything under ${namespace}/` : 'Everything from this publisher',
      namespace
        ? `One rule for every image under ${namespace}/: all must carry the publisher's signature, including images there that are not part of this family.`
        : 'One rule for every image of the publisher.',
      namespace ? plan('namespace') : `These images share no owner below the registry, so one rule for all of them would cover the whole registry.`,
    ),
  ];
}

function defaultText(policy: Policy): string {
  return policy.default.map(describeRequirement).join(' and ');
}

function defaultChoices(state: PolicyHostState, request: ChoicesRequest, policy: Policy | undefined): MigrationChoice<DefaultChoice>[] {
  const plan = (value: DefaultChoice) => whyNot(state, { ...request, scope: request.scope ?? 'per-variant', default: value });
  if (!policy) {
    const reason = plan('reject') ?? 'The current policy cannot be read.';
    return [
      choice('reject', 'Switch the default to reject', 'The global default becomes reject.', reason),
      choice('keep', 'Keep the current default', 'The global default stays as it is.', reason),
    ];
  }
  const alreadyReject = policy.default.length === 1 && policy.default[0]?.type === 'reject';
  const today = defaultText(policy);
  // What really happens with `reject`: other images keep today's treatment through catch-all rules.
  const reject = alreadyReject
    ? choice('reject', 'Reject (already the default)', 'The global default is already reject and stays so: images no rule covers are refused, as today.', plan('reject'))
    : choice(
        'reject',
        'Switch the default to reject, keep other images working',
        `The global default becomes reject, which a signed image reference needs (rpm-ostree refuses it otherwise). So that podman, toolbox and distrobox keep working, every other image is still treated as today (${today}) through a catch-all rule for each kind of image source: this does not refuse other images, it only makes the images above need the signature. Only sources no catch-all covers are refused.`,
        plan('reject'),
      );
  const effect = requirementsEffect(policy.default);
  const keepHint =
    effect === 'accept-unsigned'
      ? `The global default stays as it is (${today}): images no rule covers are accepted, signed or not.`
      : effect === 'reject'
        ? 'The global default stays reject: images no rule covers are refused.'
        : `The global default stays as it is: images no rule covers must carry ${today}.`;
  const keep = isInsecureDefault(policy.default)
    ? choice('keep', 'Keep the current default', keepHint, 'Not possible on this computer: the current default accepts every image unsigned, and rpm-ostree refuses a signed image reference while it does.')
    : choice('keep', 'Keep the current default', keepHint, plan('keep'));
  return [reject, keep];
}

/**
 * The wizard's choices for key-enforced mode on this host, in plain words (the app shows them as they
 * are), each planned for real: `available: false` carries the reason it cannot work here.
 */
export function migrationChoices(state: PolicyHostState, request: ChoicesRequest): MigrationChoices {
  let family: string[];
  try {
    family = checkFamily(request.family);
  } catch (error) {
    const reason = describeError(error);
    const none = <T extends string>(value: T, label: string): MigrationChoice<T> => choice(value, label, '', reason);
    return {
      scope: [none('image', 'Only this image'), none('per-variant', 'This image and its variants'), none('namespace', 'Everything from this publisher')],
      defaultPolicy: [none('reject', 'Switch the default to reject'), none('keep', 'Keep the current default')],
    };
  }
  let policy: Policy | undefined;
  try {
    policy = state.policyText === null ? undefined : parsePolicyText(state.policyText, '/etc/containers/policy.json');
  } catch {
    policy = undefined;
  }
  return { scope: scopeChoices(state, request, family), defaultPolicy: defaultChoices(state, request, policy) };
}
