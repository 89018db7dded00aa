// `vespera-updates publisher-check IMAGE…`: for publishers, the doctor's signature checks turned toward
// their own images: what is signed, in which layout and at which digest, what rpm-ostree sees, what is missing.

import { ImageChecks } from '../../flows/image-checks.ts';
import { checkPublishedImage, type PublisherReport, type SignatureFinding } from '../../flows/publisher-check.ts';
import { GITHUB_ISSUER, loadConfig } from '../../shared/config.ts';
import { describeError } from '../../shared/errors.ts';
import { parseDockerReference, repositoryName, type DockerReference } from '../../shared/image-reference.ts';
import { createTrustContext, loadPublicKey } from '../../trust/index.ts';
import { EXIT, parseCommandArgs, UsageError, writeJson, type Command } from '../command.ts';
import { FLOW_EXIT } from '../terminal.ts';
import { exitCodesHelp } from '../exit-codes.ts';

const HELP = `usage: vespera-updates publisher-check IMAGE... [--key cosign.pub]... [--repository URL] [--json]

For publishers: checks your own images the way hosts will, so both the OS and Vespera Updates can check
them. For each IMAGE (REGISTRY/OWNER/NAME:TAG) it reports what is signed (keyless by your workflow, by
your key), in which cosign layout (the legacy .sig tag, or cosign 3's bundle) and at which digest (the
index rpm-ostree checks, or a platform manifest), what rpm-ostree will see, and what is missing.
See docs/publishing.md for how to sign.

Options:
  --key FILE          your cosign public key (repeatable): the signature the OS would enforce
  --repository URL    the GitHub repository whose workflows sign (default: the configured family,
                      or derived from the image name)
  --json              the reports as JSON

${exitCodesHelp('publisher-check')}`;

function findingLine(label: string, f: SignatureFinding): string {
  const layout = f.layout === 'legacy' ? "legacy .sig layout" : f.layout === 'bundle' ? "cosign 3 bundle layout" : '';
  switch (f.status) {
    case 'verified':
      return `  ${label.padEnd(9)}${f.detail}, ${layout}, at ${f.digest ?? '?'}`;
    case 'missing':
      return `  ${label.padEnd(9)}none`;
    case 'failed':
      return `  ${label.padEnd(9)}does not verify: ${f.detail}`;
    case 'not-checked':
      return `  ${label.padEnd(9)}not checked: ${f.detail}`;
  }
}

function render(report: PublisherReport): string {
  const lines = [report.image];
  if (report.digest) lines.push(`  ${'digest'.padEnd(9)}${report.digest}${report.platformDigest ? ` (index; this platform: ${report.platformDigest})` : ''}`);
  lines.push(`  ${'expected'.padEnd(9)}${report.expected}`, findingLine('keyless', report.keyless), findingLine('key', report.key));
  for (const line of report.rpmOstree) lines.push(`  rpm-ostree sees: ${line}`);
  if (report.couldNotCheck) lines.push(`  Could not check: ${report.couldNotCheck}`);
  if (report.gaps.length === 0 && !report.couldNotCheck) lines.push('  Nothing missing: the OS and Vespera Updates can both check this image.');
  for (const gap of report.gaps) lines.push(`  MISSING: ${gap}`);
  return lines.join('\n');
}

export const publisherCheckCommand: Command = {
  name: 'publisher-check',
  summary: 'for publishers: what of your image is signed, what rpm-ostree sees, what is missing',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('publisher-check', argv, { key: { type: 'string', multiple: true }, repository: { type: 'string' }, json: { type: 'boolean' } }, { min: 1, max: 64 });
    let images: DockerReference[];
    try {
      images = positionals.map((p) => parseDockerReference(p.replace(/^docker:\/\//, '')));
    } catch (error) {
      throw new UsageError(`publisher-check: ${describeError(error)}`);
    }
    const repository = values.repository?.replace(/\/$/, '');
    if (repository !== undefined && !/^https:\/\/[^\s/]+\/[^\s/]+\/[^\s/]+$/.test(repository)) throw new UsageError('publisher-check: --repository must be a repository URL like https://github.com/OWNER/REPO');
    const loaded = await loadConfig(io.env);
    const config = repository ? { ...loaded, families: [{ images: [...new Set(images.map((i) => repositoryName(i)))], repository, issuer: GITHUB_ISSUER }, ...loaded.families] } : loaded;
    const keys = await Promise.all((values.key ?? []).map(async (path) => await loadPublicKey(path)));
    const checks = new ImageChecks(config, await createTrustContext(config, io.env));
    const reports: PublisherReport[] = [];
    for (const image of images) reports.push(await checkPublishedImage(checks, image, keys));
    if (values.json) writeJson(io, reports);
    else io.stdout.write(`${reports.map(render).join('\n\n')}\n`);
    if (reports.some((r) => r.gaps.length > 0)) return FLOW_EXIT.attention;
    return reports.some((r) => r.couldNotCheck) ? EXIT.failure : EXIT.ok;
  },
};
