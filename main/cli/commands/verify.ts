// `vespera-updates verify IMAGE_REF`: checks an image's cosign signature like `cosign verify`, with
// the app's identity rules (repository, anchored identities) and its registries and trust root.

import { GITHUB_ISSUER, loadConfig } from '../../shared/config.ts';
import { inlineText } from '../../shared/display-text.ts';
import { parseDockerReference, isSha256Digest } from '../../shared/image-reference.ts';
import { identityFor, workflowOfSan, type IdentityPolicy } from '../../trust/identity-policy.ts';
import { parseOciLayoutReference } from '../../trust/image-source.ts';
import { loadPublicKey } from '../../trust/keys.ts';
import { TrustError, verdictOfCode } from '../../trust/errors.ts';
import { describeError } from '../../shared/errors.ts';
import { loadTrustedRootFile } from '../../trust/trust-root.ts';
import { createTrustContext, verifyImage } from '../../trust/verify-image.ts';
import { describeBinding, type VerifiedImage } from '../../trust/result.ts';
import { EXIT, parseCommandArgs, UsageError, writeJson, type Command, type CommandIO } from '../command.ts';
import { exitCodesHelp } from '../exit-codes.ts';

/** verify's own exit code beyond 0/1/2: the signature check failed (evidence, not a missing network). */
export const VERIFY_EXIT = { failed: 3 } as const;

const HELP = `usage: vespera-updates verify IMAGE_REF [options]

Checks that IMAGE_REF carries a valid cosign signature from the expected signer, in either
layout (legacy .sig tag, or cosign 3 bundle), and says whether rpm-ostree can see it.
IMAGE_REF is REGISTRY/OWNER/NAME[:TAG][@sha256:DIGEST], or oci:DIR[:TAG] for an OCI layout.

Who must have signed (one of; without any, the configured family or, for GitHub packages,
the repository derived from the image name — ghcr.io/OWNER/vespera-nvidia → github.com/OWNER/vespera):
  --repository URL                  a workflow of this GitHub repository (https://github.com/OWNER/REPO)
  --certificate-identity ID         exactly this certificate identity (SAN)
  --certificate-identity-regexp RE  a SAN matching RE (the whole SAN; anchored)
  --certificate-oidc-issuer URL     the OIDC issuer (default ${GITHUB_ISSUER})
  --workflow-ref REF                and the workflow ran on REF (refs/heads/main, or refs/tags/* with
                                    * for any characters); may be repeated. Without it every ref but
                                    a pull request's (refs/pull/N/merge) counts
  --key PUBKEY                      a publisher key (cosign.pub); may be repeated

Other options:
  --trusted-root FILE    a Sigstore trusted_root.json instead of the configured one / public-good
  --reference REPO       for oci: layouts, the repository the signature must name
  --platform-digest D    the platform manifest (as rpm-ostree records it) that must be covered
  --output json|text     json prints what cosign verify prints (an array), for jq

${exitCodesHelp('verify')}`;

const OPTIONS = {
  repository: { type: 'string' },
  'certificate-identity': { type: 'string' },
  'certificate-identity-regexp': { type: 'string' },
  'certificate-oidc-issuer': { type: 'string' },
  'workflow-ref': { type: 'string', multiple: true },
  key: { type: 'string', multiple: true },
  'trusted-root': { type: 'string' },
  reference: { type: 'string' },
  'platform-digest': { type: 'string' },
  output: { type: 'string' },
} as const;

/** The keyless expectation the flags state, or undefined when they state none. */
function explicitIdentity(values: {
  repository?: string | undefined;
  'certificate-identity'?: string | undefined;
  'certificate-identity-regexp'?: string | undefined;
  'certificate-oidc-issuer'?: string | undefined;
  'workflow-ref'?: string[] | undefined;
}): IdentityPolicy | undefined {
  const given = (['repository', 'certificate-identity', 'certificate-identity-regexp'] as const).filter((k) => values[k] !== undefined);
  if (given.length > 1) throw new UsageError(`verify: give only one of --${given.join(', --')}`);
  const issuer = values['certificate-oidc-issuer'] ?? GITHUB_ISSUER;
  const workflowRef = workflowRefs(values['workflow-ref']);
  if (values.repository !== undefined) {
    if (!/^https:\/\/[^\s/]+\/[^\s/]+\/[^\s/]+$/.test(values.repository.replace(/\/$/, ''))) {
      throw new UsageError('verify: --repository must be a repository URL like https://github.com/OWNER/REPO');
    }
    return { issuer, identity: { kind: 'repository', url: values.repository.replace(/\/$/, '') }, origin: 'explicit', ...workflowRef };
  }
  if (values['certificate-identity'] !== undefined) {
    return { issuer, identity: { kind: 'exact', subject: values['certificate-identity'] }, origin: 'explicit', ...workflowRef };
  }
  if (values['certificate-identity-regexp'] !== undefined) {
    return { issuer, identity: { kind: 'regexp', pattern: values['certificate-identity-regexp'] }, origin: 'explicit', ...workflowRef };
  }
  return undefined;
}

/** `--workflow-ref` values as the policy's ref pins; each must look like a ref (or a ref pattern). */
function workflowRefs(values: readonly string[] | undefined): { workflowRefs?: readonly string[] } {
  if (!values || values.length === 0) return {};
  for (const ref of values) {
    if (!/^refs\/[A-Za-z0-9._*/-]+$/.test(ref)) throw new UsageError(`verify: --workflow-ref ${JSON.stringify(ref)} is not a git ref like refs/heads/main or a pattern like refs/tags/*`);
  }
  return { workflowRefs: values };
}

function describe(result: VerifiedImage): string {
  const unbound = result.binding.kind === 'none';
  const lines = [`Verified${unbound ? ' (signature only: nothing binds it to this repository)' : ''}: ${result.reference}`];
  const row = (label: string, value: string): void => {
    lines.push(`  ${label.padEnd(11)}${inlineText(value)}`);
  };
  row('digest', result.digest);
  if (result.platformDigest && result.platformDigest !== result.digest) row('platform', `${result.platformDigest} (listed in the signed index)`);
  if (result.signer.kind === 'keyless') {
    const workflow = workflowOfSan(result.signer.subject);
    row('signed by', result.signer.subject);
    row('workflow', workflow.file ?? result.signer.workflow);
    row('ref', result.signer.sourceRepositoryRef ?? workflow.ref ?? '(not in the certificate)');
    row('issuer', result.signer.issuer);
    if (result.signer.sourceRepository) row('repository', result.signer.sourceRepository);
    if (result.signer.commit) row('commit', result.signer.commit);
  } else {
    row('signed by', `the key ${result.signer.key} (${result.signer.keyId})`);
  }
  row('expected', `${result.policy.description}${result.policy.origin === 'derived' ? ' (derived from the image name)' : ''}`);
  row('bound by', describeBinding(result.binding));
  if (result.tlog) row('logged', `entry ${result.tlog.logIndex} at ${result.tlog.integratedTime}`);
  row(
    'layout',
    result.layout === 'legacy'
      ? result.visibleToRpmOstree
        ? 'legacy .sig tag — rpm-ostree can see this signature'
        : 'legacy .sig — rpm-ostree cannot read it from here'
      : 'cosign 3 bundle — rpm-ostree cannot see this signature; it verifies only here',
  );
  if (unbound) lines.push(`Warning: the signature covers only the digest; nothing signed says this image belongs to ${result.reference}. Do not update to it unless you know where it came from.`);
  return `${lines.join('\n')}\n`;
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: "check an image's cosign signature and who made it",
  help: HELP,
  async run(argv: string[], io: CommandIO): Promise<number> {
    const { values, positionals } = parseCommandArgs('verify', argv, OPTIONS, { min: 1, max: 1 });
    const output = values.output ?? 'text';
    if (output !== 'json' && output !== 'text') throw new UsageError('verify: --output is json or text');
    const reference = positionals[0] as string;
    const platformDigest = values['platform-digest'];
    if (platformDigest !== undefined && !isSha256Digest(platformDigest)) throw new UsageError('verify: --platform-digest must be sha256:<64 hex>');
    // A reference that cannot name an image is a usage mistake, not a failed check.
    for (const [what, text] of [['IMAGE_REF', parseOciLayoutReference(reference) ? undefined : reference], ['--reference', values.reference]] as const) {
      if (text === undefined) continue;
      try {
        parseDockerReference(text);
      } catch (error) {
        throw new UsageError(`verify: ${what}: ${describeError(error)}`);
      }
    }

    const config = await loadConfig(io.env);
    const trustRoot = values['trusted-root'] ? await loadTrustedRootFile(values['trusted-root']) : undefined;
    const context = await createTrustContext(config, io.env, trustRoot ? { trustRoot } : {});
    const keys = await Promise.all((values.key ?? []).map((path) => loadPublicKey(path)));
    let identity = explicitIdentity(values);
    if (!identity && keys.length === 0) {
      const named = parseOciLayoutReference(reference) ? values.reference : reference;
      if (named !== undefined) {
        let ref;
        try {
          ref = parseDockerReference(named);
        } catch (error) {
          throw new TrustError('invalid-input', (error as Error).message);
        }
        identity = identityFor(config, ref);
        const issuer = values['certificate-oidc-issuer'];
        if (identity && issuer) identity = { ...identity, issuer };
        if (identity && values['workflow-ref']) identity = { ...identity, ...workflowRefs(values['workflow-ref']) };
      }
    }
    const result = await verifyImage(
      {
        reference,
        ...(identity ? { identity } : {}),
        ...(keys.length > 0 ? { keys } : {}),
        ...(values.reference !== undefined ? { signedReference: values.reference } : {}),
        ...(platformDigest ? { platformDigest: platformDigest } : {}),
      },
      context,
    );
    if (result.status === 'failed') {
      // Evidence that something is wrong is attention (3); not being able to check is a failure (1).
      io.stderr.write(`vespera-updates verify: ${result.message}\n`);
      return verdictOfCode(result.code) === 'failed' ? VERIFY_EXIT.failed : EXIT.failure;
    }
    if (output === 'json') writeJson(io, [result.cosign]);
    else io.stdout.write(describe(result));
    return EXIT.ok;
  },
};
