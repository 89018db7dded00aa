// `vespera-updates verify-bundle`: the sigstore-conformance client protocol for verifying a bundle
// about a file (or a `sha256:` digest), offline against a trusted root.

import { readFileLimited } from '../../shared/bounded.ts';
import { loadConfig } from '../../shared/config.ts';
import { TrustError, verdictOfCode } from '../../trust/errors.ts';
import type { IdentityPolicy } from '../../trust/identity-policy.ts';
import { loadPublicKey } from '../../trust/keys.ts';
import { loadTrustedRootFile, trustRootFromConfig } from '../../trust/trust-root.ts';
import { verifyArtifactBundle } from '../../trust/verify-bundle.ts';
import { EXIT, parseCommandArgs, UsageError, type Command, type CommandIO } from '../command.ts';
import { VERIFY_EXIT } from './verify.ts';
import { exitCodesHelp } from '../exit-codes.ts';

const HELP = `usage: vespera-updates verify-bundle --bundle FILE
         (--certificate-identity ID --certificate-oidc-issuer URL | --key PUBKEY)
         [--trusted-root FILE] FILE_OR_DIGEST

Verifies a Sigstore bundle about a file, or about an artifact known only by its digest
(sha256:<hex>), the way the sigstore-conformance suite drives a client. The identity is
compared exactly. Without --trusted-root the configured root (or Sigstore public-good) is used.

${exitCodesHelp('verify-bundle')}`;

const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;
const MAX_ARTIFACT_BYTES = 512 * 1024 * 1024;

async function readInput(path: string, max: number, what: string): Promise<Buffer> {
  try {
    return await readFileLimited(path, max);
  } catch (error) {
    throw new TrustError('invalid-input', `${what} ${path} could not be read (${(error as Error).message}).`);
  }
}

export const verifyBundleCommand: Command = {
  name: 'verify-bundle',
  summary: 'verify a Sigstore bundle about a file (sigstore-conformance protocol)',
  help: HELP,
  async run(argv: string[], io: CommandIO): Promise<number> {
    const { values, positionals } = parseCommandArgs(
      'verify-bundle',
      argv,
      {
        bundle: { type: 'string' },
        'certificate-identity': { type: 'string' },
        'certificate-oidc-issuer': { type: 'string' },
        key: { type: 'string' },
        'trusted-root': { type: 'string' },
      },
      { min: 1, max: 1 },
    );
    if (!values.bundle) throw new UsageError('verify-bundle: --bundle is required');
    const hasIdentity = values['certificate-identity'] !== undefined || values['certificate-oidc-issuer'] !== undefined;
    if (hasIdentity && (values['certificate-identity'] === undefined || values['certificate-oidc-issuer'] === undefined)) {
      throw new UsageError('verify-bundle: give both --certificate-identity and --certificate-oidc-issuer');
    }
    if (!hasIdentity && values.key === undefined) throw new UsageError('verify-bundle: give --certificate-identity and --certificate-oidc-issuer, or --key');

    const target = positionals[0] as string;
    let artifact: Buffer | { sha256: Buffer };
    if (/^sha256:[0-9a-f]{64}$/.test(target)) artifact = { sha256: Buffer.from(target.slice(7), 'hex') };
    else if (target.startsWith('sha256:')) throw new UsageError('verify-bundle: a digest is sha256:<64 lower-case hex>');
    else artifact = await readInput(target, MAX_ARTIFACT_BYTES, 'the artifact');

    const bundleBytes = await readInput(values.bundle, MAX_BUNDLE_BYTES, 'the bundle');
    let bundle: unknown;
    try {
      bundle = JSON.parse(bundleBytes.toString('utf8'));
    } catch (error) {
      throw new TrustError('unsupported-format', `${values.bundle} is not JSON (${(error as Error).message}).`);
    }
    const trustRoot = values['trusted-root']
      ? await loadTrustedRootFile(values['trusted-root'])
      : await trustRootFromConfig((await loadConfig(io.env)).trust, io.env);
    const identity: IdentityPolicy | undefined = hasIdentity
      ? { issuer: values['certificate-oidc-issuer'] as string, identity: { kind: 'exact', subject: values['certificate-identity'] as string }, origin: 'explicit' }
      : undefined;
    const keys = values.key ? [await loadPublicKey(values.key)] : [];
    const result = verifyArtifactBundle({ bundle, artifact, trustRoot, keys, ...(identity ? { identity } : {}) });
    if (result.status === 'failed') {
      io.stderr.write(`vespera-updates verify-bundle: the bundle does not verify: ${result.message}\n`);
      return verdictOfCode(result.code) === 'failed' ? VERIFY_EXIT.failed : EXIT.failure;
    }
    io.stdout.write(`OK: ${result.signer.kind === 'keyless' ? `signed by ${result.signer.certificate.subject ?? '?'}` : `signed with ${result.signer.key.source}`}\n`);
    return EXIT.ok;
  },
};
