// `vespera-updates image-setup`: for image maintainers, writes into an image build's root what a host
// would otherwise get by migrating, so hosts booted from the image enforce signatures from first boot.

import { setUpImageRoot } from '../../flows/image-setup.ts';
import { MAX_KEY_CHARS } from '../../policy/public-key.ts';
import { readFileLimited } from '../../shared/bounded.ts';
import { loadConfig } from '../../shared/config.ts';
import { describeError } from '../../shared/errors.ts';
import { EXIT, parseCommandArgs, UsageError, writeJson, type Command } from '../command.ts';
import { exitCodesHelp } from '../exit-codes.ts';

const HELP = `usage: vespera-updates image-setup --root DIR --family REPO[,REPO...]
                                   [--mode key --key cosign.pub | --mode app] [options]

For image maintainers (a Containerfile RUN step, see docs/Containerfile.example): writes into the image
build's root DIR what a host would otherwise get by migrating, so every host booted from the image
enforces signatures from its first boot, without running the migration.

  --mode key  (with --key) DIR/etc/containers/policy.json requires a signature by the key for the
              family (default reject, catch-alls keep other pulls working), registries.d turns on
              cosign's sigstore attachments, the key goes to /etc/pki/containers/. rpm-ostree then
              refuses unsigned or foreign builds itself (ostree-image-signed:).
  --mode app  (the default without --key) for keyless-only images: records the family as enforced by
              Vespera Updates (/etc/vespera-updates/enforcement.json); no policy can express a GitHub
              identity, so the app verifies each update and stages it finalization-locked.
Both write /etc/vespera-updates/config.yaml naming the family's signer.

Options:
  --root DIR          the image build's root (/ inside a Containerfile); files go under DIR/etc
  --family REPOS      the image repositories, comma-separated: ghcr.io/OWNER/IMAGE,ghcr.io/OWNER/IMAGE-VARIANT
  --key FILE          the publisher's cosign public key
  --key-name NAME     its file name under /etc/pki/containers (default: OWNER-IMAGE.pub)
  --scope per-variant|namespace   one rule per repository (default) or one for their namespace
  --repository URL    the GitHub repository whose workflows sign (default: derived from the names)
  --json              print what was written as JSON

${exitCodesHelp('image-setup')}`;

export const imageSetupCommand: Command = {
  name: 'image-setup',
  summary: "bake the signature policy and the signer into an image build's root",
  help: HELP,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      'image-setup',
      argv,
      {
        root: { type: 'string' },
        family: { type: 'string' },
        mode: { type: 'string' },
        key: { type: 'string' },
        'key-name': { type: 'string' },
        scope: { type: 'string' },
        repository: { type: 'string' },
        json: { type: 'boolean' },
      },
      { max: 0 },
    );
    if (!values.root) throw new UsageError('image-setup: --root DIR is needed (the image build’s root; / inside a Containerfile)');
    if (!values.family) throw new UsageError('image-setup: --family is needed: the image repositories, e.g. ghcr.io/OWNER/IMAGE,ghcr.io/OWNER/IMAGE-nvidia');
    const mode = values.mode ?? (values.key ? 'key' : 'app');
    if (mode !== 'key' && mode !== 'app') throw new UsageError('image-setup: --mode is key or app');
    if (mode === 'key' && !values.key) throw new UsageError('image-setup: --mode key needs --key cosign.pub');
    if (mode === 'app' && values.key) throw new UsageError('image-setup: --key is for --mode key; app-enforced mode trusts the keyless identity');
    if (values.scope !== undefined && values.scope !== 'per-variant' && values.scope !== 'namespace') throw new UsageError('image-setup: --scope is per-variant or namespace');
    let keyText: string | undefined;
    if (values.key) {
      try {
        keyText = (await readFileLimited(values.key, MAX_KEY_CHARS)).toString('utf8');
      } catch (error) {
        throw new UsageError(`image-setup: the key file ${values.key} cannot be read (${describeError(error)})`);
      }
    }
    const config = await loadConfig(io.env);
    const result = await setUpImageRoot(config, {
      root: values.root,
      mode,
      family: values.family.split(',').map((s) => s.trim()).filter(Boolean),
      ...(keyText !== undefined ? { keyText } : {}),
      ...(values['key-name'] ? { keyName: values['key-name'] } : {}),
      ...(values.scope ? { scope: values.scope } : {}),
      ...(values.repository ? { repository: values.repository } : {}),
      now: new Date(),
    });
    if (values.json) {
      writeJson(io, result);
      return EXIT.ok;
    }
    const lines = [`Wrote into ${values.root}:`, ...result.written.map((w) => `  ${w}`), '', ...result.statements.map((s) => `* ${s}`)];
    if (result.repository) lines.push(`* Hosts expect each update to be signed by a workflow of ${result.repository}${result.keyPath ? ` or by the key ${result.keyPath}` : ''}.`);
    io.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.ok;
  },
};
