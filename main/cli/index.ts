#!/usr/bin/env node
// The `vespera-updates` command line: a thin face over the same flows the tray app runs.
// Each command lives in its own module; this file only parses the first word and dispatches.

import { readFileSync } from 'node:fs';

interface Command {
  readonly summary: string;
  run(args: string[]): Promise<number>;
}

/** Commands register here as the parts behind them land. */
const COMMANDS: Record<string, Command> = {};

const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function help(): string {
  const width = Math.max(8, ...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: vespera-updates <command> [options]',
    '',
    'Checks that the image this Fedora Atomic host will boot next is signed by the people you trust.',
    '',
    'Commands:',
    ...(lines.length > 0 ? lines : ['  (none yet)']),
    '',
    'Options:',
    '  -h, --help     show this help (or a command\'s help: vespera-updates <command> --help)',
    '  --version      print the version',
    '',
    'Exit codes: 0 success, 1 the command failed (the message says why), 2 wrong usage.',
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    process.stdout.write(help());
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '--version') {
    process.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[first];
  if (!command) {
    process.stderr.write(`vespera-updates: unknown command "${first}"; run vespera-updates --help for the list.\n`);
    return EXIT.usage;
  }
  return await command.run(rest);
}

process.exitCode = await main(process.argv.slice(2));
