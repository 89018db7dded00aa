// Running `vespera-updates` from source inside a test world, as a person at a shell would: the world's
// environment, the exit code, and stdout parsed as JSON when asked.

import { spawn } from 'node:child_process';
import type { World } from '../world/world.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(world: World, args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'main/cli/index.ts', ...args], {
      cwd: ROOT,
      env: { ...world.processEnv(), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs with --json and parses what it printed; fails the test with stderr when it is not JSON. */
export async function runCliJson<T = Record<string, unknown>>(world: World, args: readonly string[]): Promise<{ code: number | null; json: T; stderr: string }> {
  const run = await runCli(world, [...args, '--json']);
  try {
    return { code: run.code, json: JSON.parse(run.stdout) as T, stderr: run.stderr };
  } catch {
    throw new Error(`vespera-updates ${args.join(' ')} --json printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}
