import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isClawError } from '../../../src-main/core/errors.js';
import { RECORD_OVERHEAD, REKEY_AFTER_MS } from '../../../src-main/crypto/records.js';
import { openAll, sessionPair } from './e2e-fixtures.js';

const text = (s: string) => new TextEncoder().encode(s);
const decryptFailed = (pattern: RegExp) => (e: unknown) =>
  isClawError(e, 'DECRYPT_FAILED') && pattern.test(e.message);

describe('E2E records', () => {
  it('round-trip both ways with 17 bytes of overhead, empty frames included', () => {
    const { a, b } = sessionPair();
    for (const frame of [text(''), text('x'), new Uint8Array(65_600).fill(9)]) {
      const records = a.seal(frame);
      assert.equal(records.length, 1);
      assert.equal(records[0]!.length, frame.length + RECORD_OVERHEAD);
      assert.deepEqual(openAll(b, records), [frame]);
      assert.deepEqual(openAll(a, b.seal(frame)), [frame]);
    }
  });

  it('use a different key per direction: a record cannot be reflected to its sender', () => {
    const { a } = sessionPair();
    const record = a.seal(text('mine'))[0]!;
    assert.throws(() => a.open(record), decryptFailed(/record 0 failed authentication/));
  });

  it('fail on a tampered record, then stay failed', () => {
    const { a, b } = sessionPair();
    const record = a.seal(text('hello'))[0]!;
    record[2]! ^= 0x80;
    assert.throws(
      () => b.open(record),
      decryptFailed(/tampered with, replayed, reordered or a record was dropped/),
    );
    assert.ok(isClawError(b.failed, 'DECRYPT_FAILED'), "isClawError(b.failed, 'DECRYPT_FAILED')");
    const next = a.seal(text('next'))[0]!;
    assert.throws(() => b.open(next), decryptFailed(/^end-to-end channel already failed: /));
    assert.throws(() => b.seal(text('reply')), decryptFailed(/already failed/));
  });

  it('fail on a replayed record', () => {
    const { a, b } = sessionPair();
    const record = a.seal(text('once'))[0]!;
    b.open(record);
    assert.throws(() => b.open(record), decryptFailed(/record 1 failed/));
  });

  it('fail on reordered records', () => {
    const { a, b } = sessionPair();
    const first = a.seal(text('1'))[0]!;
    const second = a.seal(text('2'))[0]!;
    assert.throws(
      () => b.open(second),
      (e) => isClawError(e, 'DECRYPT_FAILED'),
    );
    assert.throws(() => b.open(first), decryptFailed(/already failed/), 'no recovery once failed');
  });

  it('fail when a record was dropped', () => {
    const { a, b } = sessionPair();
    a.seal(text('lost'));
    assert.throws(() => b.open(a.seal(text('after'))[0]!), decryptFailed(/record 0 failed/));
  });

  it('fail on truncated records, short ones with their own line', () => {
    const { a, b } = sessionPair();
    const record = a.seal(text('hello'))[0]!;
    assert.throws(() => b.open(record.subarray(0, record.length - 1)), decryptFailed(/record 0 failed/));
    assert.throws(
      () => sessionPair().b.open(new Uint8Array(16)),
      decryptFailed(/too short: 16 bytes, need at least 17/),
    );
  });

  it('fail under the keys of another session', () => {
    const one = sessionPair();
    const two = sessionPair();
    assert.throws(
      () => two.b.open(one.a.seal(text('x'))[0]!),
      (e) => isClawError(e, 'DECRYPT_FAILED'),
    );
  });

  it('update keys after the record limit, transparently to the reader', () => {
    const { a, b } = sessionPair({ rekeyAfterRecords: 4 });
    const frames = Array.from({ length: 20 }, (_, k) => text(`frame ${k}`));
    const records = frames.flatMap((f) => a.seal(f));
    // 3 data records per key, then a key update: 20 frames need 6 updates.
    assert.equal(records.length, 26);
    assert.deepEqual(openAll(b, records), frames);
    // The peer's direction is independent.
    assert.deepEqual(openAll(a, b.seal(text('back'))), [text('back')]);
  });

  it('update keys after the byte and time limits', () => {
    const bytes = sessionPair({ rekeyAfterBytes: 1000 });
    const big = new Uint8Array(600);
    const sealed = [bytes.a.seal(big), bytes.a.seal(big), bytes.a.seal(big)]; // 1200 bytes before the third
    assert.deepEqual(
      sealed.map((r) => r.length),
      [1, 1, 2],
    );
    assert.equal(sealed[2]![0]!.length, RECORD_OVERHEAD, 'the key update carries no content');
    assert.deepEqual(openAll(bytes.b, sealed.flat()), [big, big, big]);
    let now = 0;
    const timed = sessionPair({ now: () => now });
    const t0 = timed.a.seal(text('t0'));
    now = REKEY_AFTER_MS - 1;
    const t1 = timed.a.seal(text('t1'));
    now = REKEY_AFTER_MS;
    const t2 = timed.a.seal(text('t2'));
    assert.deepEqual([t0.length, t1.length, t2.length], [1, 1, 2]);
    assert.deepEqual(openAll(timed.b, [...t0, ...t1, ...t2]), [text('t0'), text('t1'), text('t2')]);
  });

  it('a key update record is bound to its position like any other', () => {
    const { a, b } = sessionPair({ rekeyAfterRecords: 2 });
    const first = a.seal(text('a'));
    const second = a.seal(text('b')); // [key update, data]
    assert.equal(second.length, 2);
    assert.deepEqual(openAll(b, first), [text('a')]);
    assert.throws(
      () => b.open(second[1]!),
      (e) => isClawError(e, 'DECRYPT_FAILED'),
      'data before its key update',
    );
  });

  it('refuse a peer that never updates its key', () => {
    const { a, b } = sessionPair({ maxRecordsPerKey: 3 });
    const records = [0, 1, 2, 3].flatMap(() => a.seal(text('z')));
    assert.equal(records.length, 4);
    openAll(b, records.slice(0, 3));
    assert.throws(
      () => b.open(records[3]!),
      (e) => isClawError(e, 'PROTOCOL') && /without a key update/.test(e.message),
    );
  });
  it('seal into headroom and from parts: the same records as sealing the joined frame', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 4 }),
        fc.integer({ min: 0, max: 16 }),
        (parts, headroom) => {
          const { a, b } = sessionPair({ rekeyAfterRecords: 3 });
          const joined = Buffer.concat(parts);
          for (let round = 0; round < 3; round++) {
            const records = a.seal(parts, headroom);
            for (const record of records) {
              assert.ok(
                record.length >= headroom + RECORD_OVERHEAD,
                'record.length >= headroom + RECORD_OVERHEAD',
              );
            }
            const opened = openAll(
              b,
              records.map((r) => r.subarray(headroom)),
            );
            assert.deepEqual(opened, [new Uint8Array(joined)]);
            // A plain seal after a headroom seal continues the same record sequence.
            assert.deepEqual(openAll(b, a.seal(joined)), [new Uint8Array(joined)]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a key update sealed with headroom leaves the headroom in front of both records', () => {
    const { a, b } = sessionPair({ rekeyAfterRecords: 2 });
    openAll(b, a.seal(text('first')));
    const records = a.seal([text('he'), text('llo')], 6);
    assert.equal(records.length, 2, '[key update, data]');
    assert.deepEqual(
      records.map((r) => r.length),
      [6 + RECORD_OVERHEAD, 6 + 5 + RECORD_OVERHEAD],
    );
    assert.deepEqual(
      openAll(
        b,
        records.map((r) => r.subarray(6)),
      ),
      [text('hello')],
    );
  });
});
