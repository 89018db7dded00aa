// Every file the RPM installs, checked by its format's own validator (desktop-file-validate, appstreamcli,
// polkit's DTD through xmllint, systemd-analyze, shellcheck, electron-builder's schema), and the RPM's file list against build/.

import { cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DESKTOP_FILE, desktopEntry } from '../../../main/app/autostart.ts';
import { HELPER_SHIM, POLKIT_ACTION } from '../../../main/policy/helper-client.ts';
import { ROOT, runProcess } from '../../support/cli.ts';

const BUILD = join(ROOT, 'build');
const POLKIT_DTD = '/usr/share/polkit-1/policyconfig-1.dtd';
const HOST_UNITS = '/lib/systemd/system';

interface BuilderConfig {
  productName: string;
  executableName: string;
  electronFuses: Record<string, boolean>;
  linux: { category?: string; desktop?: { entry?: Record<string, string> } };
  rpm: { fpm: string[]; depends: string[]; afterInstall: string; afterRemove: string };
}

const builderConfig = parse(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; description: string; desktopName?: string };
/** Where electron-builder's rpm target installs the app (installPrefix + productName). */
const APP_DIR = `/opt/${builderConfig.productName}`;

/** The RPM's extra files, source → destination, as electron-builder hands them to fpm. */
const rpmFiles = new Map(
  builderConfig.rpm.fpm.map((entry) => {
    const [source = '', destination = ''] = entry.split('=');
    return [source, destination];
  }),
);
const destinationOf = (source: string): string => {
  const destination = rpmFiles.get(source);
  if (!destination) throw new Error(`electron-builder.yml does not install ${source}`);
  return destination;
};

const temps: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [relative(ROOT, path)];
  });
}

/** The launcher .desktop file exactly as electron-builder's rpm target writes it (its own code). */
async function generatedDesktopEntry(): Promise<string> {
  const require = createRequire(join(ROOT, 'package.json'));
  const { LinuxTargetHelper } = require('app-builder-lib/out/targets/LinuxTargetHelper.js') as {
    LinuxTargetHelper: new (packager: unknown) => { computeDesktopEntry(options: unknown): Promise<string> };
  };
  const sanitized = builderConfig.productName.replace(/[^\w .-]/g, '');
  const packager = {
    appInfo: { productName: builderConfig.productName, sanitizedProductName: sanitized, description: pkg.description },
    executableName: builderConfig.executableName,
    info: { metadata: { desktopName: pkg.desktopName } },
    fileAssociations: [],
    config: {},
    platformSpecificBuildOptions: builderConfig.linux,
  };
  return await new LinuxTargetHelper(packager).computeDesktopEntry(builderConfig.linux);
}

/** The program a desktop entry's Exec key runs, unquoted and unescaped per the Desktop Entry spec. */
function execProgram(entry: string): string {
  const exec = /^Exec=(.*)$/m.exec(entry)?.[1] ?? '';
  const unescaped = exec.replace(/\\\\/g, '\\');
  if (!unescaped.startsWith('"')) return unescaped.split(' ')[0] ?? '';
  let program = '';
  for (let i = 1; i < unescaped.length; i++) {
    const c = unescaped[i];
    if (c === '\\') program += unescaped[++i] ?? '';
    else if (c === '"') return program;
    else program += c;
  }
  throw new Error(`unterminated quote in Exec=${exec}`);
}

describe("the RPM's file list", () => {
  it('installs every packaging input under build/ (icons aside), and names only files that exist', () => {
    const inputs = filesUnder(BUILD).filter((f) => !f.startsWith('build/icons/'));
    const scriptlets = [builderConfig.rpm.afterInstall, builderConfig.rpm.afterRemove];
    expect(inputs.filter((f) => !rpmFiles.has(f) && !scriptlets.includes(f))).toEqual([]);
    for (const source of [...rpmFiles.keys(), ...scriptlets]) expect(inputs).toContain(source);
  });

  it("passes electron-builder's own configuration schema", async () => {
    const require = createRequire(join(ROOT, 'package.json'));
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration: (c: unknown, l: unknown) => Promise<void> };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await expect(validateConfiguration(builderConfig, new DebugLogger(false))).resolves.toBeUndefined();
    // And the validator is real: the shape this file had before (desktop keys at the top) is refused.
    const before = { ...builderConfig, linux: { ...builderConfig.linux, desktop: { Comment: 'x' } } };
    await expect(validateConfiguration(before, new DebugLogger(false))).rejects.toThrow(/configuration\.linux\.desktop/);
  });

  it('declares what the app calls on the host: pkexec and polkit, rpm-ostree, D-Bus (and keeps Electron’s own needs)', () => {
    expect(builderConfig.rpm.depends).toEqual(expect.arrayContaining(['polkit', '/usr/bin/pkexec', 'rpm-ostree', 'dbus', 'gtk3', 'nss']));
  });

  it('keeps the runAsNode fuse on, which the launcher, the helper and the service need', () => {
    expect(builderConfig.electronFuses.runAsNode).toBe(true);
    for (const script of ['build/bin/vespera-updates', 'build/policy-helper']) {
      expect(readFileSync(join(ROOT, script), 'utf8')).toMatch(/ELECTRON_RUN_AS_NODE=1/);
    }
  });
});

describe('the host state folders (systemd-tmpfiles)', () => {
  it('creates /var/lib/vespera-updates for root and runs/ writable by every user, sticky', async () => {
    const root = tempDir('tmpfiles-');
    const run = await runProcess('systemd-tmpfiles', ['--create', `--root=${root}`, join(ROOT, 'build/tmpfiles/vespera-updates.conf')]);
    expect({ code: run.code, output: `${run.stdout}${run.stderr}` }).toEqual({ code: 0, output: '' });
    expect((statSync(join(root, 'var/lib/vespera-updates')).mode & 0o7777).toString(8)).toBe('755');
    expect((statSync(join(root, 'var/lib/vespera-updates/runs')).mode & 0o7777).toString(8)).toBe('1777');
    expect(destinationOf('build/tmpfiles/vespera-updates.conf')).toBe('/usr/lib/tmpfiles.d/vespera-updates.conf');
  });
});

describe('desktop entries (desktop-file-validate)', () => {
  async function validate(name: string, text: string): Promise<void> {
    const file = join(tempDir('desktop-'), name);
    writeFileSync(file, text);
    const run = await runProcess('desktop-file-validate', [file]);
    expect({ code: run.code, output: `${run.stdout}${run.stderr}` }).toEqual({ code: 0, output: '' });
  }

  it('the autostart entry is valid and its quoted Exec runs the installed app, whose path has a space', async () => {
    const text = readFileSync(join(BUILD, 'autostart', DESKTOP_FILE), 'utf8');
    await validate(DESKTOP_FILE, text);
    expect(execProgram(text)).toBe(`${APP_DIR}/${builderConfig.executableName}`);
    expect(text).toMatch(/^Exec=.* --hidden$/m);
  });

  it('the launcher entry electron-builder generates is valid, runs the same program and is the one the metainfo names', async () => {
    const text = await generatedDesktopEntry();
    await validate(DESKTOP_FILE, text);
    expect(execProgram(text)).toBe(`${APP_DIR}/${builderConfig.executableName}`);
    expect(readFileSync(join(BUILD, 'io.github.vespera.Updates.metainfo.xml'), 'utf8')).toContain(`<launchable type="desktop-id">${DESKTOP_FILE}</launchable>`);
  });

  it("the user's autostart override, written for the installed path, is valid and runs that path", async () => {
    const program = `${APP_DIR}/${builderConfig.executableName}`;
    const text = desktopEntry(program);
    await validate(DESKTOP_FILE, text);
    expect(execProgram(text)).toBe(program);
    const odd = '/home/me/Apps/Vespera "test" $HOME\\x 100%/vespera-updates';
    await validate(DESKTOP_FILE, desktopEntry(odd));
    expect(execProgram(desktopEntry(odd)).replaceAll('%%', '%')).toBe(odd);
  });
});

describe('AppStream metainfo (appstreamcli validate)', () => {
  it('validates with no error or warning', async () => {
    const run = await runProcess('appstreamcli', ['validate', '--no-net', '--no-color', join(BUILD, 'io.github.vespera.Updates.metainfo.xml')]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(/^[EW]: /m);
    expect(destinationOf('build/io.github.vespera.Updates.metainfo.xml')).toBe('/usr/share/metainfo/io.github.vespera.Updates.metainfo.xml');
  });

  it('and the validator is real: a metainfo without a summary fails', async () => {
    const broken = join(tempDir('metainfo-'), 'io.github.vespera.Updates.metainfo.xml');
    writeFileSync(broken, readFileSync(join(BUILD, 'io.github.vespera.Updates.metainfo.xml'), 'utf8').replace(/<summary>.*<\/summary>/, ''));
    const run = await runProcess('appstreamcli', ['validate', '--no-net', '--no-color', broken]);
    expect(run.code).not.toBe(0);
  });
});

describe('the polkit action (policyconfig-1.dtd through xmllint)', () => {
  it("is valid against polkit's DTD and binds the action the app asks for to the helper's installed path", async () => {
    const file = join(BUILD, 'io.github.vespera.Updates.policy');
    const run = await runProcess('xmllint', ['--noout', '--nonet', '--dtdvalid', POLKIT_DTD, file]);
    expect({ code: run.code, output: run.stderr }).toEqual({ code: 0, output: '' });
    const xml = readFileSync(file, 'utf8');
    expect(xml).toContain(`<action id="${POLKIT_ACTION}">`);
    expect(xml).toContain(`<annotate key="org.freedesktop.policykit.exec.path">${HELPER_SHIM}</annotate>`);
    expect(destinationOf('build/policy-helper')).toBe(HELPER_SHIM);
  });

  it('and the DTD is enforced: an unknown element fails', async () => {
    const broken = join(tempDir('polkit-'), 'broken.policy');
    writeFileSync(broken, readFileSync(join(BUILD, 'io.github.vespera.Updates.policy'), 'utf8').replace('<vendor>', '<maker>x</maker><vendor>'));
    const run = await runProcess('xmllint', ['--noout', '--nonet', '--dtdvalid', POLKIT_DTD, broken]);
    expect(run.code).not.toBe(0);
  });
});

describe('the systemd units (systemd-analyze verify)', () => {
  /** A root with the host's own units, ours where the RPM puts them, and the launcher on its path. */
  function unitRoot(): string {
    const root = tempDir('units-');
    mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true });
    cpSync(HOST_UNITS, join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    for (const [source, destination] of rpmFiles) {
      if (!destination.startsWith('/usr/lib/systemd/') && destination !== '/usr/bin/vespera-updates') continue;
      mkdirSync(join(root, dirname(destination)), { recursive: true });
      cpSync(join(ROOT, source), join(root, destination), { verbatimSymlinks: true });
    }
    return root;
  }

  it('verify cleanly, run the installed command as root, and the timer is enabled by the package', async () => {
    const root = unitRoot();
    const units = ['vespera-updates-automatic.service', 'vespera-updates-automatic.timer'].map((u) => `/usr/lib/systemd/system/${u}`);
    const run = await runProcess('systemd-analyze', ['verify', '--man=no', `--root=${root}`, ...units]);
    expect({ code: run.code, output: `${run.stdout}${run.stderr}` }).toEqual({ code: 0, output: '' });
    const service = readFileSync(join(BUILD, 'systemd/vespera-updates-automatic.service'), 'utf8');
    expect(service).toMatch(/^ExecStart=\/usr\/bin\/vespera-updates automatic-updates run$/m);
    expect(service).not.toMatch(/^User=/m);
    const wants = join(root, 'usr/lib/systemd/system/timers.target.wants/vespera-updates-automatic.timer');
    expect(lstatSync(wants).isSymbolicLink()).toBe(true);
    expect(readlinkSync(wants)).toBe('../vespera-updates-automatic.timer');
  });

  it('and the verifier is real: a missing program or a misspelt key is reported', async () => {
    const root = unitRoot();
    rmSync(join(root, 'usr/bin/vespera-updates'));
    const unit = join(root, 'usr/lib/systemd/system/vespera-updates-automatic.service');
    writeFileSync(unit, readFileSync(unit, 'utf8').replace('Type=oneshot', 'Type=oneshot\nProtectSystm=strict'));
    const run = await runProcess('systemd-analyze', ['verify', '--man=no', `--root=${root}`, '/usr/lib/systemd/system/vespera-updates-automatic.service']);
    expect(run.stderr).toMatch(/Unknown key 'ProtectSystm'/);
    expect(run.stderr).toMatch(/\/usr\/bin\/vespera-updates is not executable/);
    expect(run.code).not.toBe(0);
  });
});

describe('shell scripts (shellcheck)', () => {
  it('the launcher, the helper shim and the RPM scriptlets pass', async () => {
    const scripts = ['build/bin/vespera-updates', 'build/policy-helper', builderConfig.rpm.afterInstall, builderConfig.rpm.afterRemove];
    const run = await runProcess('shellcheck', ['--shell=sh', '--severity=style', ...scripts]);
    expect({ code: run.code, output: run.stdout }).toEqual({ code: 0, output: '' });
  });
});

describe('the vespera-updates launcher', () => {
  /**
   * An install of the app as the RPM lays it out, under a folder with a space like /opt/Vespera Updates.
   * The Electron binary cannot be had here: its stand-in is Node when ELECTRON_RUN_AS_NODE=1, as Electron
   * is, and refuses to start a GUI otherwise.
   */
  function install(): { launcher: string; appDir: string } {
    const base = tempDir('launcher-');
    const appDir = join(base, 'opt', builderConfig.productName);
    mkdirSync(join(appDir, 'resources'), { recursive: true });
    // app.asar holds dist/, package.json and the production node_modules: the checkout has all three.
    symlinkSync(ROOT, join(appDir, 'resources', 'app.asar'));
    const electron = join(appDir, builderConfig.executableName);
    writeFileSync(electron, `#!/bin/sh\n[ "\${ELECTRON_RUN_AS_NODE:-}" = 1 ] || { echo "stand-in: would start the tray app" >&2; exit 99; }\nexec '${process.execPath}' --disable-warning=ExperimentalWarning "$@"\n`, { mode: 0o755 });
    const launcher = join(base, 'vespera-updates');
    const text = readFileSync(join(BUILD, 'bin', 'vespera-updates'), 'utf8');
    expect(text).toContain(`APP_DIR="${APP_DIR}"`);
    writeFileSync(launcher, text.replace(`APP_DIR="${APP_DIR}"`, `APP_DIR="${appDir}"`), { mode: 0o755 });
    return { launcher, appDir };
  }

  it('runs the command line through the bundled Electron as Node, from a path with a space', async () => {
    const { launcher } = install();
    const version = await runProcess(launcher, ['--version'], { env: { PATH: '/usr/bin:/bin' } });
    expect({ code: version.code, stdout: version.stdout, stderr: version.stderr }).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    const help = await runProcess(launcher, ['image-setup', '--help'], { env: { PATH: '/usr/bin:/bin' } });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: vespera-updates image-setup/);
  });

  it('says what to do when the app is missing', async () => {
    const { launcher, appDir } = install();
    rmSync(appDir, { recursive: true });
    const run = await runProcess(launcher, ['status'], { env: { PATH: '/usr/bin:/bin' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/the app is missing from .*; reinstall the vespera-updates package/);
  });
});
