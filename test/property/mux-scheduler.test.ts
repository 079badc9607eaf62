/**
 * The mux's DATA scheduler (src-main/mux/send-queue.ts) under random writes, link backpressure and
 * flight-cap changes: every byte of every stream leaves in order, and while an interactive stream has
 * bytes waiting at most one bulk frame goes before its next frame (the bulk quantum).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SendQueue } from '../../src-main/mux/send-queue.js';
import { FakeGate, FakeStream, type SentFrame } from '../helpers/fake-schedulable.js';

const op = fc.oneof(
  fc.record({
    kind: fc.constant('write' as const),
    stream: fc.nat(),
    bytes: fc.integer({ min: 1, max: 200_000 }),
  }),
  fc.record({ kind: fc.constant('block' as const) }),
  fc.record({ kind: fc.constant('drain' as const) }),
  fc.record({ kind: fc.constant('gate' as const), state: fc.constantFrom('open', 'bulk-held', 'closed') }),
);

const plan = fc.record({
  streams: fc.array(
    fc.record({ interactive: fc.boolean(), frameBytes: fc.integer({ min: 1, max: 65_536 }) }),
    {
      minLength: 1,
      maxLength: 6,
    },
  ),
  ops: fc.array(op, { maxLength: 40 }),
  /** The link's verdict on each send in turn (false = above its mark), cycled. */
  verdicts: fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }),
});

function bytesFor(stream: number, offset: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (offset + i) * 7 + stream * 31;
  return b;
}

test('every byte leaves in order per stream; interactive waits behind at most one bulk frame', () => {
  fc.assert(
    fc.property(plan, ({ streams: specs, ops, verdicts }) => {
      const log: SentFrame[] = [];
      const streams: FakeStream[] = [];
      specs.forEach((s, i) =>
        streams.push(new FakeStream(i, s.interactive, s.frameBytes, log, () => streams)),
      );
      const gate = new FakeGate();
      let sends = 0;
      let linkFull = true; // until the end, the link takes what `verdicts` says
      const queue = new SendQueue<FakeStream>(() => !linkFull || verdicts[sends++ % verdicts.length]!, gate);
      const written = streams.map(() => 0);
      for (const o of ops) {
        if (o.kind === 'write') {
          const i = o.stream % streams.length;
          streams[i]!.write(bytesFor(i, written[i]!, o.bytes));
          written[i]! += o.bytes;
          queue.wake(streams[i]!);
        } else if (o.kind === 'block') queue.block();
        else if (o.kind === 'drain') queue.drain();
        else {
          gate.state = o.state;
          queue.resume();
        }
      }
      // Everything open again, the link takes all: whatever waited must now leave.
      gate.state = 'open';
      linkFull = false;
      queue.drain();

      streams.forEach((s, i) => {
        const sent = Buffer.concat(log.filter((f) => f.id === i).map((f) => f.payload));
        assert.equal(sent.length, written[i], `stream ${i}: bytes sent`);
        assert.ok(sent.equals(bytesFor(i, 0, written[i]!)), `stream ${i}: bytes in order`);
      });
      let bulkAhead = 0;
      for (const f of log) {
        if (f.interactive) bulkAhead = 0;
        else if (f.interactiveWaiting > 0) bulkAhead++;
        else bulkAhead = 0;
        assert.ok(bulkAhead <= 1, 'two bulk frames in a row while an interactive stream waited');
      }
    }),
    { numRuns: 300 },
  );
});
