/**
 * Moving bytes through mux streams in tests: a writer that reuses one buffer (as Node's stream contract
 * allows once a write's callback ran) and a reader that collects everything until the end.
 */
import type { Duplex } from 'node:stream';
import { within } from './relay-harness.js';

/** Sends `body` on a stream in chunks, overwriting each chunk as soon as its write completed. */
export async function sendReusingOneBuffer(stream: Duplex, body: Buffer, chunk: number): Promise<void> {
  const scratch = Buffer.alloc(chunk);
  for (let at = 0; at < body.length; at += chunk) {
    const n = body.copy(scratch, 0, at, Math.min(at + chunk, body.length));
    await new Promise<void>((resolve, reject) =>
      stream.write(scratch.subarray(0, n), (err) => (err ? reject(err) : resolve())),
    );
    scratch.fill(0xff); // Node's contract: after the callback the buffer is the caller's again
  }
  stream.end();
}

/** Everything the stream delivers until it ends (rejects on error, or after 10 s). */
export function readAll(stream: Duplex): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return within(
    'the stream to end',
    new Promise((resolve, reject) => {
      stream.once('end', () => resolve(Buffer.concat(chunks)));
      stream.once('error', reject);
    }),
    10_000,
  );
}
