import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Mux, type MuxStream } from '../../src-main/mux/mux.js';
import { INITIAL_STREAM_WINDOW } from '../../src-main/protocol/mux-frames.js';
import { createLinkPair } from '../helpers/link-pair.js';

/** One stream's traffic: chunks written by the opener and by the acceptor, and how each side reads. */
const streamPlan = fc.record({
  up: fc.array(fc.integer({ min: 0, max: 90_000 }), { maxLength: 8 }),
  down: fc.array(fc.integer({ min: 0, max: 90_000 }), { maxLength: 8 }),
  pausedReader: fc.boolean(),
  readSize: fc.integer({ min: 1, max: 70_000 }),
});

const plan = fc.record({
  streams: fc.array(streamPlan, { minLength: 1, maxLength: 5 }),
  /** Which stream writes next (indices taken modulo the stream count); interleaves writes at random. */
  order: fc.array(fc.nat(), { maxLength: 60 }),
  /** Where to yield to the event loop between writes, so frames of different streams interleave. */
  yields: fc.array(fc.boolean(), { maxLength: 60 }),
  highWaterMark: fc.integer({ min: 1, max: 512 * 1024 }),
  bytesPerTick: fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.integer({ min: 1, max: 256 * 1024 })),
  streamWindow: fc.constantFrom(INITIAL_STREAM_WINDOW, 2 * INITIAL_STREAM_WINDOW),
  /** Frames handed to the mux whole, or in pieces of this size (a direct link's TLS reads). */
  pieceBytes: fc.option(fc.integer({ min: 1, max: 70_000 }), { nil: undefined }),
});

/** Deterministic content: stream index, direction and offset are all visible in the bytes. */
function chunkBytes(stream: number, dir: number, offset: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (offset + i) * 7 + stream * 13 + dir * 101;
  return b;
}

function collect(stream: MuxStream, paused: boolean, readSize: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.once('error', reject);
    stream.once('end', () => resolve(Buffer.concat(parts)));
    if (!paused) {
      stream.on('data', (c: Buffer) => parts.push(c));
      return;
    }
    stream.on('readable', () => {
      for (let c; (c = stream.read(Math.min(readSize, stream.readableLength || 1))) !== null;) {
        parts.push(c);
      }
    });
  });
}

test(
  'property: random interleavings and chunkings, frames whole or in pieces, deliver exact bytes both ways',
  { timeout: 300_000 },
  async () => {
    await fc.assert(
      fc.asyncProperty(plan, async (pl) => {
        const { a, b } = createLinkPair({
          highWaterMark: pl.highWaterMark,
          bytesPerTick: pl.bytesPerTick,
          ...(pl.pieceBytes === undefined ? {} : { pieceBytes: pl.pieceBytes }),
        });
        const accepted: MuxStream[] = [];
        const ma = new Mux(a, { streamWindow: pl.streamWindow });
        const mb = new Mux(b, {
          streamWindow: pl.streamWindow,
          onStream: (req) => accepted.push(req.accept()),
        });
        try {
          const n = pl.streams.length;
          const opened = await Promise.all(pl.streams.map((_, i) => ma.open('p', i)));
          assert.equal(accepted.length, n);
          const results = pl.streams.map((sp, i) => ({
            atB: collect(accepted[i]!, sp.pausedReader, sp.readSize),
            atA: collect(opened[i]!, !sp.pausedReader, sp.readSize),
          }));
          // A run fast-check gave up on (its timeout, on a loaded machine) is closed below while nobody
          // awaits these any more: its streams' "link closed" must not escape as an unhandled rejection
          // and fail a later run. A run that does await them still sees the rejection.
          for (const r of results) for (const p of [r.atA, r.atB]) p.catch(() => undefined);
          // Writers: both directions of every stream, in the random order, with random yields.
          const cursor = pl.streams.map(() => ({ up: 0, down: 0, upOff: 0, downOff: 0 }));
          const steps = [...pl.order, ...Array.from({ length: 16 * n }, (_, k) => k)];
          for (const [k, pick] of steps.entries()) {
            const i = pick % n;
            const sp = pl.streams[i]!;
            const c = cursor[i]!;
            if (k % 2 === 0 && c.up < sp.up.length) {
              const size = sp.up[c.up++]!;
              opened[i]!.write(chunkBytes(i, 0, c.upOff, size));
              c.upOff += size;
            } else if (c.down < sp.down.length) {
              const size = sp.down[c.down++]!;
              accepted[i]!.write(chunkBytes(i, 1, c.downOff, size));
              c.downOff += size;
            }
            if (pl.yields[k % Math.max(1, pl.yields.length)]) await new Promise((r) => setImmediate(r));
          }
          for (let i = 0; i < n; i++) {
            const sp = pl.streams[i]!;
            const c = cursor[i]!;
            for (; c.up < sp.up.length; c.up++) {
              opened[i]!.write(chunkBytes(i, 0, c.upOff, sp.up[c.up]!));
              c.upOff += sp.up[c.up]!;
            }
            for (; c.down < sp.down.length; c.down++) {
              accepted[i]!.write(chunkBytes(i, 1, c.downOff, sp.down[c.down]!));
              c.downOff += sp.down[c.down]!;
            }
            opened[i]!.end();
            accepted[i]!.end();
          }
          for (let i = 0; i < n; i++) {
            const c = cursor[i]!;
            const [atB, atA] = await Promise.all([results[i]!.atB, results[i]!.atA]);
            assert.equal(Buffer.compare(atB, chunkBytes(i, 0, 0, c.upOff)), 0, `stream ${i} upstream`);
            assert.equal(Buffer.compare(atA, chunkBytes(i, 1, 0, c.downOff)), 0, `stream ${i} downstream`);
          }
          assert.deepEqual([...a.listenerErrors, ...b.listenerErrors], []);
        } finally {
          ma.close('property run over');
          mb.close('property run over');
        }
      }),
      { numRuns: 150, timeout: 60_000 }, // a run that hangs fails on its own, generously: a loaded machine is slow
    );
  },
);
