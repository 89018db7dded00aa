// What every `vespera-updates` command shares: argument parsing with usage errors, --help, JSON
// output that survives BigInt, and turning a CodedError into one clear line and an exit code.

import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { displayJson, displayText } from '../shared/display-text.ts';
import { CodedError, describeError } from '../shared/errors.ts';

/** Exit codes every command uses; what each code means per command is main/cli/exit-codes.ts (the README table). */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export interface CommandIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  /** True when stdout is a terminal (progress bars, colour). */
  readonly interactive: boolean;
}

export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The whole --help text. */
  readonly help: string;
  run(argv: string[], io: CommandIO): Promise<number>;
}

export class UsageError extends CodedError<'usage'> {
  constructor(message: string) {
    super('usage', message);
  }
}

export function processIO(): CommandIO {
  return terminalSafe({ stdout: process.stdout, stderr: process.stderr, env: process.env, interactive: Boolean(process.stdout.isTTY) });
}

const RAW_WRITE = Symbol('write without making the text safe');
const RAW_STREAM = Symbol('the stream under the safe one');
type SafeStream = NodeJS.WritableStream & { [RAW_WRITE]?: (text: string) => void; [RAW_STREAM]?: NodeJS.WritableStream };

/**
 * The streams with every text write made safe for a terminal (displayText): registry-controlled text
 * in any message cannot move the cursor, clear a line or recolour a refusal into "Verified".
 */
export function terminalSafe(io: CommandIO): CommandIO {
  return { ...io, stdout: safeStream(io.stdout), stderr: safeStream(io.stderr) };
}

function safeStream(stream: SafeStream): SafeStream {
  if (stream[RAW_WRITE]) return stream;
  const raw = (text: string): void => {
    stream.write(text);
  };
  return new Proxy(stream, {
    get(target, key) {
      if (key === RAW_WRITE) return raw;
      if (key === RAW_STREAM) return target;
      if (key === 'write') {
        return (chunk: unknown, ...rest: unknown[]) =>
          (target.write as (...args: unknown[]) => boolean)(typeof chunk === 'string' ? displayText(chunk) : chunk, ...rest);
      }
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * The terminal itself, for readline's line editing only: it echoes what the person types, with the
 * cursor controls that needs (nothing from outside passes through it).
 */
export function terminalStream(stream: NodeJS.WritableStream): NodeJS.WritableStream {
  return (stream as SafeStream)[RAW_STREAM] ?? stream;
}

/** The app's own terminal controls (the progress bar's carriage return and line clear). */
export function writeControl(stream: NodeJS.WritableStream, sequence: '\r\x1b[2K'): void {
  const raw = (stream as SafeStream)[RAW_WRITE];
  if (raw) raw(sequence);
  else stream.write(sequence);
}

/** parseArgs with strict checking; mistakes become a UsageError naming the command. */
export function parseCommandArgs<O extends ParseArgsOptionsConfig>(
  command: string,
  argv: string[],
  options: O,
  positionals: { min?: number; max?: number } = {},
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${command}: ${argumentProblem(error, options)}`);
  }
  const count = parsed.positionals.length;
  if (positionals.min !== undefined && count < positionals.min) throw new UsageError(`${command}: missing argument`);
  if (positionals.max !== undefined && count > positionals.max) {
    throw new UsageError(`${command}: unexpected argument "${parsed.positionals[positionals.max] ?? ''}"`);
  }
  return parsed;
}

/** Node's parseArgs wording turned into the command's own: which option, and what it takes. */
function argumentProblem(error: unknown, options: ParseArgsOptionsConfig): string {
  const code = (error as { code?: string }).code;
  const text = describeError(error);
  const named = /'(-{1,2}[^' <=]+)/.exec(text)?.[1] ?? '';
  const known = Object.entries(options).map(([name, o]) => `--${name}${o.type === 'string' ? ' VALUE' : ''}`);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${named} (its options: ${known.join(', ') || 'none'})`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return /does not take an argument/.test(text) ? `${named} takes no value` : `${named} needs a value`;
  }
  return text;
}

/** JSON with BigInt as numbers (D-Bus `t` values) and a trailing newline. */
export function writeJson(io: CommandIO, value: unknown): void {
  io.stdout.write(`${displayJson(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), 2))}\n`);
}

/** Runs a command: --help, usage errors (exit 2), coded failures as one line (exit 1). */
export async function runCommand(command: Command, argv: string[], unsafeIO: CommandIO): Promise<number> {
  const io = terminalSafe(unsafeIO);
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(command.help.endsWith('\n') ? command.help : `${command.help}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`vespera-updates ${error.message}; see vespera-updates ${command.name} --help.\n`);
      return EXIT.usage;
    }
    if (error instanceof CodedError) {
      io.stderr.write(`vespera-updates ${command.name}: ${error.message}\n`);
      return EXIT.failure;
    }
    io.stderr.write(`vespera-updates ${command.name}: unexpected failure: ${describeError(error)}\n`);
    if (io.env.VESPERA_UPDATES_DEBUG) io.stderr.write(`${(error as Error).stack ?? ''}\n`);
    return EXIT.failure;
  }
}
