// Reading outside input with a size cap and a deadline: files, child-process output, HTTP bodies.
// Every edge of the app goes through these so nothing unbounded reaches the typed inside.

import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { CodedError } from './errors.ts';

export class LimitError extends CodedError<'too-large' | 'timeout'> {}

/** Reads a whole file, refusing one larger than `maxBytes` instead of truncating it. */
export async function readFileLimited(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw tooLarge(path, maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(path, maxBytes);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/** Collects an async byte stream up to `maxBytes`; `what` names the source in the error message. */
export async function collectLimited(
  stream: AsyncIterable<Uint8Array>,
  maxBytes: number,
  what: string,
): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge(what, maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** Rejects with a `timeout` LimitError when `promise` has not settled after `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LimitError('timeout', `${what} did not answer within ${formatMs(ms)}; try again, or check that it is running and reachable.`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function tooLarge(what: string, maxBytes: number): LimitError {
  return new LimitError('too-large', `${what} is larger than ${maxBytes} bytes, the most this app reads from it; it was refused rather than truncated.`);
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${ms} ms`;
}

/** Reads a fetch() body up to `maxBytes`, cancelling the stream (not buffering on) once it is too big. */
export async function readBodyLimited(body: ReadableStream<Uint8Array>, maxBytes: number, what: string): Promise<Buffer> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge(what, maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** sha256 (hex) of a file's bytes, or null when it does not exist; refuses one larger than `maxBytes`. */
export async function fileSha256(path: string, maxBytes = 4 * 1024 * 1024): Promise<string | null> {
  try {
    return createHash('sha256').update(await readFileLimited(path, maxBytes)).digest('hex');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
