// Who enforces signatures on this host, in the words the UI always shows: the OS (a key in
// containers-policy.json behind ostree-image-signed:, or ostree GPG), the app itself, or nobody.

import type { Deployment } from '../host/index.ts';
import type { PolicyPaths } from '../policy/host-files.ts';
import { inspectPolicy, type PolicyReport } from '../policy/policy-report.ts';
import type { Requirement } from '../policy/policy-model.ts';
import { isAppEnforced, type HostEnforcement } from '../policy/host-enforcement.ts';
import { repositoryName } from '../shared/image-reference.ts';

export interface Enforcement {
  readonly mode: 'key-enforced' | 'app-enforced' | 'none';
  /** One line: "Enforced by the OS (key vespera.pub)". */
  readonly summary: string;
  /** What that means and what it does not cover. */
  readonly detail: string;
  readonly keyPath?: string;
  /** The policy report for the booted image, when it is a registry image. */
  readonly policy?: PolicyReport;
}

const KEYLESS_LIMIT =
  'Verified by Vespera Updates before each update; the OS cannot enforce keyless GitHub identities';

function basename(path: string): string {
  return path.split('/').pop() ?? path;
}

/** Describes what the OS itself demands of an image, from the requirements that apply to it. */
function osRequirement(requirements: readonly Requirement[]): { summary: string; keyPath?: string } | undefined {
  for (const r of requirements) {
    if (r.type === 'sigstoreSigned') {
      switch (r.trust.kind) {
        case 'keyPath':
          return { summary: `Enforced by the OS (key ${basename(r.trust.path)})`, keyPath: r.trust.path };
        case 'keyPaths':
          return { summary: `Enforced by the OS (keys ${r.trust.paths.map(basename).join(', ')})`, ...(r.trust.paths[0] ? { keyPath: r.trust.paths[0] } : {}) };
        case 'keyData':
        case 'keyDatas':
          return { summary: 'Enforced by the OS (a key written into policy.json)' };
        case 'fulcio':
          return { summary: `Enforced by the OS (Sigstore identity ${r.trust.subjectEmail})` };
        case 'pki':
          return { summary: 'Enforced by the OS (certificate authority in policy.json)' };
      }
    }
    if (r.type === 'signedBy') return { summary: 'Enforced by the OS (GPG signature)' };
  }
  return undefined;
}

/** Who enforces for `booted` (or any deployment), given the host's record of app-enforced images. */
export async function enforcementOf(booted: Deployment | undefined, paths: PolicyPaths, record: HostEnforcement): Promise<Enforcement> {
  const refspec = booted?.refspec;
  if (!refspec) {
    return { mode: 'none', summary: 'Unknown: the booted system is not known', detail: 'rpm-ostreed did not report a booted deployment.' };
  }
  if (refspec.kind !== 'container') {
    const remote = refspec.kind === 'ostree' ? refspec.remote : undefined;
    return {
      mode: 'key-enforced',
      summary: remote ? `Enforced by the OS (GPG keys of ostree remote ${remote})` : 'Enforced by the OS (ostree commit signatures)',
      detail: 'This host follows an ostree branch; rpm-ostree checks its commits with the remote’s GPG keys. Container signatures do not apply.',
    };
  }
  if (refspec.verification === 'ostree-remote') {
    return {
      mode: 'key-enforced',
      summary: `Enforced by the OS (GPG keys of ostree remote ${refspec.remote ?? ''})`,
      detail: 'rpm-ostree checks the ostree commit inside the image with that remote’s keys.',
    };
  }
  const image = refspec.image;
  const policy = image ? await inspectPolicy(paths, image) : undefined;
  const applied = policy?.image ? osRequirement(policy.image.applied.requirements) : undefined;
  const attachments = policy?.image?.attachments?.enabled ?? false;
  const problem = policyProblem(policy);
  if (policy && problem) {
    return {
      mode: 'none',
      summary: `Not enforced: ${policy.policy.valid ? 'registries.d' : 'containers-policy.json'} is invalid`,
      detail: `${problem} Until it is fixed, every image pull on this host fails.`,
      policy,
    };
  }
  if (applied && attachments) {
    const refuses = 'rpm-ostree refuses any update of this image that the key in /etc/containers/policy.json did not sign. Vespera Updates also checks who built it.';
    return {
      mode: 'key-enforced',
      summary: applied.summary,
      detail:
        refspec.verification === 'signed'
          ? refuses
          : `This host follows an ostree-unverified-registry: reference, but /etc/containers/policy.json still applies to it: ${refuses}`,
      ...(applied.keyPath ? { keyPath: applied.keyPath } : {}),
      ...(policy ? { policy } : {}),
    };
  }
  if (image && isAppEnforced(record, repositoryName(image))) {
    return {
      mode: 'app-enforced',
      summary: KEYLESS_LIMIT,
      detail:
        'Vespera Updates verifies the exact digest before it is staged and holds staged updates until you restart from the app; a reboot by any other route boots the previous, known system.',
      ...(policy ? { policy } : {}),
    };
  }
  const signedButOpen = refspec.verification === 'signed';
  return {
    mode: 'none',
    summary: signedButOpen ? 'Not enforced: the policy lets this image through unsigned' : 'Not enforced: this host boots unverified images',
    detail: signedButOpen
      ? 'The image reference asks rpm-ostree to check signatures, but no rule in /etc/containers/policy.json requires a signature for this image (or registries.d does not look for cosign signatures), so an unsigned image would be accepted.'
      : 'The host follows an ostree-unverified-registry: reference: nothing checks who built an update before it boots. Make it verify signatures in one step from Vespera Updates.',
    ...(policy ? { policy } : {}),
  };
}

/**
 * Why every image pull on this host fails, in the doctor's words (the file, line and column, and the
 * fix): policy.json or registries.d does not load. Undefined when both load.
 */
export function brokenPolicy(enforcement: Enforcement | undefined): string | undefined {
  return policyProblem(enforcement?.policy);
}

function policyProblem(report: PolicyReport | undefined): string | undefined {
  if (report && !report.policy.valid) return report.policy.error.message;
  if (report && !report.registries.valid) return report.registries.error.message;
  return undefined;
}
