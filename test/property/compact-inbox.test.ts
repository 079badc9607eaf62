/**
 * The `messages` event's rows under fast-check (messages/compact-inbox.ts, ADR 0122): for any inbox
 * entry and body, its row, written as JSON and read back, is the InboxMessage the `message` event
 * carries (messages-api.ts' inboxMessage) — the same fields, body, times and sender.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MessagesEventBuilder,
  inboxMessageOfRow,
  type MessagesEvent,
} from '../../src-main/messages/compact-inbox.js';
import { inboxMessage } from '../../src-main/messages/messages-api.js';
import type { InboxEntry } from '../../src-main/messages/inbox-entry.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

/** Times as the inbox holds them: ms, now and then with a fraction, up to the year 9999 and past it. */
const time = fc.oneof(
  fc.integer({ min: 0, max: 253_402_300_799_999 }),
  fc.double({ min: 0, max: 8.64e15, noNaN: true }),
  fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }),
);

const entry = fc.record(
  {
    id: fc.string({ maxLength: 40 }),
    from: fc.constantFrom('a'.repeat(64), 'b'.repeat(64), 'c'.repeat(64)),
    topic: fc.string({ maxLength: 64 }),
    text: fc.boolean(),
    ttlMs: fc.nat(),
    size: fc.nat(),
    sentAt: time,
    receivedAt: time,
    expiresAt: time,
    read: fc.boolean(),
    replyTo: fc.string({ maxLength: 40 }),
    error: fc.boolean(),
  },
  {
    requiredKeys: [
      'id',
      'from',
      'topic',
      'text',
      'ttlMs',
      'size',
      'sentAt',
      'receivedAt',
      'expiresAt',
      'read',
    ],
  },
) as fc.Arbitrary<InboxEntry>;

test('property: a `messages` event, through JSON, reads back as the `message` events of its messages, in order', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(entry, fc.uint8Array({ maxLength: 64 }), fc.string({ maxLength: 60 })), {
        minLength: 1,
        maxLength: 8,
      }),
      fc.string({ maxLength: 20 }),
      (messages, name) => {
        const named = (fingerprint: string) => ({ name: `${name}${fingerprint[0]}`, fingerprint });
        const builder = new MessagesEventBuilder(named);
        // A text message's body is UTF-8 text, as the inbox only marks such bodies text.
        const bodyOf = (e: InboxEntry, bytes: Uint8Array, text: string) =>
          e.text ? Buffer.from(text, 'utf8') : bytes;
        for (const [e, bytes, text] of messages) builder.add(e, e.from, bodyOf(e, bytes, text));
        const event = JSON.parse(JSON.stringify(builder.build())) as MessagesEvent;
        assert.equal(event.rows.length, messages.length, 'a row for each message');
        assert.equal(
          event.from.length,
          new Set(messages.map(([e]) => e.from)).size,
          'each sender named once',
        );
        event.rows.forEach((row, i) => {
          const [e, bytes, text] = messages[i]!;
          const read = inboxMessageOfRow(row, event);
          assert.deepEqual(
            read,
            inboxMessage(e, bodyOf(e, bytes, text), named),
            `the row ${JSON.stringify(row)}`,
          );
          assert.ok(row.length <= 11, 'a row has at most its eleven values');
        });
      },
    ),
    { numRuns: fuzzRuns() },
  );
});

test('a row naming no sender of its event reads as nothing', () => {
  const builder = new MessagesEventBuilder((fingerprint) => ({ name: 'b', fingerprint }));
  const e = {
    id: 'x',
    from: 'b'.repeat(64),
    topic: 't',
    text: true,
    sentAt: 0,
    receivedAt: 0,
    expiresAt: 0,
    read: false,
  };
  builder.add(e, e.from, Buffer.from('hi'));
  const event = builder.build();
  assert.equal(inboxMessageOfRow([5, ...event.rows[0]!.slice(1)] as never, event), undefined);
});
