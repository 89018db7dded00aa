// The command line's contract: what each exit code means, as `vespera-updates <command> --help` prints
// it, is what the README's table says, for every command the top-level help lists.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ROOT, runProcess } from '../../support/cli.ts';

async function cli(args: string[]): Promise<string> {
  const run = await runProcess(process.execPath, ['--disable-warning=ExperimentalWarning', `${ROOT}main/cli/index.ts`, ...args], { env: { PATH: process.env.PATH ?? '' } });
  expect(run.code, run.stderr).toBe(0);
  return run.stdout;
}

/** "Exit codes:" of a help text → command → code → meaning (wrapped lines joined). */
function helpCodes(help: string, command: string): Map<string, Map<number, string>> {
  const section = help.slice(help.indexOf('\nExit codes:\n') + '\nExit codes:\n'.length).split('\n');
  const out = new Map<string, Map<number, string>>();
  let current = command;
  let last: number | undefined;
  for (const line of section) {
    if (line.trim() === '') break;
    const heading = /^ {2}(\S.*):$/.exec(line);
    const entry = /^\s+(\d+) +(\S.*)$/.exec(line);
    if (heading) {
      current = heading[1] as string;
      last = undefined;
    } else if (entry) {
      last = Number(entry[1]);
      if (!out.has(current)) out.set(current, new Map());
      out.get(current)?.set(last, entry[2] as string);
    } else if (last !== undefined) {
      const codes = out.get(current) as Map<number, string>;
      codes.set(last, `${codes.get(last) ?? ''} ${line.trim()}`);
    }
  }
  return out;
}

/** The README's table → command → code → meaning; the sentence above it says what 2 means for all. */
async function readmeCodes(): Promise<Map<string, Map<number, string>>> {
  const readme = await readFile(`${ROOT}README.md`, 'utf8');
  const rows = readme.split('\n').filter((l) => l.startsWith('| '));
  const header = rows.find((r) => r.startsWith('| Command | 0 |'));
  expect(header, 'the README has the exit-code table').toBeDefined();
  const codes = (header as string).split('|').slice(2, -1).map((c) => Number.parseInt(c.trim(), 10));
  const out = new Map<string, Map<number, string>>();
  for (const row of rows) {
    const cells = row.split('|').slice(1, -1).map((c) => c.trim());
    const name = /^`(.+)`$/.exec(cells[0] ?? '')?.[1];
    if (!name || cells.length !== codes.length + 1) continue;
    const meanings = new Map<number, string>([[2, 'wrong usage (the message says which option)']]);
    codes.forEach((code, i) => {
      const cell = cells[i + 1] as string;
      if (cell !== '—') meanings.set(code, cell);
    });
    out.set(name, meanings);
  }
  return out;
}

describe('exit codes', () => {
  it('every command lists in --help exactly the codes the README table gives it, with the same meaning', async () => {
    const readme = await readmeCodes();
    const top = await cli(['--help']);
    const commands = top
      .slice(top.indexOf('Commands:\n'))
      .split('\n\n')[0]
      ?.split('\n')
      .slice(1)
      .map((l) => /^ {2}(\S+) {2,}/.exec(l)?.[1])
      .filter((name): name is string => name !== undefined) ?? [];
    expect(commands.length).toBeGreaterThan(10);
    const fromHelp = new Map<string, Map<number, string>>();
    for (const command of commands) {
      for (const [name, codes] of helpCodes(await cli([command, '--help']), command)) fromHelp.set(name, codes);
    }
    // Every command (policy's subcommands each) has a row, and no row names a command that is gone.
    expect([...fromHelp.keys()].sort()).toEqual([...readme.keys()].sort());
    for (const [name, codes] of fromHelp) {
      expect(Object.fromEntries(codes), name).toEqual(Object.fromEntries(readme.get(name) ?? []));
      // The README states 2 once for all; each help says it for itself.
      expect(codes.get(2), name).toMatch(/^wrong usage/);
    }
  });

  it('the top-level help states the shared meaning of each code', async () => {
    const top = await cli(['--help']);
    for (const code of ['0 done', '1 failed', '2 wrong usage', '3 evidence', '4 not confirmed', '5 blocked', '130/143 interrupted']) expect(top.replace(/\s+/g, ' ')).toContain(code);
  });
});
