// One look at a host's signature policy for people and the doctor: is policy.json valid (and for which
// containers/image), does registries.d load, and what applies to a given image and why.

import { readFileLimited } from '../shared/bounded.ts';
import { describeError } from '../shared/errors.ts';
import type { DockerReference } from '../shared/image-reference.ts';
import { readRegistriesFiles } from './host-files.ts';
import { explainImage, findLoopholes, type ImagePolicyAnswer, type Loophole } from './policy-evaluate.ts';
import { describeFeatureLevel, type FeatureLevel, type PolicyWarning } from './policy-model.ts';
import { MAX_POLICY_CHARS, parsePolicyText, PolicyFileError } from './policy-parse.ts';
import { mergeRegistriesFiles, RegistriesError, type RegistriesConfig, type RegistriesWarning } from './registries-d.ts';

export type PolicyStatus =
  | { readonly valid: true; readonly file: string; readonly requires: FeatureLevel; readonly requiresText: string; readonly warnings: readonly PolicyWarning[]; readonly loopholes: readonly Loophole[] }
  | { readonly valid: false; readonly file: string; readonly error: PolicyFileError };

export type RegistriesStatus =
  | { readonly valid: true; readonly dir: string; readonly files: readonly string[]; readonly warnings: readonly RegistriesWarning[] }
  | { readonly valid: false; readonly dir: string; readonly error: RegistriesError };

export interface PolicyReport {
  readonly policy: PolicyStatus;
  readonly registries: RegistriesStatus;
  /** Present when an image was named and the policy is valid. */
  readonly image?: ImagePolicyAnswer;
}

export async function inspectPolicy(files: { readonly policyFile: string; readonly registriesDir: string }, image?: DockerReference): Promise<PolicyReport> {
  let policyStatus: PolicyStatus;
  let text: string | null = null;
  try {
    text = (await readFileLimited(files.policyFile, MAX_POLICY_CHARS)).toString('utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    policyStatus = {
      valid: false,
      file: files.policyFile,
      error: new PolicyFileError({
        code: 'policy-unreadable',
        source: files.policyFile,
        path: '',
        problem: missing ? 'the file does not exist' : `the file cannot be read (${describeError(error)})`,
        fix: missing ? 'Reinstall containers-common, which ships it, or restore it from a backup.' : 'Check its permissions.',
      }),
    };
  }
  let parsed: ReturnType<typeof parsePolicyText> | undefined;
  if (text !== null) {
    try {
      parsed = parsePolicyText(text, files.policyFile);
      policyStatus = { valid: true, file: files.policyFile, requires: parsed.requires, requiresText: describeFeatureLevel(parsed.requires), warnings: parsed.warnings, loopholes: findLoopholes(parsed) };
    } catch (error) {
      if (!(error instanceof PolicyFileError)) throw error;
      policyStatus = { valid: false, file: files.policyFile, error };
    }
  }
  let registries: RegistriesConfig | undefined;
  let registriesStatus: RegistriesStatus;
  try {
    registries = mergeRegistriesFiles(await readRegistriesFiles(files.registriesDir));
    registriesStatus = { valid: true, dir: files.registriesDir, files: registries.files, warnings: registries.warnings };
  } catch (error) {
    if (!(error instanceof RegistriesError)) throw error;
    registriesStatus = { valid: false, dir: files.registriesDir, error };
  }
  return {
    policy: policyStatus!,
    registries: registriesStatus,
    ...(parsed && image ? { image: explainImage(parsed, image, registries) } : {}),
  };
}
