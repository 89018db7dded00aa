// Start at login, the XDG way: the package installs /etc/xdg/autostart/vespera-updates.desktop; the
// in-app toggle writes the user's override in ~/.config/autostart (Hidden=true turns it off).

import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const DESKTOP_FILE = 'vespera-updates.desktop';

export interface AutostartPaths {
  /** The user's autostart folder (~/.config/autostart). */
  readonly user: string;
  /** System folders searched, as $XDG_CONFIG_DIRS/autostart (normally /etc/xdg/autostart). */
  readonly system: readonly string[];
}

export function autostartPaths(env: NodeJS.ProcessEnv = process.env): AutostartPaths {
  const configHome = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  const dirs = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':').filter(Boolean);
  return { user: join(configHome, 'autostart'), system: dirs.map((d) => join(d, 'autostart')) };
}

/**
 * The program as a desktop entry's Exec key wants it: quoted when it holds a reserved character (the
 * install path "/opt/Vespera Updates" has a space), with `"`, `` ` ``, `$` and `\` escaped inside the
 * quotes, then every backslash doubled for the key's string escaping (Desktop Entry spec, "Exec").
 */
export function execArgument(program: string): string {
  if (!/[\s"'\\><~|&;$*?#()`]/.test(program)) return program.replaceAll('%', '%%');
  const quoted = `"${program.replace(/["`$\\]/g, (c) => `\\${c}`)}"`;
  // A literal % would start a field code (%U, %f) and must be doubled, quoted or not.
  return quoted.replace(/\\/g, '\\\\').replaceAll('%', '%%');
}

/** The entry we write to turn autostart on for a user whose system has no entry. */
export function desktopEntry(exec: string): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Vespera Updates',
    'Comment=Signed updates for this Fedora Atomic host',
    `Exec=${execArgument(exec)} --hidden`,
    'Icon=vespera-updates',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

function hidden(entry: string): boolean {
  return /^\s*(Hidden\s*=\s*true|X-GNOME-Autostart-enabled\s*=\s*false)\s*$/im.test(entry);
}

/** Whether the app starts at login for this user, as the session's autostart would decide. */
export async function isAutostartEnabled(paths: AutostartPaths = autostartPaths()): Promise<boolean> {
  const user = await readText(join(paths.user, DESKTOP_FILE));
  if (user !== undefined) return !hidden(user);
  for (const dir of paths.system) {
    const entry = await readText(join(dir, DESKTOP_FILE));
    if (entry !== undefined) return !hidden(entry);
  }
  return false;
}

/** Turns autostart on or off by writing (atomically) or removing the user's override. */
export async function setAutostart(enabled: boolean, exec: string, paths: AutostartPaths = autostartPaths()): Promise<void> {
  const target = join(paths.user, DESKTOP_FILE);
  let systemEntry: string | undefined;
  for (const dir of paths.system) systemEntry ??= await readText(join(dir, DESKTOP_FILE));
  if (enabled && systemEntry !== undefined && !hidden(systemEntry)) {
    // The system entry already starts us; the user's override would only hide it.
    await rm(target, { force: true });
    return;
  }
  const content = enabled ? desktopEntry(exec) : `${desktopEntry(exec)}Hidden=true\n`;
  await mkdir(dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, content, { mode: 0o644 });
  await rename(temp, target);
}
