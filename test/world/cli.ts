// Command-line face of the test world, for tests, benchmarks, the demo and people at a shell.
// Prints nothing of its own on stdout in `run` mode: stdout belongs to the command inside.

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import { SCENARIOS } from './scenarios.ts';
import { startWorld, type World } from './world.ts';

const HELP = `usage: npm run --silent world -- <command>

  run [--scenario NAME] [--verbose] -- CMD [ARGS...]
      Bring a world up, run CMD inside it (bus addresses, registry, VESPERA_UPDATES_CONFIG in its
      environment), tear the world down, and exit with CMD's exit code.
  up [--scenario NAME] [--verbose]
      Bring a world up and keep it until Ctrl-C; prints the environment to reach it.
  scenarios
      List the scenarios.
`;

function fail(message: string, code = 2): never {
  process.stderr.write(`world: ${message}\n`);
  process.exit(code);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stderr.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === 'scenarios') {
    for (const s of SCENARIOS) process.stdout.write(`${s.name}\t${s.description}\n`);
    return 0;
  }
  const dashdash = rest.indexOf('--');
  const own = dashdash === -1 ? rest : rest.slice(0, dashdash);
  const inner = dashdash === -1 ? [] : rest.slice(dashdash + 1);
  let values: { scenario?: string; verbose?: boolean };
  try {
    ({ values } = parseArgs({
      args: own,
      options: { scenario: { type: 'string' }, verbose: { type: 'boolean' } },
      strict: true,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${HELP}`);
  }
  const log = values.verbose ? (line: string) => process.stderr.write(`${line}\n`) : undefined;

  if (command === 'run') {
    if (inner.length === 0) fail(`run needs a command after --\n${HELP}`);
    return await runInside(inner, values.scenario, log);
  }
  if (command === 'up') return await keepUp(values.scenario, log);
  fail(`unknown command "${command}"\n${HELP}`);
}

async function bringUp(scenario: string | undefined, log?: (line: string) => void): Promise<World> {
  try {
    return await startWorld({ ...(scenario !== undefined ? { scenario } : {}), ...(log ? { log } : {}) });
  } catch (error) {
    fail(`could not bring the world up: ${(error as Error).message}`, 1);
  }
}

async function runInside(cmd: string[], scenario: string | undefined, log?: (line: string) => void): Promise<number> {
  let interrupted: NodeJS.Signals | undefined;
  const early = (signal: NodeJS.Signals): void => {
    interrupted = signal;
  };
  process.on('SIGINT', early).on('SIGTERM', early).on('SIGHUP', early);
  const world = await bringUp(scenario, log);
  if (interrupted) {
    await world.stop();
    return 128 + constants.signals[interrupted];
  }
  const child = spawn(cmd[0] as string, cmd.slice(1), { stdio: 'inherit', env: world.processEnv() });
  const forward = (signal: NodeJS.Signals): void => {
    interrupted = signal;
    child.kill(signal);
  };
  process.off('SIGINT', early).off('SIGTERM', early).off('SIGHUP', early);
  process.on('SIGINT', forward).on('SIGTERM', forward).on('SIGHUP', forward);
  const code = await new Promise<number>((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`world: could not run ${cmd[0]}: ${error.message}\n`);
      resolve(127);
    });
    child.once('exit', (exitCode, signal) => resolve(exitCode ?? 128 + (signal ? constants.signals[signal] : 1)));
  });
  await world.stop();
  return code;
}

async function keepUp(scenario: string | undefined, log?: (line: string) => void): Promise<number> {
  const world = await bringUp(scenario, log);
  for (const [key, value] of Object.entries(world.env)) process.stdout.write(`export ${key}='${value}'\n`);
  process.stderr.write(`world: up (scenario ${world.scenario.name}); registry ${world.registry.url}; Ctrl-C to stop\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => resolve(s));
  });
  await world.stop();
  process.stderr.write('world: stopped\n');
  return signal === 'SIGINT' ? 0 : 128 + constants.signals[signal];
}

process.exitCode = await main(process.argv.slice(2));
