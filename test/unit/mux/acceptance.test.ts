/**
 * Acceptance test for the mux (architecture.md §Mux): 100 concurrent streams × 1 MiB over the in-memory link pair,
 * random write chunk sizes, one deliberately slow reader. Every byte must arrive exactly once and in
 * order (SHA-256 and length per stream, checked on the receiver and echoed back over the same stream),
 * and the measured maxima must respect the constants: bytes delivered to a stream but not yet read by the
 * application ≤ that stream's advertised receive window at that moment (auto-tuning may grow the window
 * of a fast reader, never of the slow one, and never beyond MAX_AUTO_STREAM_WINDOW); bytes the application handed a stream but not yet framed ≤ the stream's
 * high-water mark + one chunk; bytes queued on the link ≤ its high-water mark + one frame + control.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Mux, type MuxStream } from '../../../src-main/mux/mux.js';
import { MAX_AUTO_STREAM_WINDOW, STREAM_WRITE_HIGH_WATER } from '../../../src-main/mux/constants.js';
import {
  decodeFrame,
  FrameType,
  INITIAL_STREAM_WINDOW,
  MAX_DATA_PAYLOAD,
  MAX_MUX_FRAME,
} from '../../../src-main/protocol/mux-frames.js';
import { createLinkPair } from '../../helpers/link-pair.js';
import { readAll } from './mux-fixtures.js';
import { sleep, until } from '../../helpers/wait.js';

const STREAMS = 100;
const BYTES_PER_STREAM = 1024 * 1024;
const MAX_CHUNK = 3 * MAX_DATA_PAYLOAD; // writes both smaller and larger than one DATA frame
const LINK_HWM = 256 * 1024;
const SLOW = 37; // index of the slow reader
/** Slack for control frames (WINDOW, PING, FIN: ≤ 14 bytes each) queued beside DATA. */
const CONTROL_SLACK = 4096;

/** mulberry32: a tiny seeded PRNG so a failure can be replayed with MUX_SEED=<seed>. */
function prng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = Math.imul(t ^ (t >>> 15), 1 | t);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
test(
  '100 streams × 1 MiB, random chunks, one slow reader: exact bytes, bounded buffers',
  { timeout: 30_000 },
  async () => {
    const seed = Number(process.env.MUX_SEED ?? Date.now() % 2 ** 31);
    const rand = prng(seed);
    const ctx = `(MUX_SEED=${seed})`;
    const started = performance.now();

    const { a, b } = createLinkPair({ highWaterMark: LINK_HWM });
    // Tap on the receiving link, registered before the mux: counts DATA bytes as they arrive.
    const delivered = new Map<number, number>();
    const consumed = new Map<number, number>();
    const maxBuffered = new Map<number, number>();
    /** Receiving streams by id, so the tap can read each one's advertised window as DATA arrives. */
    const receiving = new Map<number, MuxStream>();
    const overWindow: string[] = [];
    let maxWindowGrant = 0;
    b.onFrame((bytes) => {
      const f = decodeFrame(bytes);
      if (f.type !== FrameType.Data) return;
      const d = (delivered.get(f.streamId) ?? 0) + f.payload.length;
      delivered.set(f.streamId, d);
      const buffered = d - (consumed.get(f.streamId) ?? 0);
      if (buffered > (maxBuffered.get(f.streamId) ?? 0)) maxBuffered.set(f.streamId, buffered);
      // Strict: against the window this stream advertised, as the frame arrives (before the mux sees it).
      const window = receiving.get(f.streamId)?.receiveWindowSize ?? 0;
      if (buffered > window) overWindow.push(`stream ${f.streamId} buffered ${buffered} > window ${window}`);
    });
    a.onFrame((bytes) => {
      const f = decodeFrame(bytes);
      if (f.type === FrameType.Window) maxWindowGrant = Math.max(maxWindowGrant, f.increment);
    });

    const received = new Map<number, { digest: string; length: number; maxReadable: number }>();
    const receivers: Promise<void>[] = [];
    let acceptedCount = 0;
    const note = (r: MuxStream, n: number) => consumed.set(r.id, (consumed.get(r.id) ?? 0) + n);

    const receive = async (r: MuxStream, slow: boolean): Promise<void> => {
      const hash = createHash('sha256');
      let length = 0;
      let maxReadable = 0;
      if (!slow) {
        r.on('data', (c: Buffer) => {
          note(r, c.length);
          hash.update(c);
          length += c.length;
        });
        await once(r, 'end');
      } else {
        let ended = false;
        r.once('end', () => (ended = true));
        // The window is filled before the first read, whatever the machine's load: the test is that
        // the sender stops at the window, not that it outruns a reader that paces itself by the clock.
        await until(
          "the sender to fill the slow reader's window",
          () => ended || (maxBuffered.get(r.id) ?? 0) > INITIAL_STREAM_WINDOW - MAX_DATA_PAYLOAD,
          60_000,
        );
        // Paused mode: a few KiB every millisecond or two.
        for (let turns = 0; !ended; turns++) {
          assert.ok(turns < 20_000, `slow reader stuck ${ctx}`);
          await sleep(1 + Math.floor(rand() * 2), 'the slow reader: a pause between reads');
          maxReadable = Math.max(maxReadable, r.readableLength);
          const want = Math.min(r.readableLength, 1 + Math.floor(rand() * 8192));
          const c = want > 0 ? r.read(want) : r.read();
          if (c) {
            note(r, c.length);
            hash.update(c);
            length += c.length;
          }
        }
      }
      const digest = hash.digest('hex');
      received.set(r.id, { digest, length, maxReadable });
      r.end(digest); // half-close the other way: the opener reads the digest back
    };

    const ma = new Mux(a);
    const mb = new Mux(b, {
      onStream: (req) => {
        const r = req.accept();
        receiving.set(r.id, r);
        receivers.push(receive(r, (req.args as { index: number }).index === SLOW));
        acceptedCount++;
      },
    });

    const payloads = Array.from({ length: STREAMS }, () => randomBytes(BYTES_PER_STREAM));
    const streams = await Promise.all(payloads.map((_, index) => ma.open('sink', { index })));
    let maxWritable = 0;
    const senders = streams.map(async (s, index) => {
      const body = payloads[index]!;
      let offset = 0;
      while (offset < body.length) {
        const size = Math.min(body.length - offset, 1 + Math.floor(rand() * MAX_CHUNK));
        const ok = s.write(body.subarray(offset, offset + size));
        offset += size;
        maxWritable = Math.max(maxWritable, s.writableLength);
        if (!ok) await once(s, 'drain');
      }
      s.end();
      return (await readAll(s, 25_000)).toString();
    });
    const echoed = await Promise.all(senders);
    await Promise.all(receivers);
    const elapsed = performance.now() - started;

    // Exactly once, in order: length and SHA-256 on the receiver, and the digest came back intact.
    assert.equal(acceptedCount, STREAMS);
    for (const [index, s] of streams.entries()) {
      const want = sha256(payloads[index]!);
      const got = received.get(s.id);
      assert.ok(got, `stream ${s.id} never finished ${ctx}`);
      assert.equal(got.length, BYTES_PER_STREAM, `stream ${s.id} length ${ctx}`);
      assert.equal(got.digest, want, `stream ${s.id} content ${ctx}`);
      assert.equal(echoed[index], want, `stream ${s.id} echoed digest ${ctx}`);
      assert.equal(s.bytesOut, BYTES_PER_STREAM);
      assert.equal(s.bytesIn, 64);
    }

    // Receive side: nothing buffered beyond each stream's advertised window, no window beyond the cap,
    // and the slow reader kept the initial window and really filled it.
    assert.deepEqual(overWindow, [], ctx);
    for (const [id, max] of maxBuffered) {
      const window = receiving.get(id)!.receiveWindowSize;
      assert.ok(window <= MAX_AUTO_STREAM_WINDOW, `stream ${id} window ${window} ${ctx}`);
      assert.ok(max <= window, `stream ${id} buffered ${max} > ${window} ${ctx}`);
    }
    const slowId = streams[SLOW]!.id;
    const slowMax = maxBuffered.get(slowId) ?? 0;
    assert.equal(
      receiving.get(slowId)!.receiveWindowSize,
      INITIAL_STREAM_WINDOW,
      `slow reader's window ${ctx}`,
    );
    assert.ok(
      slowMax > INITIAL_STREAM_WINDOW - MAX_DATA_PAYLOAD,
      `slow reader only buffered ${slowMax} ${ctx}`,
    );
    assert.ok(slowMax <= INITIAL_STREAM_WINDOW, `slow reader buffered ${slowMax} ${ctx}`);
    assert.ok(
      received.get(slowId)!.maxReadable <= INITIAL_STREAM_WINDOW,
      'received.get(slowId)!.maxReadable <= INITIAL_STREAM_WINDOW',
    );
    assert.ok(maxWindowGrant <= MAX_AUTO_STREAM_WINDOW, `a WINDOW granted ${maxWindowGrant}`);

    // Send side: the application's queue per stream and the link's queue stay bounded.
    assert.ok(maxWritable <= STREAM_WRITE_HIGH_WATER + MAX_CHUNK, `writable ${maxWritable} ${ctx}`);
    const linkBound = LINK_HWM + MAX_MUX_FRAME + CONTROL_SLACK;
    assert.ok(
      a.stats.maxQueuedBytes <= linkBound,
      `link queued ${a.stats.maxQueuedBytes} > ${linkBound} ${ctx}`,
    );
    assert.ok(a.stats.refusals > 0, 'the link pushed back at least once');
    assert.deepEqual([...a.listenerErrors, ...b.listenerErrors], []);
    assert.equal(ma.streamCount + mb.streamCount, 0, 'every stream finished and was forgotten');

    assert.ok(elapsed < 20_000, `took ${Math.round(elapsed)} ms`);
    ma.close('done');
    mb.close('done');
  },
);
