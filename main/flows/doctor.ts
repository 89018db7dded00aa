// The doctor: IMAGE-SIGNING.md's troubleshooting guide as automatic checks, each pass, fail or skip
// with the evidence that decided it and the exact fix. It never changes anything on the host.

import { execFile } from 'node:child_process';
import type { DoctorCheck, DoctorReport } from '../../preload/contract.ts';
import type { HostState } from '../host/index.ts';
import { inspectPolicy, type PolicyReport } from '../policy/policy-report.ts';
import { describeProvenance, type Config } from '../shared/config.ts';
import { describeError } from '../shared/errors.ts';
import { formatDockerReference, parseDockerReference, repositoryName, type DockerReference } from '../shared/image-reference.ts';
import { connectionFailure, isCosignTag, isVerified, type VerificationResult } from '../trust/index.ts';
import { readHostEnforcement } from '../policy/host-enforcement.ts';
import { enforcementOf } from './enforcement.ts';
import { failureOf, imageOf, type ImageChecks } from './image-checks.ts';
import { frozenTagNotice, judgeOffer } from './update-order.ts';
import type { PartialSession } from './session.ts';
import { AUTOMATIC_POLICY_FIX } from './classification.ts';

export interface DoctorOptions {
  /** The image to examine (default: the one the host follows). */
  readonly image?: string;
  /** How long a reachability probe may take. */
  readonly probeTimeoutMs?: number;
  /** Runs journalctl; replaceable so tests can feed the journal. */
  readonly journal?: () => Promise<{ available: boolean; lines: string[]; why?: string }>;
}

export const SIGN_FLAGS = 'cosign sign --new-bundle-format=false --use-signing-config=false …';

const pass = (id: string, title: string, summary: string, evidence: string[] = []): DoctorCheck => ({ id, title, status: 'pass', summary, evidence });
const skip = (id: string, title: string, summary: string, evidence: string[] = []): DoctorCheck => ({ id, title, status: 'skip', summary, evidence });
const fail = (id: string, title: string, summary: string, evidence: string[], fix: { text: string; command?: string }): DoctorCheck => ({
  id,
  title,
  status: 'fail',
  summary,
  evidence,
  fix,
});

export async function runDoctor(session: PartialSession, checks: ImageChecks, options: DoctorOptions = {}): Promise<DoctorReport> {
  const state = session.host?.state;
  const results: DoctorCheck[] = [];
  const guard = async (id: string, title: string, run: () => DoctorCheck | DoctorCheck[] | Promise<DoctorCheck | DoctorCheck[]>): Promise<void> => {
    try {
      const out = await run();
      results.push(...(Array.isArray(out) ? out : [out]));
    } catch (error) {
      results.push(skip(id, title, `This check could not run: ${describeError(error)}`));
    }
  };

  let image: DockerReference | undefined = imageOf(state?.booted);
  if (options.image) image = parseDockerReference(options.image.replace(/^(ostree-image-signed:docker:\/\/|ostree-unverified-registry:|docker:\/\/)/, ''));
  const policy = await inspectPolicy(session.policy, image);

  await guard('daemon', 'rpm-ostreed answers', () =>
    state?.daemon === 'running'
      ? pass('daemon', 'rpm-ostreed answers', `rpm-ostreed is running (${state.daemonName ?? ''}).`)
      : fail('daemon', 'rpm-ostreed answers', 'rpm-ostreed does not answer on the system bus.', session.hostProblem ? [session.hostProblem] : [], {
          text: 'Start it and look at its log; on a system that is not Fedora Atomic there is no rpm-ostreed.',
          command: 'systemctl start rpm-ostreed; journalctl -u rpm-ostreed -n 50',
        }),
  );
  if (state) await guard('transaction', 'No transaction is stuck', () => transactionCheck(state));
  await guard('config', 'Where the settings come from', () => configCheck(session.config));
  await guard('policy-syntax', 'containers-policy.json loads', () => policySyntaxCheck(policy));
  await guard('policy-loopholes', 'The policy covers this image', () => policyCoverageCheck(policy, state?.booted?.refspec?.kind === 'container' ? state.booted.refspec.verification : undefined));
  await guard('registries-d', 'containers/image looks for cosign signatures', () => attachmentsCheck(policy));
  if (image) {
    const target = image;
    await guard('registry', 'The registry answers', async () => await registryCheck(session, target, options.probeTimeoutMs ?? 5000));
    await guard('signature', 'The image is signed by whom you expect', async () => await signatureChecks(checks, target));
    await guard('tag-moves', 'The tag still moves', async () => await tagChecks(session, checks, target, state));
  } else {
    results.push(skip('signature', 'The image is signed by whom you expect', 'This host does not follow a registry image, and none was named.'));
  }
  await guard('sigstore', 'Sigstore’s services answer', async () => await sigstoreCheck(session, options.probeTimeoutMs ?? 5000));
  if (state) await guard('automatic-updates', 'Automatic updates go through the check', async () => {
    const enforcement = await enforcementOf(state.booted, session.policy, (await readHostEnforcement(session.policy)).record);
    const stages = state.automaticUpdatePolicy === 'stage' || state.automaticUpdatePolicy === 'apply';
    if (enforcement.mode === 'app-enforced' && stages) {
      return fail('automatic-updates', 'Automatic updates go through the check', `rpm-ostree stages updates on its own (AutomaticUpdatePolicy=${state.automaticUpdatePolicy}), without Vespera's check.`, [`AutomaticUpdatePolicy=${state.automaticUpdatePolicy}`, enforcement.summary], {
        text: 'Let rpm-ostree only check for updates; Vespera Updates stages verified ones.',
        command: AUTOMATIC_POLICY_FIX,
      });
    }
    return pass('automatic-updates', 'Automatic updates go through the check', `AutomaticUpdatePolicy=${state.automaticUpdatePolicy}; ${enforcement.summary}.`);
  });
  if (state?.staged) {
    const staged = state.staged;
    await guard('staged', 'The staged update is signed', async () => {
      const result = await checks.checkDeployment(staged, { fresh: true });
      if (!result) return skip('staged', 'The staged update is signed', 'The staged deployment is not a registry image.');
      return isVerified(result)
        ? pass('staged', 'The staged update is signed', `The staged ${staged.version ?? ''} (${staged.imageDigest ?? ''}) verifies.`)
        : fail('staged', 'The staged update is signed', `The staged update does not verify: ${result.message}`, attemptLines(result), { text: 'Discard it so the next boot is the current system.', command: 'rpm-ostree cleanup -p' });
    });
  }
  await guard('journal', 'rpm-ostreed’s log about signatures', async () => await journalCheck(options.journal ?? readJournal));
  return { ranAt: session.now().toISOString(), checks: results };
}

function transactionCheck(state: HostState): DoctorCheck {
  const active = state.activeTransaction;
  if (!active) return pass('transaction', 'No transaction is stuck', 'rpm-ostree is idle.');
  return fail('transaction', 'No transaction is stuck', `rpm-ostree is busy with ${active.method}; if it does not finish, it blocks every update.`, [`started by ${active.initiator}`], {
    text: 'Wait for it; if it hangs, cancel it.',
    command: 'rpm-ostree cancel',
  });
}

/** Which file each effective setting came from: the administrator's pins, the user's additions, the built-in rest. */
function configCheck(config: Config): DoctorCheck {
  const lines = describeProvenance(config);
  return pass('config', 'Where the settings come from', lines.join('; '), lines);
}

function policySyntaxCheck(policy: PolicyReport): DoctorCheck {
  const title = 'containers-policy.json loads';
  if (policy.policy.valid) return pass('policy-syntax', title, `${policy.policy.file} is valid (${policy.policy.requiresText}).`);
  const e = policy.policy.error;
  return fail('policy-syntax', title, `${e.source} does not load, so every image pull on this host fails (rpm-ostree, bootc, podman, skopeo).`, [e.message], {
    text: e.keyless ? `${e.fix} IMAGE-SIGNING.md's "keyless" block is not a containers/image feature.` : e.fix,
  });
}

function policyCoverageCheck(policy: PolicyReport, verification: string | undefined): DoctorCheck {
  const title = 'The policy covers this image';
  if (!policy.policy.valid) return skip('policy-loopholes', title, 'The policy does not load (see above).');
  const loopholes = policy.policy.loopholes.map((l) => l.message);
  const answer = policy.image;
  if (!answer) return pass('policy-loopholes', title, 'No image to look at.', loopholes);
  const evidence = [answer.why, ...loopholes];
  if (answer.imageSigned.outcome === 'refused-insecure-default' && verification === 'signed') {
    return fail('policy-loopholes', title, answer.imageSigned.message, evidence, {
      text: 'Make the policy require the publisher key for this image (its default then becomes reject).',
      command: 'vespera-updates migrate --mode key',
    });
  }
  if (answer.effect === 'reject') {
    return fail('policy-loopholes', title, `The policy rejects ${answer.identity}: "${answer.requirements.join(', ')}" applies, so pulling it fails with "is rejected by policy".`, evidence, {
      text: 'Add a rule for this image (a sigstoreSigned rule with the publisher key), or remove the reject rule that covers it.',
      command: 'vespera-updates policy plan --mode key --key cosign.pub',
    });
  }
  if (answer.effect === 'accept-unsigned' && verification === 'signed') {
    return fail('policy-loopholes', title, `ostree-image-signed: is used, but the rule that applies to ${answer.identity} accepts unsigned images; nothing is enforced.`, evidence, {
      text: 'Require the publisher key for this image.',
      command: 'vespera-updates migrate --mode key',
    });
  }
  return pass('policy-loopholes', title, answer.why, loopholes);
}

function attachmentsCheck(policy: PolicyReport): DoctorCheck {
  const title = 'containers/image looks for cosign signatures';
  if (!policy.registries.valid) {
    const unsupported = policy.registries.error.code === 'registries-unsupported';
    return fail('registries-d', title, unsupported ? 'registries.d uses YAML that readers disagree on, so nobody can tell for sure whether cosign signatures are fetched.' : 'registries.d does not load, so every image pull fails.', [policy.registries.error.message], { text: policy.registries.error.message });
  }
  const answer = policy.image;
  if (!answer) return skip('registries-d', title, 'No image to look at.');
  if (answer.effect !== 'require-signature') return pass('registries-d', title, 'The policy does not require a signature for this image, so this does not matter.', answer.attachments ? [answer.attachments.explanation] : []);
  if (answer.attachments?.enabled) return pass('registries-d', title, answer.attachments.explanation);
  return fail('registries-d', title, `The policy requires a signature for ${answer.identity}, but registries.d does not turn on use-sigstore-attachments for it: every pull fails with "A signature was required, but no signature exists".`, answer.attachments ? [answer.attachments.explanation] : [], {
    text: `Add to /etc/containers/registries.d/vespera-updates.yaml:\ndocker:\n  ${answer.identity.split(':')[0] ?? answer.identity}:\n    use-sigstore-attachments: true`,
  });
}

async function registryCheck(session: PartialSession, image: DockerReference, timeoutMs: number): Promise<DoctorCheck> {
  const title = 'The registry answers';
  const settings = session.trust.settingsFor(image.registry);
  const scheme = settings.insecure || /^(127\.|localhost|\[::1\])/.test(image.registry) ? 'http' : 'https';
  const url = `${scheme}://${image.registry}/v2/`;
  const started = Date.now();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await response.arrayBuffer();
    const ms = Date.now() - started;
    if (response.status === 200 || response.status === 401) return pass('registry', title, `${image.registry} answered in ${ms} ms.`, [`GET ${url} → ${response.status}`]);
    return fail('registry', title, `${image.registry} answered ${response.status}.`, [`GET ${url} → ${response.status}`], { text: 'The registry has a problem; try again later.' });
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    return fail('registry', title, timedOut ? `${image.registry} did not answer within ${timeoutMs / 1000} s: checks and updates will be slow or time out.` : `${image.registry} ${connectionFailure(error)}: nothing can be checked or updated from it until it answers.`, [`GET ${url} → ${connectionFailure(error)}`], {
      text: 'Check the network connection (and a proxy, if you use one), then try again.',
      command: `curl -sI ${url}`,
    });
  }
}

function attemptLines(result: VerificationResult): string[] {
  if (isVerified(result)) return [];
  return result.attempts.map((a) => `${a.where}: ${a.reason}`).slice(0, 8);
}

async function signatureChecks(checks: ImageChecks, image: DockerReference): Promise<DoctorCheck[]> {
  const title = 'The image is signed by whom you expect';
  const expectation = await checks.expectationFor(image);
  const expected = `Expected: ${expectation.description}${expectation.derived ? ' (derived from the image name; set families in the configuration if that is wrong)' : ''}.`;
  let result: VerificationResult;
  try {
    result = await checks.checkResolved(await checks.resolve(image), { fresh: true });
  } catch (error) {
    result = failureOf(image, error);
  }
  const name = formatDockerReference(image);
  if (isVerified(result)) {
    const signer = result.signer.kind === 'keyless' ? `${result.signer.subject} (issuer ${result.signer.issuer})` : `key ${result.signer.key}`;
    const out = [pass('signature', title, `${name} (${result.digest}) is signed by ${signer}.`, [expected, `layout: ${result.layout}`])];
    out.push(
      result.visibleToRpmOstree
        ? pass('os-visibility', 'rpm-ostree can see the signature', 'The signature is in cosign’s legacy .sig layout, which containers/image reads.')
        : fail('os-visibility', 'rpm-ostree can see the signature', `${name} is signed only in cosign 3’s Sigstore-bundle layout (an OCI referrer); containers/image, and so rpm-ostree, cannot see it: ostree-image-signed: fails with "A signature was required, but no signature exists".`, [expected], {
            text: 'The publisher must also sign in the legacy layout (IMAGE-SIGNING.md’s workflow, with cosign 3):',
            command: SIGN_FLAGS,
          }),
    );
    return out;
  }
  const evidence = [expected, result.message, ...attemptLines(result)];
  switch (result.code) {
    case 'identity-mismatch':
      return [fail('signature', title, `${name} is signed, but by a different identity than expected (certificate identity mismatch).`, evidence, {
        text: 'If this is your image, check the owner name (a fork has a different identity) and the workflow that signs it; if you trust that signer, name it in the configuration (families: repository or identity).',
      })];
    case 'issuer-mismatch':
      return [fail('signature', title, `${name} is signed with an identity from a different login provider than expected (OIDC issuer mismatch).`, evidence, {
        text: 'Images must be signed by the GitHub Actions workflow (issuer https://token.actions.githubusercontent.com); a manual signature with another provider does not count. Sign from CI, or configure the issuer you use.',
      })];
    case 'image-not-found': {
      const tags = result.availableTags ?? (await existingTags(checks, image));
      return [fail('signature', title, `${name} does not exist (image or tag not found).`, [...evidence, tags.length > 0 ? `Tags that exist: ${tags.join(', ')}` : 'The repository has no tags, or cannot be listed.'], {
        text: tags.length > 0 ? `Use one of the existing tags, e.g. ${repositoryName(image)}:${tags.includes('latest') ? 'latest' : tags[0] ?? ''}. Check that the build finished.` : 'Check the image name (owner, variant) and that the build pushed it.',
      })];
    }
    case 'no-signature':
      return [fail('signature', title, `${name} is not signed.`, evidence, {
        text: 'The image may not be signed yet: check the signing step of the GitHub Actions workflow. Do not update to it meanwhile.',
      })];
    case 'network':
      return [fail('signature', title, `${name} could not be checked: the registry did not answer in time.`, evidence, {
        text: 'Check the network connection and try again; nothing was verified meanwhile.',
      })];
    default:
      return [fail('signature', title, `${name} does not verify (${result.code}).`, evidence, { text: result.message })];
  }
}

/** The tag's newest build: not older than updates.max-tag-age, and not older than what runs. */
async function tagChecks(session: PartialSession, checks: ImageChecks, image: DockerReference, state: HostState | undefined): Promise<DoctorCheck[]> {
  const title = 'The tag still moves';
  if (!image.tag) return [skip('tag-moves', title, `${formatDockerReference(image)} is pinned by digest; it is not expected to move.`)];
  const offer = await checks.resolve(image);
  const built = offer.created ? offer.created.replace('.000Z', 'Z') : 'an unknown date';
  const evidence = [`${formatDockerReference(image)} names ${offer.version ?? offer.platformDigest}, built ${built} (${offer.digest})`];
  const out: DoctorCheck[] = [];
  const frozen = frozenTagNotice(offer, session.now(), session.config.updates.maxTagAgeMs);
  out.push(
    frozen
      ? fail('tag-moves', title, frozen.message, evidence, {
          text: 'Check the publisher’s release page or CI: if builds stopped on purpose, raise updates.max-tag-age in the configuration; if not, something holds the tag back.',
        })
      : pass('tag-moves', title, `Its newest build was built ${built}, within ${Math.round(session.config.updates.maxTagAgeMs / 86_400_000)} days.`, evidence),
  );
  if (state?.booted) {
    const verdict = judgeOffer(state, offer);
    if (verdict.kind === 'older') {
      out.push(fail('tag-order', 'The tag does not move backwards', verdict.notice.message, evidence, {
        text: 'Do not update from this tag until it names a newer build again; report it to the publisher. To go back on purpose, use the rollback.',
        command: 'vespera-updates rollback',
      }));
    } else {
      out.push(pass('tag-order', 'The tag does not move backwards', verdict.kind === 'current' ? 'It names the build this computer runs (or has staged).' : 'It names a newer build than the one running.', evidence));
    }
  }
  return out;
}

/** Tags of the repository (signature tags left out), for "use one that exists". */
async function existingTags(checks: ImageChecks, image: DockerReference): Promise<string[]> {
  try {
    const tags = await checks.trust.registry.listTags(image, 200);
    return tags.filter((t) => !isCosignTag(t)).slice(0, 20);
  } catch {
    return [];
  }
}

async function sigstoreCheck(session: PartialSession, timeoutMs: number): Promise<DoctorCheck> {
  const title = 'Sigstore’s services answer';
  if (session.config.trust.trustedRoot) {
    return skip('sigstore', title, `A custom trusted root is configured (${session.config.trust.trustedRoot}); checks need no Sigstore service.`);
  }
  const urls = [session.config.trust.tufMirror ?? 'https://tuf-repo-cdn.sigstore.dev', 'https://rekor.sigstore.dev'];
  const failures: string[] = [];
  for (const url of urls) {
    try {
      const response = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
      await response.arrayBuffer();
    } catch (error) {
      failures.push(`${url}: ${(error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : describeError(error)}`);
    }
  }
  if (failures.length === 0) return pass('sigstore', title, 'tuf-repo-cdn.sigstore.dev and rekor.sigstore.dev answer.');
  return fail('sigstore', title, 'Sigstore’s services cannot be reached; Vespera Updates verifies offline with its cached trusted root meanwhile.', failures, {
    text: 'Check the network; see https://status.sigstore.dev for outages.',
  });
}

async function readJournal(): Promise<{ available: boolean; lines: string[]; why?: string }> {
  return await new Promise((resolve) => {
    execFile('journalctl', ['-u', 'rpm-ostreed', '--since', '-7d', '--grep', 'signature|policy|sigstore', '--case-sensitive=false', '-n', '20', '-o', 'short-iso', '--no-pager', '-q'], { timeout: 5000, maxBuffer: 256 * 1024 }, (error, stdout, stderr) => {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      if (code === 'ENOENT') resolve({ available: false, lines: [], why: 'journalctl is not installed' });
      else if (error && stdout.trim() === '') resolve({ available: false, lines: [], why: stderr.trim().split('\n')[0] || 'journalctl found no journal' });
      else resolve({ available: true, lines: stdout.split('\n').filter(Boolean).slice(-20) });
    });
  });
}

async function journalCheck(read: () => Promise<{ available: boolean; lines: string[]; why?: string }>): Promise<DoctorCheck> {
  const title = 'rpm-ostreed’s log about signatures';
  const journal = await read();
  if (!journal.available) return skip('journal', title, `The journal could not be read (${journal.why ?? 'unknown reason'}).`);
  const bad = journal.lines.filter((l) => /signature was required|rejected by policy|refusing usage|invalid policy|verification failed/i.test(l));
  if (bad.length === 0) return pass('journal', title, journal.lines.length > 0 ? 'Recent lines mention signatures, none reports a failure.' : 'No signature messages in the last 7 days.', journal.lines.slice(-5));
  return fail('journal', title, 'rpm-ostreed reported signature failures recently.', bad.slice(-8), { text: 'The checks above name the cause; after fixing it, try the update again.' });
}
