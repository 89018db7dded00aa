// Who must have signed: the OIDC issuer (exact) and the identity — an exact SAN, an anchored
// regexp, or a GitHub repository whose workflows sign — and the default derived from a GitHub image.

import type { Config, FamilySettings, RegistrySettings } from '../shared/config.ts';
import { GITHUB_ISSUER, familyFor, registrySettings } from '../shared/config.ts';
import { quoted } from '../shared/display-text.ts';
import { repositoryName, variantBase, type DockerReference } from '../shared/image-reference.ts';
import type { CertificateIdentity } from './certificate.ts';
import { TrustError } from './errors.ts';

export type IdentityMatcher =
  /** The SAN must equal this string exactly. */
  | { readonly kind: 'exact'; readonly subject: string }
  /** The whole SAN must match this regular expression (anchored here; never a substring match). */
  | { readonly kind: 'regexp'; readonly pattern: string }
  /**
   * A GitHub repository URL: the certificate's Source Repository URI must equal it and the SAN must
   * be one of its own workflows (`URL/.github/workflows/FILE@REF`). What IMAGE-SIGNING.md means.
   */
  | { readonly kind: 'repository'; readonly url: string };

export interface IdentityPolicy {
  readonly issuer: string;
  readonly identity: IdentityMatcher;
  /**
   * Git refs the workflow may have run on: exact (`refs/heads/main`) or with `*` for any characters
   * (`refs/tags/*`). Without any, every ref but a pull request's (`refs/pull/N/merge`) counts.
   */
  readonly workflowRefs?: readonly string[];
  /**
   * `derived`: guessed from the image name (shown to the user as such); `configured`: from the
   * config file; `explicit`: given on the command line or by the caller.
   */
  readonly origin: 'derived' | 'configured' | 'explicit';
  /**
   * GitHub owner and repository names are case-insensitive while registry paths are lower-case, so
   * a derived `https://github.com/acme/vespera` must also accept `https://github.com/Acme/vespera`.
   */
  readonly ignoreCase?: boolean;
}

export interface IdentityVerdict {
  readonly ok: boolean;
  readonly code?: 'identity-mismatch' | 'issuer-mismatch' | 'ref-not-allowed';
  readonly reason?: string;
}

/** Escapes every character a RegExp gives meaning to. */
export function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/** An anchored RegExp for a user's identity pattern; a pattern that cannot compile is invalid input. */
export function anchoredRegExp(pattern: string, flags = ''): RegExp {
  try {
    // Alone first: `x)|(?:.*` compiles inside the wrapper below, where it would close the group early
    // and match anything; on its own it is the unbalanced pattern it is.
    new RegExp(pattern, flags);
    // Wrapping in a group keeps alternations (`a|b`) inside the anchors.
    return new RegExp(`^(?:${pattern})$`, flags);
  } catch (error) {
    throw new TrustError('invalid-input', `${quoted(pattern)} is not a valid regular expression (${(error as Error).message}); fix --certificate-identity-regexp or identity-regexp.`);
  }
}

/** A ref pin (`refs/tags/*`) as a RegExp: `*` is any run of characters, everything else literal. */
export function refPattern(pin: string): RegExp {
  return new RegExp(`^${pin.split('*').map(escapeRegExp).join('.*')}$`);
}

/** Pull-request builds run the proposer's code: never the publisher's release unless pinned. */
export const PULL_REQUEST_REF = /^refs\/pull\//;

function refAllowed(policy: IdentityPolicy, ref: string): boolean {
  const pins = policy.workflowRefs ?? [];
  if (pins.length === 0) return !PULL_REQUEST_REF.test(ref);
  return pins.some((pin) => refPattern(pin).test(ref));
}

/** The workflow file and ref a GitHub Actions SAN names: `.github/workflows/build.yml`, `refs/heads/main`. */
export function workflowOfSan(san: string): { readonly file?: string; readonly ref?: string } {
  const at = san.lastIndexOf('@');
  const path = at === -1 ? san : san.slice(0, at);
  const ref = at === -1 ? undefined : san.slice(at + 1);
  const marker = path.indexOf('/.github/workflows/');
  return { ...(marker === -1 ? {} : { file: path.slice(marker + 1) }), ...(ref ? { ref } : {}) };
}

const WORKFLOW_FILE = '[^/@]+\\.ya?ml';
// A git ref as git allows it (git-check-ref-format): no '..', no spaces or ~^:?*[\\.
const GIT_REF = 'refs/(?!\\S*\\.\\.)[^\\s@~^:?*[\\\\]+';

/** The SAN pattern of "any workflow of repository URL", optionally at one ref. */
export function repositoryWorkflowPattern(url: string, ref?: string): string {
  return `${escapeRegExp(url)}/\\.github/workflows/${WORKFLOW_FILE}@${ref === undefined ? GIT_REF : escapeRegExp(ref)}`;
}

/** Checks a certificate's identity against the policy; the reason names what differed. */
export function checkIdentity(policy: IdentityPolicy, cert: CertificateIdentity): IdentityVerdict {
  if (cert.issuer !== policy.issuer) {
    return {
      ok: false,
      code: 'issuer-mismatch',
      reason: `the certificate was issued for ${cert.issuer ?? 'an unknown OIDC issuer'}, not ${policy.issuer}`,
    };
  }
  const san = cert.subject;
  if (san === undefined) return { ok: false, code: 'identity-mismatch', reason: 'the certificate names no signer (no URI or email SAN)' };
  const flags = policy.ignoreCase ? 'i' : '';
  const matcher = policy.identity;
  let match: boolean;
  switch (matcher.kind) {
    case 'exact':
      match = policy.ignoreCase ? san.toLowerCase() === matcher.subject.toLowerCase() : san === matcher.subject;
      break;
    case 'regexp':
      match = anchoredRegExp(matcher.pattern, flags).test(san);
      break;
    case 'repository': {
      const repo = cert.sourceRepository;
      const sameRepo = repo !== undefined && (policy.ignoreCase ? repo.toLowerCase() === matcher.url.toLowerCase() : repo === matcher.url);
      if (!sameRepo) {
        return { ok: false, code: 'identity-mismatch', reason: `it was built from ${repo ?? 'an unnamed repository'}, not ${matcher.url}` };
      }
      match = anchoredRegExp(repositoryWorkflowPattern(matcher.url), flags).test(san);
      if (!match) return { ok: false, code: 'identity-mismatch', reason: `it was signed by ${san}, which is not a workflow of ${matcher.url}` };
      break;
    }
  }
  if (!match) return { ok: false, code: 'identity-mismatch', reason: `it was signed by ${san}, not ${describeIdentity(policy)}` };
  // The SAN's ref is the signing workflow's; the extension's is the build's. Both must be allowed.
  const workflow = workflowOfSan(san);
  const refs = [...new Set([workflow.ref, cert.sourceRepositoryRef].filter((r): r is string => r !== undefined))];
  const refused = refs.find((ref) => !refAllowed(policy, ref));
  if (refused !== undefined) {
    const file = workflow.file ?? san;
    const pins = policy.workflowRefs ?? [];
    return {
      ok: false,
      code: 'ref-not-allowed',
      reason:
        pins.length === 0
          ? `it was built by ${file} on ${refused}, a pull request, which is not a release of the publisher (pin the refs that are, e.g. workflow-ref: refs/heads/main)`
          : `it was built by ${file} on ${refused}, not on ${pins.join(' or ')}`,
    };
  }
  return { ok: true };
}

export function describeIdentity(policy: IdentityPolicy): string {
  const m = policy.identity;
  const who = m.kind === 'repository' ? `a workflow of ${m.url}` : m.kind === 'exact' ? m.subject : `an identity matching ${m.pattern}`;
  return policy.workflowRefs?.length ? `${who} on ${policy.workflowRefs.join(' or ')}` : who;
}

/**
 * The identity to expect when nobody configured one: for a GitHub package `HOST/OWNER/NAME`, a
 * workflow of `https://github.com/OWNER/BASE` where BASE is NAME without `-dx`/`-nvidia`/`-nvidia-open`.
 * Undefined for registries that are not GitHub packages or names that do not fit.
 */
export function deriveIdentity(ref: DockerReference, settings: RegistrySettings): IdentityPolicy | undefined {
  if (!settings.githubPackages) return undefined;
  const parts = ref.repository.split('/');
  if (parts.length !== 2) return undefined;
  const [owner = '', name = ''] = parts;
  const base = variantBase(name);
  if (base === '' || owner === '') return undefined;
  return {
    issuer: GITHUB_ISSUER,
    identity: { kind: 'repository', url: `https://github.com/${owner}/${base}` },
    origin: 'derived',
    ignoreCase: true,
  };
}

/** The policy a configured image family states, if it states a keyless identity. */
export function policyFromFamily(family: FamilySettings): IdentityPolicy | undefined {
  const identity: IdentityMatcher | undefined = family.repository
    ? { kind: 'repository', url: family.repository }
    : family.identity
      ? { kind: 'exact', subject: family.identity }
      : family.identityRegexp
        ? { kind: 'regexp', pattern: family.identityRegexp }
        : undefined;
  if (!identity) return undefined;
  return { issuer: family.issuer, identity, origin: 'configured', ...(family.workflowRefs?.length ? { workflowRefs: family.workflowRefs } : {}) };
}

/** The configured family's identity for an image, else the derived default, else undefined. */
export function identityFor(config: Config, ref: DockerReference): IdentityPolicy | undefined {
  const family = familyFor(config, repositoryName(ref));
  const configured = family ? policyFromFamily(family) : undefined;
  return configured ?? deriveIdentity(ref, registrySettings(config, ref.registry));
}
