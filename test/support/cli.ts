// Running programs from tests as a person at a shell would: a command with its environment, its exit
// code or signal, and what it printed; `vespera-updates` from source inside a test world.

import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import type { CommandIO } from '../../main/cli/command.ts';
import type { World } from '../world/world.ts';

export const ROOT = new URL('../../', import.meta.url).pathname;

export interface ProcessRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Written to the program's standard input, which is then closed (default: nothing). */
  readonly stdin?: string;
  /** In a process group of its own, like a job a shell starts (so a test can signal the group). */
  readonly detached?: boolean;
  /** Sees everything printed so far after each chunk, with the child (to signal it). */
  readonly onStdout?: (stdout: string, child: ChildProcess) => void;
  readonly onStderr?: (stderr: string, child: ChildProcess) => void;
  /** Handed the child as soon as it is started (to signal it before it prints anything). */
  readonly onSpawn?: (child: ChildProcess) => void;
}

export function runProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, detached: options.detached ?? false, stdio: ['pipe', 'pipe', 'pipe'] });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      options.onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    // A program that never reads its input may exit before we close it: that is not an error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
}

/** `vespera-updates ARGS` from source, with the world's environment. */
export function runCli(world: World, args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<ProcessRun> {
  return runProcess(process.execPath, ['--disable-warning=ExperimentalWarning', 'main/cli/index.ts', ...args], { env: { ...world.processEnv(), ...options.env } });
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

/** A CommandIO that keeps what a command prints, for running commands in-process. */
export function captureIO(env: NodeJS.ProcessEnv = {}, interactive = false): { io: CommandIO; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        append(chunk.toString());
        done();
      },
    });
  return { io: { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), env, interactive }, out: () => out, err: () => err };
}
