import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { autostartPaths, DESKTOP_FILE, desktopEntry, isAutostartEnabled, setAutostart } from '../../../main/app/autostart.ts';

let dir: string;
let paths: ReturnType<typeof autostartPaths>;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'autostart-'));
  paths = autostartPaths({ XDG_CONFIG_HOME: join(dir, 'home'), XDG_CONFIG_DIRS: join(dir, 'xdg') });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function installSystemEntry(): void {
  mkdirSync(paths.system[0] ?? '', { recursive: true });
  writeFileSync(join(paths.system[0] ?? '', DESKTOP_FILE), desktopEntry('/usr/bin/vespera-updates'));
}

describe('start at login', () => {
  it('is on when the package installed the system entry, and the toggle turns it off for this user only', async () => {
    installSystemEntry();
    expect(await isAutostartEnabled(paths)).toBe(true);
    await setAutostart(false, '/usr/bin/vespera-updates', paths);
    expect(await isAutostartEnabled(paths)).toBe(false);
    expect(readFileSync(join(paths.user, DESKTOP_FILE), 'utf8')).toMatch(/^Hidden=true$/m);
    await setAutostart(true, '/usr/bin/vespera-updates', paths);
    expect(await isAutostartEnabled(paths)).toBe(true);
    expect(existsSync(join(paths.user, DESKTOP_FILE))).toBe(false);
  });

  it('the packaged system entry starts the app hidden, and the toggle understands it', async () => {
    const packaged = readFileSync(new URL('../../../build/autostart/vespera-updates.desktop', import.meta.url), 'utf8');
    // The packaged app lives in /opt/Vespera Updates: the path is quoted, or the session would split it.
    expect(packaged).toMatch(/^Exec="\/opt\/Vespera Updates\/vespera-updates" --hidden$/m);
    mkdirSync(paths.system[0] ?? '', { recursive: true });
    writeFileSync(join(paths.system[0] ?? '', DESKTOP_FILE), packaged);
    expect(await isAutostartEnabled(paths)).toBe(true);
    await setAutostart(false, '/opt/Vespera Updates/vespera-updates', paths);
    expect(await isAutostartEnabled(paths)).toBe(false);
    expect(readFileSync(join(paths.user, DESKTOP_FILE), 'utf8')).toMatch(/^Exec="\/opt\/Vespera Updates\/vespera-updates" --hidden$/m);
  });

  it('writes its own entry, started hidden, where the system has none', async () => {
    expect(await isAutostartEnabled(paths)).toBe(false);
    await setAutostart(true, '/home/u/bin/vespera-updates', paths);
    expect(await isAutostartEnabled(paths)).toBe(true);
    expect(readFileSync(join(paths.user, DESKTOP_FILE), 'utf8')).toMatch(/^Exec=\/home\/u\/bin\/vespera-updates --hidden$/m);
  });
});
