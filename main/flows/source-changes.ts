// Where a build came from, as the signatures vouch for it: the source repository, commit and build run
// from the Fulcio certificates of the running build and of the target, and links to the forge. Pure.

import type { SignatureView, SourceChangeView } from '../../preload/contract.ts';

const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const REPOSITORY = /^https:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?(?:\/[A-Za-z0-9._-]+){2,}$/;
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const GITLAB_ISSUER = 'https://gitlab.com';

const FROM_CERTIFICATES =
  'These come from the signing certificates, which Sigstore issued to the build workflow itself: unlike the labels, tags and dates the registry shows, nobody with only push access to the registry can change them.';

/** `7fb1b12`: how forges and people abbreviate a commit. */
export function shortCommit(commit: string): string {
  return commit.slice(0, 7);
}

/** A verified signer whose `kind` is `keyless`: its fields come from a Fulcio certificate. */
type Keyless = NonNullable<SignatureView['signer']>;

function keylessSigner(view: SignatureView | undefined): Keyless | undefined {
  return view?.status === 'verified' && view.signer?.kind === 'keyless' ? view.signer : undefined;
}

/** The repository and commit a verified keyless signature names, when both are well formed. */
function sourceOf(signer: Keyless | undefined): { repository: string; commit: string } | undefined {
  const repository = signer?.sourceRepository?.replace(/\/$/, '');
  const commit = signer?.commit?.toLowerCase();
  if (!repository || !commit || !REPOSITORY.test(repository) || !COMMIT.test(commit)) return undefined;
  return { repository, commit };
}

/** The forge's page comparing two commits, for the forges whose URL scheme is known. */
function compareUrl(repository: string, issuer: string | undefined, from: string, to: string): string | undefined {
  const host = new URL(repository).host;
  if (host === 'github.com' || issuer === GITHUB_ISSUER) return `${repository}/compare/${from}...${to}`;
  if (host === 'gitlab.com' || issuer === GITLAB_ISSUER) return `${repository}/-/compare/${from}...${to}`;
  return undefined;
}

/** The run URL only when it is an https page of the signed repository itself. */
function runUrlOf(signer: Keyless, repository: string): string | undefined {
  const url = signer.runUrl;
  if (!url || url.length > 2048 || !url.startsWith(`${repository}/`) || /[\s"<>\\]/.test(url)) return undefined;
  try {
    return new URL(url).protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** What the target's signature says about its source, against the running build's. */
export function sourceChange(running: SignatureView | undefined, target: SignatureView | undefined): SourceChangeView {
  if (!target || target.status === 'checking' || target.status === 'not-checked') {
    return { status: 'checking', summary: 'checking the signature', message: 'Where this build came from is known once its signature is checked.' };
  }
  if (target.status === 'unchecked') {
    // Could not check is not failed: nothing is said against the build, and nothing for it either.
    return {
      status: 'unchecked',
      summary: 'source not known yet: its signature could not be checked',
      message: `Its signature could not be checked (${target.failure?.message ?? 'no answer'}), so Vespera Updates cannot say yet which source it was built from. It says so once the check succeeds.`,
    };
  }
  if (target.status === 'not-applicable') {
    return { status: 'no-source', summary: 'no source information: not a registry image', message: 'It is not a container image from a registry, so no signing certificate names its source.' };
  }
  if (target.status !== 'verified' || !target.signer) {
    return {
      status: 'unverified',
      summary: 'no verified source: its signature failed',
      message: 'Its signature failed the check, so nothing vouches for where it came from: anything the registry says about it is unproven.',
    };
  }
  if (target.signer.kind === 'key') {
    return {
      status: 'key-only',
      summary: 'no source information: signed with a key only',
      message: `It is signed only with the key ${target.signer.identity}. A key signature carries no source repository, commit or build run, so nothing vouches for which source it was built from.`,
    };
  }
  const signer = target.signer;
  const source = sourceOf(signer);
  if (!source) {
    return {
      status: 'no-source',
      summary: 'no source information in its certificate',
      message: `Its signing certificate (${signer.identity}) names no source repository and commit, so nothing vouches for which source it was built from.`,
    };
  }
  const runUrl = runUrlOf(signer, source.repository);
  const runningSource = sourceOf(keylessSigner(running));
  const base = { status: 'known' as const, repository: source.repository, commit: source.commit, ...(runUrl ? { runUrl } : {}) };
  if (!runningSource || runningSource.repository !== source.repository) {
    const why = !running || running.status !== 'verified' ? 'the running system’s signature is not verified' : runningSource ? 'the running system comes from another repository' : 'the running system’s signature names no commit';
    return { ...base, summary: `built from commit ${shortCommit(source.commit)} (running: unknown, ${why})`, message: FROM_CERTIFICATES };
  }
  if (runningSource.commit === source.commit) {
    return { ...base, runningCommit: runningSource.commit, summary: `built from commit ${shortCommit(source.commit)}, the same commit as the running system`, message: FROM_CERTIFICATES };
  }
  const compare = compareUrl(source.repository, signer.issuer, runningSource.commit, source.commit);
  return {
    ...base,
    runningCommit: runningSource.commit,
    ...(compare ? { compareUrl: compare } : {}),
    summary: `built from commit ${shortCommit(source.commit)} (running: ${shortCommit(runningSource.commit)})`,
    message: FROM_CERTIFICATES,
  };
}
