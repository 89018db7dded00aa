// What an image maintainer bakes into an image so hosts enforce from first boot: the files a host would
// otherwise get by migrating (policy.json, registries.d, the key; or the app-enforced record), plus
// /etc/vespera-updates/config.yaml naming the family's signer. Writes into an image build's root, not a host.

import { access, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { policyPaths, readPolicyHostState } from '../policy/host-files.ts';
import { appEnforcedStatement, checkFamily, defaultKeyName, planKeyEnforced, type KeyEnforcedPlan, type ScopeChoice } from '../policy/plan.ts';
import { checkTarget, writeAtomically } from '../policy/safe-files.ts';
import { type Config, GITHUB_ISSUER } from '../shared/config.ts';
import { CodedError, describeError } from '../shared/errors.ts';
import { parseDockerReference } from '../shared/image-reference.ts';
import { identityFor } from '../trust/identity-policy.ts';
import { formatEnforcement, NO_ENFORCEMENT, withMode } from '../policy/host-enforcement.ts';

export type ImageSetupCode = 'image-setup-refused' | 'image-setup-failed';
export class ImageSetupError extends CodedError<ImageSetupCode> {}

/** Fedora's stock /etc/containers/policy.json (containers-common), the start when the root has none yet. */
export const FEDORA_STOCK_POLICY = `{
    "default": [
        {
            "type": "insecureAcceptAnything"
        }
    ],
    "transports":
        {
            "docker-daemon":
                {
                    "": [{"type":"insecureAcceptAnything"}]
                }
        }
}
`;

export interface ImageSetupRequest {
  /** The image build's root; files go under ROOT/etc. */
  readonly root: string;
  readonly mode: 'key' | 'app';
  readonly family: readonly string[];
  /** The publisher's cosign.pub text (key mode). */
  readonly keyText?: string;
  readonly keyName?: string;
  readonly scope?: ScopeChoice;
  /** The GitHub repository whose workflows sign; derived from the family's names when omitted. */
  readonly repository?: string;
  readonly now: Date;
}

export interface ImageSetupResult {
  readonly mode: 'key' | 'app';
  readonly family: readonly string[];
  /** Host paths written (/etc/...). */
  readonly written: readonly string[];
  readonly repository?: string;
  readonly keyPath?: string;
  readonly statements: readonly string[];
  /** The policy change as a diff (key mode), against the root's policy or Fedora's stock one. */
  readonly diff?: string;
}

const CONFIG_FILE = join('vespera-updates', 'config.yaml');

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The signer's repository: given, or derived from the family's names the way the app derives it. */
function signerRepository(config: Config, family: readonly string[], given: string | undefined): string | undefined {
  if (given !== undefined) {
    const url = given.replace(/\/$/, '');
    if (!/^https:\/\/[^\s/]+\/[^\s/]+\/[^\s/]+$/.test(url)) throw new ImageSetupError('image-setup-refused', `--repository must be a repository URL like https://github.com/OWNER/REPO, not "${given}".`);
    return url;
  }
  const derived = new Set(
    family.map((name) => {
      const identity = identityFor(config, parseDockerReference(name));
      return identity?.identity.kind === 'repository' ? identity.identity.url : undefined;
    }),
  );
  const [only] = [...derived];
  return derived.size === 1 && only !== undefined ? only : undefined;
}

function configText(family: readonly string[], repository: string | undefined, keyPath: string | undefined): string {
  const entry: Record<string, unknown> = { images: [...family] };
  if (repository) entry.repository = repository;
  if (repository) entry.issuer = GITHUB_ISSUER;
  if (keyPath) entry.key = keyPath;
  return `# Written by vespera-updates image-setup: who signs this image family. Hosts booted from this image
# trust these signers; a user's own configuration may add to this file, never loosen it.
${stringify({ families: [entry] })}`;
}

export async function setUpImageRoot(config: Config, request: ImageSetupRequest): Promise<ImageSetupResult> {
  const root = resolve(request.root);
  if (root === '/' && (await exists('/run/ostree-booted'))) {
    throw new ImageSetupError('image-setup-refused', 'image-setup writes into an image build’s root; this is a running Fedora Atomic host. To change this host, use vespera-updates migrate.');
  }
  let family: string[];
  try {
    family = checkFamily(request.family);
  } catch (error) {
    throw new ImageSetupError('image-setup-refused', describeError(error));
  }
  const etcRoot = join(root, 'etc');
  const configPath = join(etcRoot, CONFIG_FILE);
  if (await exists(configPath)) {
    throw new ImageSetupError('image-setup-refused', `/etc/${CONFIG_FILE} already exists in ${root}; nothing was written. Merge the family into it by hand, or remove it first.`);
  }
  const repository = signerRepository(config, family, request.repository);
  const writes: { path: string; hostPath: string; text: string }[] = [];
  let plan: KeyEnforcedPlan | undefined;
  let statements: string[];
  let keyPath: string | undefined;

  if (request.mode === 'key') {
    if (request.keyText === undefined) throw new ImageSetupError('image-setup-refused', 'Key mode needs the publisher’s public key: --key cosign.pub.');
    const state = await readPolicyHostState(policyPaths(etcRoot), [request.keyName ?? defaultKeyName(family)]);
    const policyText = state.policyText ?? (await readFile(join(root, 'usr', 'etc', 'containers', 'policy.json'), 'utf8').catch(() => FEDORA_STOCK_POLICY));
    try {
      plan = planKeyEnforced({ ...state, policyText }, {
        family,
        scope: request.scope ?? 'per-variant',
        default: 'reject',
        keyText: request.keyText,
        keyName: request.keyName ?? defaultKeyName(family),
      });
    } catch (error) {
      throw new ImageSetupError('image-setup-refused', `Nothing was written: ${describeError(error)}`);
    }
    keyPath = plan.key.hostPath;
    for (const change of plan.changes) writes.push({ path: join(root, change.hostPath), hostPath: change.hostPath, text: change.after });
    // The host-migration note about /etc merging does not apply to a file the image itself ships.
    statements = [
      ...plan.statements.filter((s) => !s.startsWith('/etc is merged')),
      'Hosts installed before this image keep their own /etc/containers/policy.json if they changed it (rpm-ostree merges /etc); those migrate once with vespera-updates migrate.',
    ];
  } else {
    if (!repository) {
      throw new ImageSetupError('image-setup-refused', 'App-enforced mode needs to know who signs: give --repository https://github.com/OWNER/REPO (it cannot be derived from these image names).');
    }
    const record = family.reduce((r, repositoryName) => withMode(r, repositoryName, 'app', request.now), NO_ENFORCEMENT);
    writes.push({ path: policyPaths(etcRoot).enforcementFile, hostPath: '/etc/vespera-updates/enforcement.json', text: formatEnforcement(record) });
    statements = appEnforcedStatement(family, repository);
  }
  writes.push({ path: configPath, hostPath: `/etc/${CONFIG_FILE}`, text: configText(family, repository, keyPath) });

  const done: string[] = [];
  for (const write of writes) {
    try {
      await checkTarget(root, write.path, true);
      await writeAtomically(write.path, write.text, { mode: 0o644 });
    } catch (error) {
      const wrote = done.length > 0 ? `${done.join(', ')} were written before it` : 'nothing was written before it';
      throw new ImageSetupError('image-setup-failed', `Writing ${write.path} failed (${describeError(error)}); ${wrote}. Fix the cause and run image-setup again on a fresh root.`);
    }
    done.push(write.hostPath);
  }
  return {
    mode: request.mode,
    family,
    written: writes.map((w) => w.hostPath),
    ...(repository ? { repository } : {}),
    ...(keyPath ? { keyPath } : {}),
    statements,
    ...(plan ? { diff: plan.diff } : {}),
  };
}
