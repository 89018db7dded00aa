import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectLimited, readBodyLimited, readFileLimited, withTimeout } from '../../../main/shared/bounded.ts';

const dir = mkdtempSync(join(tmpdir(), 'bounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bounded reads', () => {
  it('reads a file within the limit whole', async () => {
    const path = join(dir, 'small');
    writeFileSync(path, 'x'.repeat(100));
    expect((await readFileLimited(path, 100)).length).toBe(100);
  });

  it('refuses a file over the limit instead of truncating it', async () => {
    const path = join(dir, 'big');
    writeFileSync(path, 'x'.repeat(101));
    await expect(readFileLimited(path, 100)).rejects.toMatchObject({ code: 'too-large' });
  });

  it('refuses a stream that grows past the limit', async () => {
    const chunks = Array.from({ length: 10 }, () => new Uint8Array(30));
    await expect(collectLimited(Readable.from(chunks), 100, 'the registry answer')).rejects.toThrow(/the registry answer is larger than 100 bytes/);
  });

  it('stops reading an HTTP body once it is too large, and cancels the rest', async () => {
    let pulled = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(40));
      },
      cancel() {
        cancelled = true;
      },
    });
    await expect(readBodyLimited(endless, 100, 'the manifest')).rejects.toMatchObject({ code: 'too-large' });
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(10);
    expect((await readBodyLimited(new Response('hello').body as ReadableStream<Uint8Array>, 100, 'x')).toString()).toBe('hello');
  });

  it('gives up on an answer that never comes and says what to do', async () => {
    await expect(withTimeout(new Promise(() => {}), 20, 'rpm-ostreed')).rejects.toMatchObject({
      code: 'timeout',
      message: expect.stringMatching(/rpm-ostreed did not answer within 20 ms; try again/) as unknown,
    });
  });
});
