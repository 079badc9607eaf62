/**
 * A session's input across lost streams (terminal/input-ledger.ts): for any typing, any window, any
 * point at which a stream dies with chunks still on the wire, and any part of them the serving session
 * took before it died, the session ends up with every byte typed exactly once, in order — when its
 * resumes say how much it took. A peer that does not say gives the in-flight bytes up, and is told
 * how many.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InputLedger } from '../../src-main/terminal/input-ledger.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 500);

type Step =
  | { kind: 'type'; bytes: number }
  | { kind: 'deliver'; chunks: number }
  | { kind: 'ack' }
  /** The stream dies after the session took `chunks` more of what was on the wire. */
  | { kind: 'lose'; chunks: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('type' as const), bytes: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant('deliver' as const), chunks: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant('ack' as const) }),
  fc.record({ kind: fc.constant('lose' as const), chunks: fc.integer({ min: 0, max: 4 }) }),
);

/** The serving session: what it took over all streams, and on the current one. */
class Session {
  taken: Buffer[] = [];
  total = 0;
  onStream = 0;
  take(chunk: Buffer): void {
    this.taken.push(chunk);
    this.total += chunk.length;
    this.onStream += chunk.length;
  }
}

test('property: every byte typed reaches the session once, in order, across any lost streams', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 60 }), fc.integer({ min: 1, max: 1000 }), (steps, window) => {
      const ledger = new InputLedger();
      const session = new Session();
      const typed: Buffer[] = [];
      let wire: Buffer[] = [];
      let counter = 0;
      const send = () => {
        for (let c = ledger.next(window); c; c = ledger.next(window)) wire.push(c);
      };
      for (const s of steps) {
        if (s.kind === 'type') {
          const bytes = Buffer.alloc(s.bytes);
          for (let i = 0; i < bytes.length; i++) bytes[i] = counter++ & 0xff;
          typed.push(bytes);
          ledger.enqueue(bytes);
        } else if (s.kind === 'deliver') {
          for (const c of wire.splice(0, s.chunks)) session.take(c);
        } else if (s.kind === 'ack') {
          assert.ok(ledger.ack(session.onStream), 'ledger.ack(session.onStream)');
        } else {
          for (const c of wire.splice(0, s.chunks)) session.take(c);
          wire = [];
          assert.equal(ledger.resumed(session.total), 0, 'nothing is given up');
          session.onStream = 0;
        }
        send();
        assert.ok(ledger.inFlight < window + 300, 'the flight stays within the window and one chunk');
      }
      // The path holds from here on: what waits goes, window by window.
      do {
        for (const c of wire.splice(0)) session.take(c);
        assert.ok(ledger.ack(session.onStream), 'ledger.ack(session.onStream)');
        send();
      } while (wire.length > 0);
      assert.equal(ledger.waiting, 0);
      assert.equal(ledger.inFlight, 0);
      assert.deepEqual(Buffer.concat(session.taken), Buffer.concat(typed));
    }),
    { numRuns: RUNS },
  );
});

test('a peer that does not count: what was in flight is given up and counted, what waited still goes', () => {
  const ledger = new InputLedger();
  ledger.enqueue(Buffer.from('abc'));
  assert.deepEqual(ledger.next(2), Buffer.from('abc'));
  ledger.enqueue(Buffer.from('de'));
  assert.equal(ledger.next(2), undefined, 'the window is full');
  assert.ok(ledger.ack(1), 'ledger.ack(1)');
  assert.equal(ledger.resumed(undefined), 2);
  assert.deepEqual(ledger.next(10), Buffer.from('de'));
  // Its numbering is not known from here on: a count that turns up later cannot place the bytes.
  assert.equal(ledger.resumed(7), 2);
  assert.equal(ledger.waiting, 0);
});

test('an ACK past what was sent on the stream is refused; a count that does not fit gives the flight up', () => {
  const ledger = new InputLedger();
  ledger.enqueue(Buffer.from('abcd'));
  ledger.next(100);
  assert.equal(ledger.ack(5), false);
  assert.ok(ledger.ack(1), 'ledger.ack(1)');
  // The session claims more than was ever sent: nothing can be placed.
  assert.equal(ledger.resumed(9), 3);
  assert.equal(ledger.waiting, 0);
});

test('after this agent restarted: the first count is the start, nothing is sent again', () => {
  const ledger = new InputLedger();
  ledger.startOver();
  assert.equal(ledger.resumed(1234), 0);
  ledger.enqueue(Buffer.from('x'));
  ledger.next(10);
  // The next loss is counted from 1234: the session took nothing more, so 'x' goes again.
  assert.equal(ledger.resumed(1234), 0);
  assert.deepEqual(ledger.next(10), Buffer.from('x'));
});
