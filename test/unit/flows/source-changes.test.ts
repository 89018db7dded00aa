import { describe, expect, it } from 'vitest';
import type { SignatureView } from '../../../preload/contract.ts';
import { sourceChange } from '../../../main/flows/source-changes.ts';

const REPO = 'https://github.com/acme/vespera';
const RUNNING = 'd9ef04ffc80a1b207644d000c594afe4a8e0f201';
const NEXT = '7fb1b12eeee968e40db8bf51a098c814a23a7252';
const RUN = `${REPO}/actions/runs/12142351662/attempts/1`;

function keyless(commit: string | undefined, extra: Partial<NonNullable<SignatureView['signer']>> = {}): SignatureView {
  return {
    status: 'verified',
    signer: {
      kind: 'keyless',
      identity: `${REPO}/.github/workflows/build.yml@refs/heads/main`,
      issuer: 'https://token.actions.githubusercontent.com',
      sourceRepository: REPO,
      ...(commit ? { commit } : {}),
      runUrl: RUN,
      ...extra,
    },
  };
}
const KEY: SignatureView = { status: 'verified', signer: { kind: 'key', identity: 'vespera.pub' } };

describe('source changes from the certificates', () => {
  it('names both commits, links the comparison and the build run', () => {
    expect(sourceChange(keyless(RUNNING), keyless(NEXT))).toEqual({
      status: 'known',
      summary: 'built from commit 7fb1b12 (running: d9ef04f)',
      message: expect.stringContaining('signing certificates') as string,
      repository: REPO,
      commit: NEXT,
      runningCommit: RUNNING,
      compareUrl: `${REPO}/compare/${RUNNING}...${NEXT}`,
      runUrl: RUN,
    });
  });

  it('says plainly when a key signature carries no source', () => {
    const view = sourceChange(keyless(RUNNING), KEY);
    expect(view.status).toBe('key-only');
    expect(view.message).toContain('A key signature carries no source repository, commit or build run');
    expect(view.commit).toBeUndefined();
  });

  it('does not compare with a running build whose signature names no commit of the same repository', () => {
    expect(sourceChange(KEY, keyless(NEXT))).toMatchObject({ status: 'known', summary: 'built from commit 7fb1b12 (running: unknown, the running system’s signature names no commit)' });
    expect(sourceChange(keyless(RUNNING, { sourceRepository: 'https://github.com/mallory/vespera' }), keyless(NEXT)).compareUrl).toBeUndefined();
    expect(sourceChange(keyless(NEXT), keyless(NEXT)).summary).toBe('built from commit 7fb1b12, the same commit as the running system');
  });

  it('vouches for nothing when the target is not verified, or its certificate has no source', () => {
    expect(sourceChange(keyless(RUNNING), { status: 'failed', failure: { code: 'identity-mismatch', message: 'x' } }).status).toBe('unverified');
    // Could not check is its own verdict: not known yet, not failed.
    const offline = sourceChange(keyless(RUNNING), { status: 'unchecked', failure: { code: 'network', message: 'The registry could not be reached.' } });
    expect(offline).toMatchObject({ status: 'unchecked', summary: 'source not known yet: its signature could not be checked' });
    expect(offline.message).toContain('The registry could not be reached.');
    expect(sourceChange(keyless(RUNNING), { status: 'not-applicable' }).status).toBe('no-source');
    expect(sourceChange(keyless(RUNNING), { status: 'checking' }).status).toBe('checking');
    expect(sourceChange(keyless(RUNNING), keyless(undefined)).status).toBe('no-source');
    expect(sourceChange(keyless(RUNNING), keyless('not-a-commit')).status).toBe('no-source');
  });

  it('keeps only a run link that points into the signed repository', () => {
    expect(sourceChange(keyless(RUNNING), keyless(NEXT, { runUrl: 'https://evil.example/acme/vespera/actions/runs/1' })).runUrl).toBeUndefined();
    expect(sourceChange(keyless(RUNNING), keyless(NEXT, { runUrl: `${REPO}/actions/runs/1"><script>` })).runUrl).toBeUndefined();
  });

  it('links GitLab comparisons the GitLab way, and none for forges it does not know', () => {
    const gitlab = 'https://gitlab.com/acme/vespera';
    const on = (repo: string, issuer: string, commit: string) => keyless(commit, { sourceRepository: repo, issuer, runUrl: `${repo}/-/jobs/1` });
    expect(sourceChange(on(gitlab, 'https://gitlab.com', RUNNING), on(gitlab, 'https://gitlab.com', NEXT)).compareUrl).toBe(`${gitlab}/-/compare/${RUNNING}...${NEXT}`);
    const forgejo = 'https://code.example.org/acme/vespera';
    expect(sourceChange(on(forgejo, 'https://code.example.org', RUNNING), on(forgejo, 'https://code.example.org', NEXT)).compareUrl).toBeUndefined();
  });
});
