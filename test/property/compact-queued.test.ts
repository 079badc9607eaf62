/**
 * `messages.sendMany`'s compact answer under fast-check (messages/compact-queued.ts, ADR 0113): for
 * any outbox entry, its row, written as JSON and read back, is the OutboxMessage the full answer
 * gives (messages-api.ts' outboxMessage) — the same fields, times and peer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compactRow, outboxMessageOfRow } from '../../src-main/messages/compact-queued.js';
import { outboxMessage } from '../../src-main/messages/messages-api.js';
import type { OutboxEntry } from '../../src-main/messages/outbox-entry.js';
import { MESSAGE_REFUSAL_CODES } from '../../src-main/protocol/message-frames.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

/** Times as the outbox holds them: ms, now and then with a fraction, up to the year 9999 and past it. */
const time = fc.oneof(
  fc.integer({ min: 0, max: 253_402_300_799_999 }),
  fc.double({ min: 0, max: 8.64e15, noNaN: true }),
  fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }),
);

const entry = fc.record(
  {
    id: fc.string({ maxLength: 40 }),
    peer: fc.stringMatching(/^[0-9a-f]{64}$/),
    topic: fc.string({ maxLength: 64 }),
    size: fc.nat(),
    text: fc.boolean(),
    state: fc.constantFrom('queued', 'sent', 'delivered', 'read', 'expired', 'refused'),
    why: fc.record({ code: fc.constantFrom(...MESSAGE_REFUSAL_CODES), reason: fc.string({ maxLength: 80 }) }),
    sentAt: time,
    stateAt: time,
    expiresAt: time,
    replyTo: fc.string({ maxLength: 40 }),
  },
  { requiredKeys: ['id', 'peer', 'topic', 'size', 'text', 'state', 'sentAt', 'stateAt', 'expiresAt'] },
) as fc.Arbitrary<OutboxEntry>;

test('property: a compact row, through JSON, reads back as the full answer’s OutboxMessage', () => {
  fc.assert(
    fc.property(entry, fc.string({ maxLength: 20 }), (e, name) => {
      const named = (fingerprint: string) => ({ name, fingerprint });
      const row = JSON.parse(JSON.stringify(compactRow(e))) as ReturnType<typeof compactRow>;
      const read = outboxMessageOfRow(row, named(e.peer));
      assert.deepEqual(read, outboxMessage(e, named), `the row ${JSON.stringify(row)}`);
      assert.ok(row.length <= 9, 'a row has at most its nine values');
    }),
    { numRuns: fuzzRuns() },
  );
});
