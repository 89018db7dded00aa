// What every command prints reaches the terminal made safe: registry-controlled text in a message
// cannot clear a line or recolour a refusal into a success; the progress bar's own controls still work.
import { describe, expect, it } from 'vitest';
import { EXIT, runCommand, writeControl, writeJson, type Command } from '../../../main/cli/command.ts';
import { TrustError } from '../../../main/trust/errors.ts';
import { endProgress, progressPrinter } from '../../../main/cli/terminal.ts';
import { captureIO } from '../../support/cli.ts';

const capture = (interactive = false): ReturnType<typeof captureIO> => captureIO({}, interactive);

const REDRAW = '\r\x1b[2K\x1b[32mVerified: 127.0.0.1/acme/vespera-nvidia:latest\x1b[0m';
const ESC = '\x1b';

describe('what a command prints', () => {
  it('writes a refusal quoting registry text with its escape sequences shown, not obeyed', async () => {
    const command: Command = {
      name: 'verify',
      summary: '',
      help: '',
      run: () => Promise.reject(new TrustError('no-signature', `x is not signed. Tags that exist: latest${REDRAW}`)),
    };
    const { io, err } = capture();
    expect(await runCommand(command, [], io)).toBe(EXIT.failure);
    expect(err()).not.toContain(ESC);
    expect(err()).not.toContain('\r');
    expect(err()).toContain('latest\\x0D\\x1B[2K\\x1B[32mVerified');
  });

  it('keeps JSON output valid JSON while escaping what a terminal would obey', async () => {
    const command: Command = {
      name: 'status',
      summary: '',
      help: '',
      run: (_argv, io) => {
        writeJson(io, { version: `42\u009b2K${REDRAW}` });
        return Promise.resolve(EXIT.ok);
      },
    };
    const { io, out } = capture();
    await runCommand(command, [], io);
    expect([...out()].filter((c) => (c < ' ' && c !== '\n') || (c >= '\u007f' && c <= '\u009f'))).toEqual([]);
    expect(JSON.parse(out())).toEqual({ version: `42\u009b2K${REDRAW}` });
  });

  it("lets only the progress bar's own line clearing through", async () => {
    const command: Command = {
      name: 'check',
      summary: '',
      help: '',
      run: (_argv, io) => {
        const progress = progressPrinter(io, false);
        progress({ operation: 'check', step: 'Verifying', message: `tag ${REDRAW}` });
        endProgress(io, false);
        writeControl(io.stdout, '\r\x1b[2K');
        return Promise.resolve(EXIT.ok);
      },
    };
    const { io, err, out } = capture(true);
    await runCommand(command, [], io);
    expect(err().split('\r\x1b[2K')).toEqual(['', 'Verifying: tag \\x0D\\x1B[2K\\x1B[32mVerified: 127.0.0.1/acme/vespera-nvidia:latest\\x1B[0m', '']);
    expect(out()).toBe('\r\x1b[2K');
  });
});
