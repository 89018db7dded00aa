// What the flow commands share at the terminal: a progress bar for transactions (plain lines when not
// a terminal, nothing with --json), a yes/no question, and opening a flow session with a clear error.

import { createInterface, type Interface } from 'node:readline';
import type { ProgressEvent } from '../../preload/contract.ts';
import { openSession, type FlowSession } from '../flows/session.ts';
import { inlineText } from '../shared/display-text.ts';
import { terminalStream, writeControl, writeJson, type CommandIO } from './command.ts';

/** Exit codes beyond 0/1/2, the same in every command (main/cli/exit-codes.ts says what each means where). */
export const FLOW_EXIT = { attention: 3, declined: 4, blocked: 5 } as const;

export function progressPrinter(io: CommandIO, quiet: boolean): (event: ProgressEvent) => void {
  let last = '';
  return (event) => {
    if (quiet) return;
    const text = event.message ? `${event.step}: ${event.message}` : event.step;
    if (io.interactive) {
      const width = 24;
      const filled = event.percent === undefined ? 0 : Math.round((event.percent / 100) * width);
      const bar = event.percent === undefined ? '' : `[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(event.percent).padStart(3)}% `;
      writeControl(io.stderr, '\r\x1b[2K');
      io.stderr.write(`${bar}${inlineText(text).slice(0, 100)}`);
    } else if (text !== last) {
      io.stderr.write(`${text}\n`);
    }
    last = text;
  };
}

/** Ends a progress line on a terminal so the next output starts on its own line. */
export function endProgress(io: CommandIO, quiet: boolean): void {
  if (!quiet && io.interactive) writeControl(io.stderr, '\r\x1b[2K');
}

/** One line reader for the whole run, so answers typed ahead reach the questions that follow. */
interface LineReader {
  readonly rl: Interface;
  readonly lines: string[];
  waiting?: ((line: string | undefined) => void) | undefined;
  closed: boolean;
}
let reader: LineReader | undefined;

function lineReader(io: CommandIO): LineReader {
  if (reader) return reader;
  const rl = createInterface({ input: process.stdin, output: terminalStream(io.stderr), terminal: Boolean(process.stdin.isTTY) });
  const state: LineReader = { rl, lines: [], closed: false };
  rl.on('line', (line) => {
    if (state.waiting) {
      const give = state.waiting;
      state.waiting = undefined;
      give(line);
    } else state.lines.push(line);
  });
  // Ctrl-D closes the input; Ctrl-C at a prompt is a "no" too, not a crash.
  const end = (): void => {
    state.closed = true;
    const give = state.waiting;
    state.waiting = undefined;
    give?.(undefined);
  };
  rl.on('close', end);
  rl.on('SIGINT', () => {
    io.stderr.write('\n');
    end();
  });
  reader = state;
  return state;
}

/** Stops reading the terminal (the program can then exit). */
export function closeTerminal(): void {
  reader?.rl.close();
  reader = undefined;
}

/** Asks a yes/no question on the terminal; false without a terminal (use --yes there), on Ctrl-C and on Ctrl-D. */
export async function confirm(io: CommandIO, question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const r = lineReader(io);
  io.stderr.write(`${question} [y/N] `);
  const typedAhead = r.lines.shift();
  const answer = typedAhead ?? (r.closed ? undefined : await new Promise<string | undefined>((resolve) => (r.waiting = resolve)));
  if (typedAhead !== undefined) io.stderr.write(`${typedAhead.trim()}\n`);
  return answer !== undefined && /^y(es)?$/i.test(answer.trim());
}

/** Exit status after an interrupt, as a shell reports a program that a signal ended. */
export const SIGNAL_EXIT: Readonly<Record<'SIGINT' | 'SIGTERM' | 'SIGHUP', number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * Runs work that changes the host so that an interrupt never leaves it half-changed in silence: the first
 * Ctrl-C / SIGTERM / SIGHUP aborts `signal` (the work finishes the step under way and undoes the rest),
 * a second one leaves at once, saying that the next run will finish or undo it.
 */
export async function interruptible<T>(io: CommandIO, work: (signal: AbortSignal) => Promise<T>): Promise<{ result: T; interruptedBy?: keyof typeof SIGNAL_EXIT }> {
  const controller = new AbortController();
  let interruptedBy: keyof typeof SIGNAL_EXIT | undefined;
  const onSignal = (name: keyof typeof SIGNAL_EXIT): void => {
    if (interruptedBy) {
      io.stderr.write(`\nLeaving now. What this run had started is written down; the next run of Vespera Updates (the app, or vespera-updates status to see it) finishes or undoes it.\n`);
      process.exit(SIGNAL_EXIT[name]);
    }
    interruptedBy = name;
    io.stderr.write(`\nInterrupted: finishing the step under way, then undoing the rest. Press Ctrl-C again to leave at once (the next run will finish undoing).\n`);
    controller.abort();
  };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((name) => {
    const handler = (): void => onSignal(name);
    process.on(name, handler);
    return () => process.off(name, handler);
  });
  try {
    const result = await work(controller.signal);
    return { result, ...(interruptedBy ? { interruptedBy } : {}) };
  } finally {
    for (const off of handlers) off();
  }
}

/** Opens the flows for a CLI run; its failures (config, bus, trust root) are coded errors with a fix. */
export async function openCliSession(io: CommandIO): Promise<FlowSession> {
  return await openSession({ env: io.env, clientId: 'vespera-updates-cli' });
}

/**
 * Says why a command stops short (blocked, not confirmed): the JSON a script reads, or one line for a
 * person. Returns `exit` so callers can `return refuse(...)`.
 */
export function refuse(io: CommandIO, json: boolean, exit: number, refusal: { code: string; message: string } & Record<string, unknown>): number {
  if (json) writeJson(io, { ok: false, ...refusal });
  else io.stderr.write(`${refusal.message}\n`);
  return exit;
}
