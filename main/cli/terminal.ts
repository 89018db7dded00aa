// What the flow commands share at the terminal: a progress bar for transactions (plain lines when not
// a terminal, nothing with --json), a yes/no question, and opening a flow session with a clear error.

import { createInterface } from 'node:readline/promises';
import type { ProgressEvent } from '../../preload/contract.ts';
import { openSession, type FlowSession } from '../flows/session.ts';
import { inlineText } from '../shared/display-text.ts';
import { writeControl, writeJson, type CommandIO } from './command.ts';

/** Exit codes of the flow commands beyond 0/1/2 (listed in each command's help). */
export const FLOW_EXIT = { attention: 3, declined: 4 } as const;

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

/** Asks a yes/no question on the terminal; false without a terminal (use --yes there). */
export async function confirm(io: CommandIO, question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: io.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
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
