// `vespera-updates doctor`: the troubleshooting guide as checks, each passed, failed or skipped with
// its evidence and the exact fix. Changes nothing.

import { runDoctor } from '../../flows/doctor.ts';
import { ImageChecks } from '../../flows/image-checks.ts';
import { EXIT, parseCommandArgs, writeJson, type Command } from '../command.ts';
import { openPartialSession } from '../../flows/session.ts';
import { FLOW_EXIT } from '../terminal.ts';
import { exitCodesHelp } from '../exit-codes.ts';

const HELP = `usage: vespera-updates doctor [IMAGE] [--json]

Runs the checks of IMAGE-SIGNING.md's troubleshooting guide automatically: the signer's identity and
issuer against the expected ones, whether the image and tag exist (with the tags that do), the
policy's syntax and loopholes, registries.d, cosign 3 signatures the OS cannot see, registry and
Sigstore reachability, a stuck transaction, automatic updates, and rpm-ostreed's recent log lines;
and which configuration file each setting came from.
IMAGE defaults to the image this host follows.

${exitCodesHelp('doctor')}`;

const MARK = { pass: '✓', fail: '✗', skip: '–' } as const;

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'find out why signatures or updates fail, with the exact fix',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('doctor', argv, { json: { type: 'boolean' } }, { max: 1 });
    const session = await openPartialSession({ env: io.env, clientId: 'vespera-updates-cli' });
    try {
      const report = await runDoctor(session, new ImageChecks(session.config, session.trust), positionals[0] ? { image: positionals[0] } : {});
      if (values.json) {
        writeJson(io, report);
      } else {
        const lines: string[] = [];
        for (const c of report.checks) {
          lines.push(`${MARK[c.status]} ${c.title}: ${c.summary}`);
          if (c.status === 'fail') {
            for (const e of c.evidence) lines.push(`    ${e}`);
            if (c.fix) lines.push(`    Fix: ${c.fix.text.replaceAll('\n', '\n         ')}`, ...(c.fix.command ? [`      $ ${c.fix.command}`] : []));
          }
        }
        io.stdout.write(`${lines.join('\n')}\n`);
      }
      return report.checks.some((c) => c.status === 'fail') ? FLOW_EXIT.attention : EXIT.ok;
    } finally {
      await session.close();
    }
  },
};
