#!/usr/bin/env node
// The `vespera-updates` command line: a thin face over the same flows the tray app runs.
// Each command lives in its own module under commands/; this file lists them and dispatches.

import { readFileSync } from 'node:fs';
import { EXIT, processIO, runCommand, type Command } from './command.ts';
import { closeTerminal } from './terminal.ts';
import { automaticUpdatesCommand } from './commands/automatic-updates.ts';
import { changesCommand } from './commands/changes.ts';
import { applyCommand, checkCommand } from './commands/check.ts';
import { doctorCommand } from './commands/doctor.ts';
import { imageSetupCommand } from './commands/image-setup.ts';
import { migrateCommand } from './commands/migrate.ts';
import { policyCommand } from './commands/policy.ts';
import { publisherCheckCommand } from './commands/publisher-check.ts';
import { rollbackCommand } from './commands/rollback.ts';
import { statusCommand } from './commands/status.ts';
import { verifyBundleCommand } from './commands/verify-bundle.ts';
import { verifyCommand } from './commands/verify.ts';

/** Every command, in the order --help lists them. */
const COMMANDS: readonly Command[] = [
  statusCommand,
  checkCommand,
  changesCommand,
  applyCommand,
  migrateCommand,
  rollbackCommand,
  doctorCommand,
  verifyCommand,
  policyCommand(),
  verifyBundleCommand,
  imageSetupCommand,
  automaticUpdatesCommand,
  publisherCheckCommand,
];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function help(): string {
  const width = Math.max(8, ...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: vespera-updates <command> [options]',
    '',
    'Checks that the image this Fedora Atomic host will boot next is signed by the people you trust.',
    '',
    'Commands:',
    ...(lines.length > 0 ? lines : ['  (none yet)']),
    '',
    'Options:',
    "  -h, --help     show this help (or a command's help: vespera-updates <command> --help)",
    '  --version      print the version',
    '',
    'Exit codes mean the same in every command (each lists its own in its help): 0 done; 1 failed or',
    'could not check (offline: no evidence either way); 2 wrong usage; 3 evidence something is wrong,',
    'or the host needs attention; 4 not confirmed; 5 blocked or nothing to do; 130/143 interrupted.',
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const io = processIO();
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.stdout.write(help());
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '--version') {
    io.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    io.stderr.write(`vespera-updates: unknown command "${first}"; run vespera-updates --help for the list.\n`);
    return EXIT.usage;
  }
  try {
    return await runCommand(command, rest, io);
  } finally {
    closeTerminal();
  }
}

process.exitCode = await main(process.argv.slice(2));
