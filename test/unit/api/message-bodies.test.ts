/**
 * The rules a client of the messages API keeps before and after a send (messages/client/message-bodies.ts): text
 * or base64 by the bytes, the 1 MiB limit at its edge and named, `--lines` splitting, replies by
 * replyTo, states that only move forward.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bodyBytes,
  bodyFromBytes,
  bodyParams,
  bodySize,
  checkBodySizes,
  isReplyTo,
  laterState,
  reached,
  failedState,
  splitLines,
} from '../../../src-main/messages/client/message-bodies.js';
import type { OutboxMessage } from '../../../src-main/messages/messages-contract.js';
import { MAX_MESSAGE_BODY_BYTES } from '../../../src-main/protocol/message-frames.js';

test('bytes that are UTF-8 go as text, others as base64; both come back as the same bytes', () => {
  assert.deepEqual(bodyFromBytes(Buffer.from('grüße\n')), { text: 'grüße\n' });
  const binary = Buffer.from([0xff, 0x00, 0xfe, 0x41]);
  const b = bodyFromBytes(binary);
  assert.deepEqual(b, { base64: binary.toString('base64') });
  assert.deepEqual(bodyBytes(b), binary);
  assert.deepEqual(bodyBytes({ text: 'grüße' }), Buffer.from('grüße'));
  // A program's string is text and its bytes are bytes, whatever they hold.
  assert.deepEqual(bodyParams('x'), { text: 'x' });
  assert.deepEqual(bodyParams(Buffer.from('x')), { base64: 'eA==' });
  // A subarray of a larger buffer: only its own bytes.
  const big = Buffer.from('abcdef');
  assert.deepEqual(bodyFromBytes(big.subarray(2, 4)), { text: 'cd' });
});

test('a body is counted in bytes once decoded: UTF-8 for text, the decoded length for base64', () => {
  assert.equal(bodySize({ text: 'é' }), 2);
  for (const n of [0, 1, 2, 3, 4, 5, 1000]) {
    assert.equal(bodySize({ base64: Buffer.alloc(n, 7).toString('base64') }), n, `${n} bytes`);
  }
});

test('1 MiB exactly is a body; one byte more is refused, naming the limit and which message', () => {
  checkBodySizes([{ text: 'x'.repeat(MAX_MESSAGE_BODY_BYTES) }]);
  checkBodySizes([{ base64: Buffer.alloc(MAX_MESSAGE_BODY_BYTES).toString('base64') }]);
  assert.throws(() => checkBodySizes([{ text: 'x'.repeat(MAX_MESSAGE_BODY_BYTES + 1) }]), {
    code: 'BAD_ARGUMENT',
    message: `the message is ${MAX_MESSAGE_BODY_BYTES + 1} bytes; a message body is at most 1 MiB (1048576 bytes): nothing was queued`,
  });
  assert.throws(
    () =>
      checkBodySizes([
        { text: 'a' },
        { text: 'b' },
        { base64: Buffer.alloc(2 * MAX_MESSAGE_BODY_BYTES).toString('base64') },
      ]),
    /^ClawError: message 3 of 3 is 2097152 bytes; a message body is at most 1 MiB/,
  );
});

test('--lines: one body per line, \\r\\n ends a line too, a last line without a newline counts', () => {
  const lines = (s: string | Buffer) => splitLines(Buffer.from(s)).map((b) => b.toString('latin1'));
  assert.deepEqual(lines('a\nb\n'), ['a', 'b']);
  assert.deepEqual(lines('a\r\nb'), ['a', 'b']);
  assert.deepEqual(lines('one'), ['one']);
  assert.deepEqual(lines(''), []);
  assert.deepEqual(lines('\n\n'), ['', '']);
  assert.deepEqual(lines('x\ry\n'), ['x\ry'], 'a \\r inside a line stays');
  assert.deepEqual(lines(Buffer.from([0xff, 0x0a, 0x41])), ['\xff', 'A']);
  const many = Array.from({ length: 200 }, (_, i) => `${i + 1}`).join('\n') + '\n';
  assert.equal(splitLines(Buffer.from(many)).length, 200);
});

test('a reply is the message whose replyTo is the question; nothing else is', () => {
  const id = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
  assert.equal(isReplyTo({ replyTo: id }, id), true);
  assert.equal(isReplyTo({ replyTo: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c' }, id), false);
  assert.equal(isReplyTo({}, id), false);
});

test('states: read counts as delivered; refused and expired end a wait; a report never moves back', () => {
  assert.equal(reached('read', 'delivered'), true);
  assert.equal(reached('delivered', 'read'), false);
  assert.equal(reached('sent', 'delivered'), false);
  assert.equal(reached('refused', 'delivered'), false);
  assert.equal(failedState('refused'), true);
  assert.equal(failedState('expired'), true);
  assert.equal(failedState('queued'), false);
  const m = (state: OutboxMessage['state']) => ({ state }) as OutboxMessage;
  assert.equal(laterState(m('delivered'), m('sent')).state, 'delivered');
  assert.equal(laterState(m('sent'), m('read')).state, 'read');
  assert.equal(laterState(m('queued'), m('refused')).state, 'refused');
  assert.equal(laterState(m('refused'), m('queued')).state, 'refused');
  // A delivered receipt after a local expiry still counts (ADR 0046: the message is there).
  assert.equal(laterState(m('expired'), m('delivered')).state, 'delivered');
});
