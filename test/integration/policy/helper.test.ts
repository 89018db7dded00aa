import { spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { policyPaths, readPolicyHostState } from '../../../main/policy/host-files.ts';
import { helperPlanOf, planKeyEnforced, sha256Text, type HelperPlan } from '../../../main/policy/plan.ts';
import { PolicyTextEditor } from '../../../main/policy/policy-edit.ts';
import { HELPER_EXIT } from '../../../main/policy/policy-transaction.ts';
import { runProcess, type ProcessRun } from '../../support/cli.ts';

const HELPER = fileURLToPath(new URL('../../../main/policy/helper.ts', import.meta.url));
const FIXTURE_ETC = fileURLToPath(new URL('../../world/fixtures/etc', import.meta.url));
const FAMILY = ['ghcr.io/acme/vespera', 'ghcr.io/acme/vespera-nvidia'];
const PUBLIC_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

type Run = ProcessRun;

/** Runs the helper as the app would (JSON reply), in `root`. */
function helper(root: string, args: string[], options: { stdin?: string; env?: Record<string, string>; killWhen?: RegExp } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (!options.env || !('PKEXEC_UID' in options.env)) delete env.PKEXEC_UID;
  const killWhen = options.killWhen;
  return runProcess(process.execPath, ['--disable-warning=ExperimentalWarning', HELPER, ...args, '--root', root, '--json'], {
    env,
    stdin: options.stdin ?? '',
    ...(killWhen ? { onStderr: (stderr: string, child: ChildProcess) => void (killWhen.test(stderr) && child.kill('SIGKILL')) } : {}),
  });
}

function reply(run: Run): { ok: boolean; code?: string; message: string; backup?: string; backups?: { id: string; complete: boolean; outcome?: string }[]; loosenings?: string[]; consent?: string } {
  return JSON.parse(run.stdout) as ReturnType<typeof reply>;
}

/** Every file under etc, by relative path, for "nothing was lost" comparisons. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stats = lstatSync(path);
      if (stats.isDirectory()) walk(path, `${rel}${name}/`);
      else out[`${rel}${name}`] = stats.isSymbolicLink() ? `-> link` : readFileSync(path, 'utf8');
    }
  };
  walk(join(root, 'etc'), '');
  return out;
}

describe('the privileged policy helper', () => {
  let root: string;
  let original: Record<string, string>;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'policy-helper-'));
    cpSync(FIXTURE_ETC, join(root, 'etc'), { recursive: true, filter: (src) => !src.endsWith('README.md') });
    original = snapshot(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  async function plan(): Promise<HelperPlan> {
    const state = await readPolicyHostState(policyPaths(join(root, 'etc')), ['acme-vespera.pub']);
    return helperPlanOf(planKeyEnforced(state, { family: FAMILY, scope: 'per-variant', keyText: PUBLIC_PEM }));
  }

  it('applies a plan, keeps a backup, and restores it exactly', async () => {
    const p = await plan();
    const applied = await helper(root, ['apply'], { stdin: JSON.stringify(p) });
    expect(applied.code).toBe(HELPER_EXIT.ok);
    const answer = reply(applied);
    expect(answer.message).toMatch(/^Applied: wrote \/etc\/pki\/containers\/acme-vespera.pub, \/etc\/containers\/registries.d\/vespera-updates.yaml, \/etc\/containers\/policy.json; .* backup \d{8}T\d{6}Z-[0-9a-f]{8}/);
    for (const change of p.changes) {
      const path = change.target.kind === 'policy' ? 'containers/policy.json' : change.target.kind === 'registries' ? 'containers/registries.d/vespera-updates.yaml' : change.target.kind === 'key' ? `pki/containers/${change.target.name}` : 'vespera-updates/enforcement.json';
      expect(readFileSync(join(root, 'etc', path), 'utf8')).toBe(change.after);
    }
    expect(statSync(join(root, 'etc/pki/containers/acme-vespera.pub')).mode & 0o777).toBe(0o644);
    expect(statSync(join(root, 'var/lib/vespera-updates/policy-backups')).mode & 0o777).toBe(0o700);

    const listed = reply(await helper(root, ['backups']));
    expect(listed.backups).toEqual([expect.objectContaining({ id: answer.backup, complete: true, outcome: 'applied' })]);

    // Going back to stock Fedora loosens the policy: refused until the person has seen what and agreed.
    const enforced = snapshot(root);
    const asked = await helper(root, ['restore', answer.backup ?? '']);
    expect(asked.code).toBe(HELPER_EXIT.restoreLoosens);
    expect(reply(asked).message).toMatch(new RegExp(`^Nothing was changed: restoring backup ${answer.backup ?? ''} would loosen the signature policy: docker images of "ghcr.io/acme/vespera" would be governed by the global default \\(accept anything`));
    expect(reply(asked).loosenings?.join('\n')).toMatch(/"ghcr.io\/acme\/vespera-nvidia" would be governed by the global default[\s\S]*images of transports no rule lists would be governed by the global default \(accept anything/);
    expect(snapshot(root)).toEqual(enforced);

    const restored = await helper(root, ['restore', answer.backup ?? '', '--loosening-confirmed', reply(asked).consent ?? '']);
    expect(restored.code).toBe(HELPER_EXIT.ok);
    expect(reply(restored).message).toMatch(new RegExp(`^Restored backup ${answer.backup ?? ''} .* replaced are in backup`));
    expect(snapshot(root)).toEqual(original);

    // Restoring what the restore replaced tightens again: no question asked.
    const again = await helper(root, ['restore', reply(restored).backup ?? '']);
    expect(again.code, again.stdout).toBe(HELPER_EXIT.ok);
    expect(snapshot(root)).toEqual(enforced);
  });

  it('does not take a consent given for files that changed since', async () => {
    const applied = reply(await helper(root, ['apply'], { stdin: JSON.stringify(await plan()) }));
    const asked = reply(await helper(root, ['restore', applied.backup ?? '']));
    // Someone edits the policy between the question and the answer (another rule, same looseness).
    const path = join(root, 'etc/containers/policy.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"default"', '"default" '));
    const edited = snapshot(root);
    const stale = await helper(root, ['restore', applied.backup ?? '', '--loosening-confirmed', asked.consent ?? '']);
    expect(stale.code).toBe(HELPER_EXIT.restoreLoosens);
    expect(reply(stale).consent).not.toBe(asked.consent);
    expect(snapshot(root)).toEqual(edited);
  });

  it('refuses a plan made before the files changed, changing nothing', async () => {
    const p = await plan();
    writeFileSync(join(root, 'etc/containers/policy.json'), readFileSync(join(root, 'etc/containers/policy.json'), 'utf8').replace('"default"', '"default" '));
    const edited = snapshot(root);
    const run = await helper(root, ['apply'], { stdin: JSON.stringify(p) });
    expect(run.code).toBe(HELPER_EXIT.stalePlan);
    expect(reply(run).message).toMatch(/^Nothing was changed: \/etc\/containers\/policy.json changed since the plan was made/);
    expect(snapshot(root)).toEqual(edited);
  });

  it('puts the old files back when the written files fail re-validation', async () => {
    const run = await helper(root, ['apply'], { stdin: JSON.stringify(await plan()), env: { VESPERA_POLICY_HELPER_FAULT: 'corrupt-after-write:policy' } });
    expect(run.code).toBe(HELPER_EXIT.revalidationFailed);
    expect(reply(run).message).toMatch(/^Nothing was changed: the files re-read after writing failed validation .*put back from backup/);
    expect(snapshot(root)).toEqual(original);
    expect(reply(await helper(root, ['backups'])).backups?.[0]).toMatchObject({ complete: true, outcome: 'rolled-back' });
  });

  it('puts the old files back when a write fails half-way', async () => {
    const run = await helper(root, ['apply'], { stdin: JSON.stringify(await plan()), env: { VESPERA_POLICY_HELPER_FAULT: 'fail-write:policy' } });
    expect(run.code).toBe(HELPER_EXIT.writeFailed);
    expect(reply(run).message).toMatch(/simulated I\/O error.*put back/);
    expect(snapshot(root)).toEqual(original);
  });

  it('leaves the old policy intact when killed between write and rename, and recovers', async () => {
    const p = await plan();
    const run = await helper(root, ['apply'], { stdin: JSON.stringify(p), env: { VESPERA_POLICY_HELPER_FAULT: 'pause-before-rename:policy' }, killWhen: /paused before renaming/ });
    expect(run.signal).toBe('SIGKILL');
    expect(readFileSync(join(root, 'etc/containers/policy.json'), 'utf8')).toBe(original['containers/policy.json']);
    expect(readdirSync(join(root, 'etc/containers')).filter((n) => n.endsWith('.tmp'))).toHaveLength(1);

    // The interrupted apply is listed as incomplete and can be undone exactly.
    const interrupted = reply(await helper(root, ['backups'])).backups?.[0];
    expect(interrupted).toMatchObject({ complete: false });
    expect((await helper(root, ['restore', interrupted?.id ?? ''])).code).toBe(HELPER_EXIT.ok);
    const restored = snapshot(root);
    expect(Object.keys(restored).filter((k) => k.endsWith('.tmp'))).toEqual([]);
    expect(restored).toEqual(original);

    // And a fresh plan applies cleanly.
    expect((await helper(root, ['apply'], { stdin: JSON.stringify(await plan()) })).code).toBe(HELPER_EXIT.ok);
  });

  it('refuses to write through a symbolic link, at the file or a folder above it', async () => {
    const p = await plan();
    const elsewhere = join(root, 'elsewhere.json');
    writeFileSync(elsewhere, readFileSync(join(root, 'etc/containers/policy.json')));
    rmSync(join(root, 'etc/containers/policy.json'));
    symlinkSync(elsewhere, join(root, 'etc/containers/policy.json'));
    const linkedFile = await helper(root, ['apply'], { stdin: JSON.stringify(p) });
    expect(linkedFile.code).toBe(HELPER_EXIT.unsafeTarget);
    expect(reply(linkedFile).message).toMatch(/policy.json is a symbolic link/);
    expect(readFileSync(elsewhere, 'utf8')).toBe(original['containers/policy.json']);

    rmSync(join(root, 'etc/containers/policy.json'));
    writeFileSync(join(root, 'etc/containers/policy.json'), original['containers/policy.json'] ?? '');
    const outside = mkdtempSync(join(tmpdir(), 'policy-outside-'));
    try {
      mkdirSync(join(root, 'etc/pki'), { recursive: true });
      symlinkSync(outside, join(root, 'etc/pki/containers'));
      const linkedFolder = await helper(root, ['apply'], { stdin: JSON.stringify(await plan()) });
      expect(linkedFolder.code).toBe(HELPER_EXIT.unsafeTarget);
      expect(reply(linkedFolder).message).toMatch(/pki\/containers is a symbolic link/);
      expect(readdirSync(outside)).toEqual([]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it.each([
    ['a key name that climbs out of the key folder', (p: HelperPlan) => ({ ...p, changes: p.changes.map((c) => (c.target.kind === 'key' ? { ...c, target: { kind: 'key', name: '../../../tmp/evil.pub' } } : c)) }), /not a usable key file name/],
    ['a target given as a path', (p: HelperPlan) => ({ ...p, changes: [{ target: { kind: 'file', path: '/etc/shadow' }, beforeSha256: null, after: 'x' }] }), /unknown key "path"|unknown target kind/],
    ['an extra field', (p: HelperPlan) => ({ ...p, path: '/etc/shadow' }), /unknown key "path"/],
    ['a private key', (p: HelperPlan) => ({ ...p, changes: p.changes.map((c) => (c.target.kind === 'key' ? { ...c, after: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() } : c)) }), /PRIVATE key/],
    ['a policy that drops a rule and loosens the default', (p: HelperPlan) => ({ ...p, changes: p.changes.map((c) => (c.target.kind === 'policy' ? { ...c, after: '{"default": [{"type": "insecureAcceptAnything"}]}' } : c)) }), /docker-daemon scope "" was removed/],
    ['a registries.d entry with a lookaside', (p: HelperPlan) => ({ ...p, changes: p.changes.map((c) => (c.target.kind === 'registries' ? { ...c, after: 'docker:\n  ghcr.io/acme:\n    lookaside: https://evil.example\n' } : c)) }), /may only turn use-sigstore-attachments on/],
  ])('refuses %s, changing nothing', async (_what, mutate, message) => {
    const run = await helper(root, ['apply'], { stdin: JSON.stringify(mutate(await plan())) });
    expect(run.code).toBe(HELPER_EXIT.refusedInput);
    expect(reply(run).message).toMatch(/^Refused, nothing was changed: /);
    expect(reply(run).message).toMatch(message);
    expect(snapshot(root)).toEqual(original);
    // No backup was made and the lock is gone.
    expect(existsSync(join(root, 'var/lib/vespera-updates/policy-backups'))).toBe(false);
    expect(existsSync(join(root, 'var/lib/vespera-updates/policy-helper.lock'))).toBe(false);
  });

  describe('a plan that would loosen through scope precedence', () => {
    const evilKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

    /** A plan written by hand: the evil key installed and a rule trusting it for `scope`, added to today's policy. */
    function smuggle(scope: string): HelperPlan {
      const policy = readFileSync(join(root, 'etc/containers/policy.json'), 'utf8');
      const editor = new PolicyTextEditor(policy);
      editor.setScope('docker', scope, [{ type: 'sigstoreSigned', keyPath: '/etc/pki/containers/evil.pub', signedIdentity: { type: 'matchRepository' } }]);
      return {
        format: 'vespera-policy-plan/1',
        changes: [
          { target: { kind: 'key', name: 'evil.pub' }, beforeSha256: null, after: evilKey },
          { target: { kind: 'policy' }, beforeSha256: sha256Text(policy), after: editor.text },
        ],
      };
    }

    it.each([
      [
        'a tag of an enforced repository, trusting another key',
        async () => void (await helper(root, ['apply'], { stdin: JSON.stringify(await plan()) })),
        'ghcr.io/acme/vespera:latest',
        /docker images of "ghcr.io\/acme\/vespera:latest" would be governed by the docker scope "ghcr.io\/acme\/vespera:latest" \(a cosign \(sigstore\) signature by the key \/etc\/pki\/containers\/evil.pub.*\) instead of the docker scope "ghcr.io\/acme\/vespera" \(a cosign \(sigstore\) signature by the key \/etc\/pki\/containers\/acme-vespera.pub/,
      ],
      [
        'a registry under a reject default with no catch-all',
        () => Promise.resolve(writeFileSync(join(root, 'etc/containers/policy.json'), '{\n    "default": [{"type": "reject"}],\n    "transports": {"docker-daemon": {"": [{"type": "insecureAcceptAnything"}]}}\n}\n')),
        'ghcr.io',
        /docker images of "ghcr.io" would be governed by the docker scope "ghcr.io" .* instead of the global default \(reject \(reject\)\)/,
      ],
    ])('refuses %s, changing nothing', async (_what, setUp, scope, message) => {
      await setUp();
      const before = snapshot(root);
      const run = await helper(root, ['apply'], { stdin: JSON.stringify(smuggle(scope)) });
      expect(run.code).toBe(HELPER_EXIT.refusedInput);
      expect(reply(run).message).toMatch(/^Refused, nothing was changed: in the new policy, /);
      expect(reply(run).message).toMatch(message);
      expect(snapshot(root)).toEqual(before);
      expect(existsSync(join(root, 'etc/pki/containers/evil.pub'))).toBe(false);
    });
  });

  it.each([
    ['a merge key', 'docker:\n  "ghcr.io/acme/vespera":\n    use-sigstore-attachments: true\n  <<: {"ghcr.io/acme/vespera-nvidia": {use-sigstore-attachments: true}}\n', /vespera-updates.yaml, line 4, column 3: uses a YAML merge key/],
    ['an anchor and an alias', 'docker:\n  "ghcr.io/acme/vespera": &on\n    use-sigstore-attachments: true\n  "ghcr.io/acme/vespera-nvidia": *on\n', /vespera-updates.yaml, line 2, column 27: uses a YAML anchor \(&on\)/],
    ['a tag', 'docker:\n  "ghcr.io/acme/vespera":\n    use-sigstore-attachments: !!bool "true"\n  "ghcr.io/acme/vespera-nvidia":\n    use-sigstore-attachments: true\n', /vespera-updates.yaml, line 3, column 31: uses a YAML tag \(!!bool\)/],
    ['an unknown key', 'docker:\n  "ghcr.io/acme/vespera":\n    use-sigstore-attachments: true\n  "ghcr.io/acme/vespera-nvidia":\n    use-sigstore-attachments: true\n    lookaside-url: https://evil.example\n', /vespera-updates.yaml, line 6, column 5: "lookaside-url" under "ghcr.io\/acme\/vespera-nvidia" is not a registries.d setting/],
  ])('refuses registries.d YAML with %s, naming the line and column, changing nothing', async (_what, yaml, message) => {
    const p = await plan();
    const run = await helper(root, ['apply'], { stdin: JSON.stringify({ ...p, changes: p.changes.map((c) => (c.target.kind === 'registries' ? { ...c, after: yaml } : c)) }) });
    expect(run.code).toBe(HELPER_EXIT.refusedInput);
    expect(reply(run).message).toMatch(/^Refused, nothing was changed: /);
    expect(reply(run).message).toMatch(message);
    expect(snapshot(root)).toEqual(original);
  });

  it.each([
    ['text that is not JSON', 'apply this please'],
    ['nothing at all', ''],
    ['JSON of another format', '{"format": "something/2", "changes": []}'],
    ['more than the size limit', `{"format": "vespera-policy-plan/1", "changes": [], "x": "${'a'.repeat(4 * 1024 * 1024)}"}`],
  ])('refuses %s on standard input', async (_what, stdin) => {
    const run = await helper(root, ['apply'], { stdin });
    expect(run.code).toBe(HELPER_EXIT.refusedInput);
    expect(reply(run).message).toMatch(/^Refused, nothing was changed/);
    expect(snapshot(root)).toEqual(original);
  });

  it('refuses a second change while one is in progress, and takes over the lock of a dead helper', async () => {
    const lockDir = join(root, 'var/lib/vespera-updates');
    mkdirSync(lockDir, { recursive: true });
    writeFileSync(join(lockDir, 'policy-helper.lock'), `${process.pid}\n`);
    const busy = await helper(root, ['apply'], { stdin: JSON.stringify(await plan()) });
    expect(busy.code).toBe(HELPER_EXIT.refusedInput);
    expect(reply(busy).message).toMatch(/another policy change \(process \d+\) is in progress/);
    expect(snapshot(root)).toEqual(original);

    writeFileSync(join(lockDir, 'policy-helper.lock'), '999999999\n');
    expect((await helper(root, ['apply'], { stdin: JSON.stringify(await plan()) })).code).toBe(HELPER_EXIT.ok);
    expect(existsSync(join(lockDir, 'policy-helper.lock'))).toBe(false);
  });

  it('refuses to run without root privileges when no test root is given', () => {
    // The built helper, copied where any user may read it (the checkout may sit in a private folder),
    // run as nobody: the way an unprivileged caller would try it without pkexec.
    const built = fileURLToPath(new URL('../../../dist/main', import.meta.url));
    expect(existsSync(join(built, 'policy', 'helper.js')), 'npm run build first').toBe(true);
    const copy = mkdtempSync(join(tmpdir(), 'helper-as-nobody-'));
    try {
      chmodSync(copy, 0o755);
      cpSync(built, join(copy, 'dist', 'main'), { recursive: true });
      cpSync(fileURLToPath(new URL('../../../node_modules/yaml', import.meta.url)), join(copy, 'node_modules', 'yaml'), { recursive: true });
      writeFileSync(join(copy, 'package.json'), '{"type": "module"}\n');
      const script = join(copy, 'dist', 'main', 'policy', 'helper.js');
      const asNobody = process.getuid?.() === 0 ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath]] : [process.execPath, []];
      const [command, prefix] = asNobody as [string, string[]];
      const run = spawnSync(command, [...prefix, script, 'backups', '--json'], { encoding: 'utf8', cwd: copy });
      expect(run.status, run.stderr).toBe(HELPER_EXIT.notAuthorized);
      expect(run.stdout).toMatch(/must run as root/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('refuses --root when run through pkexec, and unknown verbs', async () => {
    const pkexec = await helper(root, ['backups'], { env: { PKEXEC_UID: '1000' } });
    expect(pkexec.code).toBe(HELPER_EXIT.notAuthorized);
    expect(reply(pkexec).message).toMatch(/--root is for tests only/);
    const verb = await helper(root, ['delete-everything']);
    expect(verb.code).toBe(HELPER_EXIT.usage);
    const restore = await helper(root, ['restore', '../../etc']);
    expect(restore.code).toBe(HELPER_EXIT.usage);
  });
});
