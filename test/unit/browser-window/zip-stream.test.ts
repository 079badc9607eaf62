/**
 * The page's zip (src-web/window/receive/zip-stream.ts): what it writes unpacks whole with `unzip`
 * even when its reader moves each piece's buffer away as it goes — as the page's download does, which
 * transfers every chunk to its service worker — and the CRC-32 is the zip one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OfferEntry } from '../../../src-main/protocol/file-frames-wire.js';
import type { ArrivingFile, OfferedFile } from '../../../src-web/node/file-code-stream.js';
import { crc32, zipStream } from '../../../src-web/window/receive/zip-stream.js';

/** Each file's bytes in two chunks, as arriving files come. */
function arriving(files: Array<{ entry: OfferedFile; bytes: Uint8Array }>): AsyncIterable<ArrivingFile> {
  return (async function* () {
    for (const [index, { entry, bytes }] of files.entries()) {
      // Each file after a turn of the event loop, as files arrive from the network.
      await new Promise<void>((resolve) => queueMicrotask(resolve));
      const half = Math.floor(bytes.length / 2);
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(bytes.slice(0, half));
          c.enqueue(bytes.slice(half));
          c.close();
        },
      });
      yield { index, entry, stream };
    }
  })();
}

test('crc32 is the zip one', () => {
  assert.equal(
    crc32(new TextEncoder().encode('123456789')),
    0xcbf43926,
    'the check value of CRC-32/ISO-HDLC',
  );
  assert.equal(
    crc32(new TextEncoder().encode('6789'), crc32(new TextEncoder().encode('12345'))),
    0xcbf43926,
    'continued',
  );
});

test('a zip whose reader takes each buffer away unpacks whole', () => {
  return (async () => {
    const files = [0, 1, 1000, 70_000].map((size, i) => ({
      entry: { path: `top/${i % 2 ? 'sub/' : ''}f${i}.bin`, kind: 'file' as const, size, exec: i === 3 },
      bytes: Uint8Array.from({ length: size }, (_, k) => (k * 31 + i) & 0xff),
    }));
    const entries: OfferEntry[] = [
      { path: 'top', kind: 'dir' },
      { path: 'top/sub', kind: 'dir' },
      ...files.map((f) => f.entry),
    ];
    const reader = zipStream(entries, arriving(files)).getReader();
    const pieces: Buffer[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pieces.push(Buffer.from(value));
      // As the page's download does: the piece's buffer goes to another context, detached here.
      structuredClone(value.buffer, { transfer: [value.buffer as ArrayBuffer] });
    }
    const dir = mkdtempSync(join(tmpdir(), 'zip-stream-'));
    try {
      const zip = join(dir, 'files.zip');
      writeFileSync(zip, Buffer.concat(pieces));
      const tested = execFileSync('unzip', ['-t', zip], { encoding: 'utf8' });
      assert.match(tested, /No errors detected/, tested);
      execFileSync('unzip', ['-q', zip, '-d', join(dir, 'out')]);
      for (const f of files) {
        const got = createHash('sha256')
          .update(readFileSync(join(dir, 'out', f.entry.path)))
          .digest('hex');
        assert.equal(got, createHash('sha256').update(f.bytes).digest('hex'), f.entry.path);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
});
