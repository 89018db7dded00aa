// Child processes of a test world: started in their own process group, tied to this process's life
// (setpriv --pdeathsig), and killed with their whole group on stop, on exit and on failure.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code (or signal name) once the process has gone. */
  readonly exited: Promise<number | string>;
  /** The last lines the process wrote to stderr and stdout, for error messages. */
  recentOutput(): string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolve start only once a stdout line satisfies this; the line is returned. */
  readyLine?: (line: string) => boolean;
  readyTimeoutMs?: number;
  /** Receives every stdout and stderr line (e.g. a log file writer). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

const PDEATHSIG = existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--'] : [];

/** Last-resort cleanup when the owner exits without stopping its worlds (a thrown error, process.exit). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

export function registerTempDir(dir: string): void {
  installExitHook();
  tempDirs.add(dir);
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

export async function spawnManaged(
  name: string,
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<{ process: ManagedProcess; readyLine?: string }> {
  installExitHook();
  const argv = [...PDEATHSIG, command, ...args];
  const child = spawn(argv[0] as string, argv.slice(1), {
    env: options.env ?? process.env,
    cwd: options.cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const lines: string[] = [];
  const remember = (line: string): void => {
    lines.push(line);
    if (lines.length > 40) lines.shift();
  };
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  let onReady: ((line: string) => void) | undefined;
  const split = (stream: NodeJS.ReadableStream | null, kind: 'stdout' | 'stderr'): void => {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      rest += chunk;
      let nl: number;
      while ((nl = rest.indexOf('\n')) !== -1) {
        const line = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        remember(line);
        options.onLine?.(line, kind);
        if (kind === 'stdout' && onReady && options.readyLine?.(line)) onReady(line);
      }
    });
  };
  split(child.stdout, 'stdout');
  split(child.stderr, 'stderr');

  const managed: ManagedProcess = {
    name,
    pid: child.pid ?? -1,
    exited,
    recentOutput: () => lines.join('\n'),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
      // The group may still hold children the leader started; they go with it.
      killGroup(child, 'SIGKILL');
    },
  };

  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`${name}: could not start ${command}: ${error.message}`)));
  });
  if (!options.readyLine) {
    await Promise.race([new Promise((resolve) => child.once('spawn', resolve)), spawnError]);
    return { process: managed };
  }
  const timeoutMs = options.readyTimeoutMs ?? 10_000;
  try {
    const readyLine = await Promise.race([
      new Promise<string>((resolve) => (onReady = resolve)),
      spawnError,
      exited.then((code) => {
        throw new Error(`${name} exited (${code}) before it was ready:\n${managed.recentOutput()}`);
      }),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`${name} was not ready after ${timeoutMs} ms:\n${managed.recentOutput()}`)), timeoutMs).unref(),
      ),
    ]);
    return { process: managed, readyLine };
  } catch (error) {
    await managed.stop();
    throw error;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}
