// What each command's exit code means: one table, printed by each command's --help and kept equal to
// the README's table by a test. The numbers mean the same everywhere: 0 done, 1 failed or could not
// check, 2 wrong usage, 3 evidence or attention, 4 not confirmed, 5 blocked or nothing to do,
// 130/143 interrupted by Ctrl-C/SIGTERM with the host left as the message says.

export const USAGE_MEANING = 'wrong usage (the message says which option)';

/** Command (or `policy` subcommand) → code → meaning. Every command also exits 2 on wrong usage. */
export const EXIT_TABLE: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  status: {
    0: 'nothing needs doing: up to date, an update waits, or a restart is pending',
    1: 'something could not be checked (offline, rpm-ostreed not running); the last good verdict is shown',
    3: 'the host needs attention: a signature failed, the tag moved back, the signature policy does not load, or nothing enforces signatures',
  },
  check: {
    0: 'up to date, or a signed update is available (or was staged)',
    1: 'could not check (offline, registry refused, nothing configured), or staging failed',
    3: 'evidence or attention: an update (or the staged one, or the running system) failed its signature check, the tag moved back to an older build, or the signature policy does not load',
    5: 'another run holds the host; nothing was done',
  },
  changes: {
    0: 'shown',
    1: 'the changes, or whether an update waits, could not be read',
    5: 'nothing to compare with (no update waits and the next boot is the running system, or no rollback deployment)',
  },
  apply: {
    0: 'restarting into the staged update (or the deployment a rollback set as the next boot)',
    1: 'not applied: its signature could not be checked, or the restart failed',
    3: 'not applied: the staged update failed its signature check (discard it)',
    4: 'not confirmed',
    5: 'nothing waits for a restart, or another run holds the host',
  },
  migrate: {
    0: 'migrated (restart to apply)',
    1: 'failed or could not check; the message says where the host stands',
    3: 'refused: the target image failed verification',
    4: 'not confirmed',
    5: 'nothing to do or blocked (already migrated, a staged update in the way, another run holds the host)',
    130: 'interrupted by Ctrl-C (143: by SIGTERM); the message says where the host stands',
  },
  rollback: {
    0: 'rolled back (restart to apply)',
    1: 'failed; the message says where the host stands',
    4: 'not confirmed',
    5: 'nothing to roll back to, blocked, or another run holds the host',
    130: 'interrupted by Ctrl-C (143: by SIGTERM); the message says where the host stands',
  },
  doctor: {
    0: 'every check passed or was skipped',
    1: 'the doctor could not run',
    3: 'at least one check failed (its fix is printed)',
  },
  verify: {
    0: 'verified',
    1: 'could not check (registry unreachable, nobody configured as signer)',
    3: 'failed verification: evidence something is wrong',
  },
  'policy show': {
    0: 'policy.json and registries.d load',
    1: 'they could not be read',
    3: 'policy.json or registries.d does not load (line, column and fix printed)',
  },
  'policy plan': {
    0: 'the plan is printed (nothing written)',
    1: 'no plan can be made (the message says why)',
  },
  'policy apply': {
    0: 'applied (or nothing to change)',
    1: 'nothing written: the plan was refused or the helper failed',
  },
  'policy restore': {
    0: 'restored, or the backups listed',
    1: 'nothing restored (the message says why)',
    4: 'not confirmed',
  },
  'verify-bundle': {
    0: 'the bundle verifies',
    1: 'it could not be checked (a file could not be read)',
    3: 'it does not verify: evidence something is wrong',
  },
  'image-setup': {
    0: 'written',
    1: 'nothing written, or a write failed (the message says which)',
  },
  'automatic-updates': {
    0: 'done (run: staged, up to date, or nothing to do; on/off: changed)',
    1: 'failed, or the run could not check',
    3: 'attention (run: an update was refused, the host does not verify updates, or its signature policy does not load)',
    4: 'not confirmed',
  },
  'publisher-check': {
    0: 'nothing missing',
    1: 'an image could not be checked (offline, no access)',
    3: 'something is missing (each gap is printed with what to do)',
  },
};

/** The codes a command documents, usage (2) included, in order. */
export function exitCodesOf(command: string): Array<[number, string]> {
  const table = EXIT_TABLE[command];
  if (!table) throw new Error(`no exit codes listed for ${command}`);
  const codes: Array<[number, string]> = Object.entries(table).map(([code, meaning]) => [Number(code), meaning]);
  codes.push([2, USAGE_MEANING]);
  return codes.sort(([a], [b]) => a - b);
}

/** The "Exit codes:" section of a command's --help. */
export function exitCodesHelp(...commands: string[]): string {
  const lines = ['Exit codes:'];
  for (const command of commands) {
    if (commands.length > 1) lines.push(`  ${command}:`);
    const indent = commands.length > 1 ? '    ' : '  ';
    for (const [code, meaning] of exitCodesOf(command)) lines.push(wrap(`${indent}${String(code).padEnd(4)}${meaning}`, `${indent}    `));
  }
  return `${lines.join('\n')}\n`;
}

/** Wraps at 100 columns, continuation lines under the meaning. */
function wrap(text: string, indent: string): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/(?<=\S) /)) {
    if (line && line.length + 1 + word.length > 100) {
      out.push(line);
      line = `${indent}${word}`;
    } else line = line ? `${line} ${word}` : word;
  }
  out.push(line);
  return out.join('\n');
}
