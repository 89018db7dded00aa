// The image family a key-enforced plan covers: its repositories checked and normalised, their common
// namespace, the key file's default name, the one image of the `image` scope; and the planner's errors.

import { CodedError } from '../shared/errors.ts';
import { parseDockerReference, repositoryName } from '../shared/image-reference.ts';
import { checkKeyFileName } from './public-key.ts';

export type PlanCode = 'plan-invalid-request' | 'plan-conflict' | 'plan-impossible' | 'plan-policy-invalid';

/** Planning failures, worded for a person in the app or at the command line (no command-line options). */
export class PlanError extends CodedError<PlanCode> {
  /** The command-line options that make the other choice, for the CLI to add to the message. */
  readonly cliHint?: string;

  constructor(code: PlanCode, message: string, options?: { cause?: unknown; cliHint?: string }) {
    super(code, message, options);
    if (options?.cliHint) this.cliHint = options.cliHint;
  }
}

/** Checks and normalises the family: repository names without tag, all on one registry. */
export function checkFamily(family: readonly string[]): string[] {
  if (family.length === 0) throw new PlanError('plan-invalid-request', 'Name the image family: at least one repository such as ghcr.io/OWNER/IMAGE.');
  if (family.length > 64) throw new PlanError('plan-invalid-request', `The family lists ${family.length} repositories; at most 64 are supported. Use a namespace scope instead.`);
  const names = family.map((entry) => {
    let ref;
    try {
      ref = parseDockerReference(entry);
    } catch (error) {
      throw new PlanError('plan-invalid-request', (error as Error).message);
    }
    if (ref.tag !== undefined || ref.digest !== undefined) {
      throw new PlanError('plan-invalid-request', `"${entry}" names a tag or digest; a family lists repositories (${repositoryName(ref)}), the rule covers all their tags.`);
    }
    return repositoryName(ref);
  });
  const registries = new Set(names.map((n) => n.split('/')[0]));
  if (registries.size > 1) throw new PlanError('plan-invalid-request', `The family spans several registries (${[...registries].join(', ')}); plan one registry at a time.`);
  return [...new Set(names)];
}

/** The deepest namespace holding every repository of the family; never the bare registry. */
export function familyNamespace(repositories: readonly string[]): string {
  const split = repositories.map((r) => r.split('/').slice(0, -1));
  const first = split[0] ?? [];
  let depth = first.length;
  for (const parts of split) {
    let i = 0;
    while (i < depth && parts[i] === first[i]) i++;
    depth = i;
  }
  if (depth < 2) {
    throw new PlanError(
      'plan-impossible',
      `The family's repositories share no namespace below the registry ${first[0] ?? ''}, so one rule for their namespace would cover the whole registry. Choose one rule per image instead.`,
      { cliHint: '--scope per-variant' },
    );
  }
  return first.slice(0, depth).join('/');
}

/** acme-vespera.pub for ghcr.io/acme/vespera, vespera-nvidia, …: the owner and the common name. */
export function defaultKeyName(repositories: readonly string[]): string {
  const names = repositories.map((r) => r.split('/'));
  const owner = names[0]?.[names[0].length - 2] ?? 'publisher';
  const lasts = names.map((n) => n[n.length - 1] ?? '');
  let prefix = lasts[0] ?? '';
  for (const last of lasts) while (!last.startsWith(prefix)) prefix = prefix.slice(0, -1);
  prefix = prefix.replace(/[-_.]+$/, '');
  const base = `${owner}${prefix ? `-${prefix}` : ''}`.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '');
  return checkKeyFileName(`${base.slice(0, 58) || 'publisher'}.pub`);
}

/** The one repository the `image` scope covers: the host's image, which must be one of the family. */
export function singleImage(family: readonly string[], image: string | undefined): string {
  if (image === undefined) {
    if (family.length === 1 && family[0] !== undefined) return family[0];
    throw new PlanError('plan-invalid-request', `Say which image this computer runs: one rule for exactly one image needs its name (one of ${family.join(', ')}).`, { cliHint: '--image REPO' });
  }
  const [name] = checkFamily([image]);
  if (name === undefined || !family.includes(name)) throw new PlanError('plan-invalid-request', `${image} is not one of the family's images (${family.join(', ')}).`);
  return name;
}
