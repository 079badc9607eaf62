import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import fc from 'fast-check';
import { RETAIN_SLAB_BYTES, RetainedBytes } from '../../../src-main/mux/retained-bytes.js';
import { SLAB_READ_BYTES, SMALL_READ_BYTES, slabReads } from '../../../src-main/mux/slab-reads.js';
import type { OnReadOptions } from '../../../src-main/transport/receive-slabs.js';
import { FrameBuffers } from '../../../src-main/transport/frame-buffers.js';

/** Plays the kernel: fills the buffer Node would read into with `bytes` and reports the read. */
function read(opts: OnReadOptions, into: Uint8Array, bytes: Uint8Array): Uint8Array {
  assert.ok(bytes.length <= into.length, 'a read never exceeds its buffer');
  into.set(bytes);
  opts.callback(bytes.length, into);
  return opts.buffer();
}

/**
 * n bytes of (i * 13 + seed) & 0xff: a run of 256 repeats, so Buffer.alloc fills them from one run
 * (built byte by byte through an Array, the property's reads took most of the file's CPU).
 */
const fill = (n: number, seed: number) =>
  Buffer.alloc(n, Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 13 + seed) & 0xff)));

test('bytes read in bulk go into a slab and are kept without a copy; the slab returns once acknowledged', () => {
  const pool = new FrameBuffers(RETAIN_SLAB_BYTES, 4);
  const pieces: Buffer[] = [];
  const opts = slabReads((p) => pieces.push(p) > 0, pool);
  let into = opts.buffer();
  assert.equal(into.length, SMALL_READ_BYTES, 'a new socket reads into the shared small buffer');
  into = read(opts, into, fill(SMALL_READ_BYTES, 1)); // a full small read: bulk is coming
  assert.equal(into.length, SLAB_READ_BYTES);
  into = read(opts, into, fill(SLAB_READ_BYTES, 2));
  into = read(opts, into, fill(40_000, 3));
  const kept = new RetainedBytes(pool);
  for (const p of pieces) kept.push(p);
  const views = kept.views();
  assert.equal(views[1], pieces[1], 'kept as the very bytes read, not a copy');
  assert.equal(views[2], pieces[2]);
  assert.equal(views[1]!.buffer, views[2]!.buffer, 'both bulk reads went into one slab');
  assert.equal(views[1]!.byteOffset + SLAB_READ_BYTES, views[2]!.byteOffset, 'packed one after the other');
  assert.deepEqual(
    Buffer.concat(views),
    Buffer.concat([fill(SMALL_READ_BYTES, 1), fill(SLAB_READ_BYTES, 2), fill(40_000, 3)]),
  );
  // A short read ends the bulk: the reader lets go of its slab, and its next read goes into the small
  // buffer every socket shares, so an idle socket holds no buffer of its own.
  into = read(opts, into, fill(10, 4));
  assert.equal(into.length, SMALL_READ_BYTES);
  assert.equal(into, slabReads(() => true, pool).buffer(), 'one small buffer for every socket');
  kept.push(pieces[3]!);
  assert.equal(pool.idle, 0, 'the slab still holds bytes not yet acknowledged');
  kept.drop(kept.size - 10);
  assert.equal(pool.idle, 0, 'the last piece (10 bytes) is still kept');
  kept.drop(10);
  assert.equal(pool.idle, 1, 'acknowledged and let go of: back in the pool');
});

test('no byte kept is overwritten by a later read, whatever the reads, acknowledgements and strays (property)', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({
            kind: fc.constant('read' as const),
            size: fc.integer({ min: 1, max: SLAB_READ_BYTES }),
            full: fc.boolean(),
            stray: fc.boolean(),
          }),
          fc.record({
            kind: fc.constant('ack' as const),
            fraction: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
        ),
        { maxLength: 60 },
      ),
      (steps) => {
        const pool = new FrameBuffers(RETAIN_SLAB_BYTES, 2);
        const kept = new RetainedBytes(pool);
        const model: Buffer[] = [];
        const strays: [Buffer, Buffer][] = [];
        let stray = false;
        const opts = slabReads((p) => {
          // A piece that goes to a stream that keeps nothing is never adopted; it must stay intact too.
          if (stray) strays.push([p, Buffer.from(p)]);
          else {
            kept.push(p);
            model.push(Buffer.from(p));
          }
          return true;
        }, pool);
        let into = opts.buffer();
        let seed = 0;
        for (const step of steps) {
          if (step.kind === 'read') {
            stray = step.stray;
            const n = step.full ? into.length : Math.min(step.size, into.length);
            into = read(opts, into, fill(n, ++seed));
          } else {
            const n = Math.floor(kept.size * step.fraction);
            kept.drop(n);
            let left = n;
            while (left > 0) {
              const head = model[0]!;
              if (head.length <= left) {
                left -= head.length;
                model.shift();
              } else {
                model[0] = head.subarray(left);
                left = 0;
              }
            }
          }
          assert.deepEqual(Buffer.concat(kept.views()), Buffer.concat(model));
        }
        for (const [piece, copy] of strays) assert.deepEqual(piece, copy);
      },
    ),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
  );
});

test('a real socket read through slabReads delivers every byte in order, with backpressure and its end', async () => {
  const total = 8 * 1024 * 1024;
  const server = createServer((s) => {
    let sent = 0;
    const more = () => {
      while (sent < total) {
        const n = Math.min(100_000, total - sent);
        const ok = s.write(fill(n, sent & 0xff));
        sent += n;
        if (!ok) return void s.once('drain', more);
      }
      s.end();
    };
    more();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  // Counts what goes out of the pool and back. A returned slab is often taken again at once (the reader
  // moves on to a new slab right after giving back one whose bytes were all acknowledged), so the free
  // list may well be empty at the end: the counts, not `idle`, say whether slabs came back.
  let taken = 0;
  let given = 0;
  const pool = new (class extends FrameBuffers {
    override take(): Buffer {
      taken++;
      return super.take();
    }
    override give(buffer: Buffer): void {
      given++;
      super.give(buffer);
    }
  })(RETAIN_SLAB_BYTES, 4);
  const kept = new RetainedBytes(pool);
  const socket: Socket = connect({ host: '127.0.0.1', port, onread: slabReads((p) => socket.push(p), pool) });
  const expected: Buffer[] = [];
  for (let sent = 0; sent < total; sent += 100_000)
    expected.push(fill(Math.min(100_000, total - sent), sent & 0xff));
  let received = 0;
  const check = Buffer.concat(expected);
  // A slow reader (a pause every 1 MiB) makes the socket stop and start reading.
  const sink = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, done) {
      assert.ok(
        chunk.equals(check.subarray(received, received + chunk.length)),
        `bytes at ${received} intact`,
      );
      kept.push(chunk);
      received += chunk.length;
      kept.drop(kept.size); // acknowledged at once: slabs come back and are read into again
      if (received % (1024 * 1024) < chunk.length) setTimeout(done, 2);
      else done();
    },
  });
  await pipeline(socket, sink);
  assert.equal(received, total);
  assert.ok(given >= 1, `slabs were used and came back (${taken} taken, ${given} given back)`);
  assert.ok(
    taken - given <= 1,
    `every slab but the reader's last came back (${taken} taken, ${given} given back)`,
  );
  server.close();
});
