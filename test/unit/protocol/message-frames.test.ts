/** Message frames: exact bytes, the limits at their edges, and strict decoding with the parser's own error. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeMessageFrame,
  encodeMessageFrame,
  MAX_IDS_PER_FRAME,
  MAX_MESSAGE_BODY_BYTES,
  MAX_MESSAGE_FRAME_BYTES,
  MESSAGE_OPEN_ARGS,
  MessageFrameError,
  messageOpenArgsProblem,
  topicProblem,
  ttlProblem,
  type MessageFrame,
} from '../../../src-main/protocol/message-frames.js';

const ID = '017f22e2-79b0-7cc3-98c4-dc0c0c07398f';
const ID_HEX = '017f22e279b07cc398c4dc0c0c07398f';
const ID2 = '017f22e2-79b0-7cc3-98c4-dc0c0c073990';

const isFrameError = (err: unknown) => err instanceof MessageFrameError;

test('MSG: version, type, id, flags, TTL, topic, body — byte for byte', () => {
  const bytes = encodeMessageFrame({
    type: 'msg',
    id: ID,
    topic: 'jobs',
    text: true,
    ttlMs: 60_000,
    body: Buffer.from('hi'),
  });
  assert.equal(bytes.toString('hex'), `0102${ID_HEX}01` + '0000ea60' + '04' + '6a6f6273' + '6869');
  const reply = encodeMessageFrame({
    type: 'msg',
    id: ID2,
    topic: 'a',
    text: false,
    ttlMs: 1000,
    replyTo: ID,
    error: true,
    body: Uint8Array.of(0, 255),
  });
  assert.equal(
    reply.toString('hex'),
    `0102${ID2.replaceAll('-', '')}06` + '000003e8' + '01' + '61' + ID_HEX + '00ff',
  );
  assert.deepEqual(decodeMessageFrame(reply), {
    type: 'msg',
    id: ID2,
    topic: 'a',
    text: false,
    ttlMs: 1000,
    replyTo: ID,
    error: true,
    body: Uint8Array.of(0, 255),
  });
});

test('receipts, HELLO, REFUSED, ROOM, RESUME, RESUMED', () => {
  assert.equal(encodeMessageFrame({ type: 'delivered', ids: [ID] }).toString('hex'), `01030001${ID_HEX}`);
  assert.equal(encodeMessageFrame({ type: 'read', ids: [ID] }).toString('hex'), `01040001${ID_HEX}`);
  assert.equal(encodeMessageFrame({ type: 'want-read', ids: [ID] }).toString('hex'), `01050001${ID_HEX}`);
  assert.equal(
    encodeMessageFrame({ type: 'hello', version: 1, maxBodyBytes: MAX_MESSAGE_BODY_BYTES }).toString('hex'),
    '01010100100000',
  );
  assert.equal(
    encodeMessageFrame({ type: 'refused', id: ID, code: 'INBOX_FULL', reason: 'full' }).toString('hex'),
    `0106${ID_HEX}000200046675 6c6c`.replaceAll(' ', ''),
  );
  assert.equal(encodeMessageFrame({ type: 'room' }).toString('hex'), '0107');
  assert.equal(encodeMessageFrame({ type: 'resume' }).toString('hex'), '0108');
  assert.equal(encodeMessageFrame({ type: 'resumed' }).toString('hex'), '0109');
  const frames: MessageFrame[] = [
    { type: 'hello', version: 1, maxBodyBytes: 5 },
    { type: 'delivered', ids: [ID, ID2] },
    { type: 'refused', id: ID, code: 'PERMISSION_DENIED', reason: 'b does not allow messages from a' },
    { type: 'room' },
  ];
  for (const f of frames) assert.deepEqual(decodeMessageFrame(encodeMessageFrame(f)), f);
});

test('a body of exactly 1 MiB travels; one byte more is refused on both ends, naming the limit', () => {
  const body = new Uint8Array(MAX_MESSAGE_BODY_BYTES).fill(7);
  const frame = encodeMessageFrame({
    type: 'msg',
    id: ID,
    topic: 'x'.repeat(64),
    text: false,
    ttlMs: 1000,
    replyTo: ID2,
    body,
  });
  assert.equal(frame.length, MAX_MESSAGE_FRAME_BYTES);
  assert.equal((decodeMessageFrame(frame) as { body: Uint8Array }).body.length, MAX_MESSAGE_BODY_BYTES);
  assert.throws(
    () =>
      encodeMessageFrame({
        type: 'msg',
        id: ID,
        topic: 't',
        text: false,
        ttlMs: 1000,
        body: new Uint8Array(MAX_MESSAGE_BODY_BYTES + 1),
      }),
    (err: unknown) =>
      isFrameError(err) && err.code === 'FRAME_TOO_LARGE' && /1 MiB/.test((err as Error).message),
  );
  const over = Buffer.concat([
    encodeMessageFrame({ type: 'msg', id: ID, topic: 't', text: false, ttlMs: 1000, body }),
    Buffer.alloc(1),
  ]);
  assert.throws(
    () => decodeMessageFrame(over),
    (err: unknown) => isFrameError(err) && /1 MiB/.test((err as Error).message),
  );
});

test('topics: 1 to 64 of letters, digits and . _ - / :, starting with a letter or digit', () => {
  for (const ok of ['default', 'a', 'jobs/build-1', 'x'.repeat(64), 'status:v2', '9.x_y'])
    assert.equal(topicProblem(ok), undefined, ok);
  for (const bad of ['', 'x'.repeat(65), '-x', 'a b', 'é', 'a\n', '/root'])
    assert.ok(topicProblem(bad), JSON.stringify(bad));
});

test('TTL: 1 s to 30 days', () => {
  assert.equal(ttlProblem(1000), undefined);
  assert.equal(ttlProblem(30 * 24 * 3600_000), undefined);
  assert.ok(ttlProblem(999), 'ttlProblem(999)');
  assert.ok(ttlProblem(30 * 24 * 3600_000 + 1), 'ttlProblem(30 * 24 * 3600_000 + 1)');
  assert.ok(ttlProblem(1.5e3 + 0.5), 'ttlProblem(1.5e3 + 0.5)');
});

test('receipt frames carry 1 to 4096 IDs', () => {
  const ids = Array.from({ length: MAX_IDS_PER_FRAME }, () => ID);
  assert.equal(encodeMessageFrame({ type: 'delivered', ids }).length, 4 + 16 * MAX_IDS_PER_FRAME);
  assert.throws(() => encodeMessageFrame({ type: 'delivered', ids: [...ids, ID] }), isFrameError);
  assert.throws(() => encodeMessageFrame({ type: 'read', ids: [] }), isFrameError);
  assert.throws(() => decodeMessageFrame(Buffer.from('01030000', 'hex')), isFrameError);
});

test('strict decoding: every malformed frame is a MessageFrameError that says what is wrong', () => {
  const msg = encodeMessageFrame({
    type: 'msg',
    id: ID,
    topic: 't',
    text: true,
    ttlMs: 1000,
    body: Buffer.from('ok'),
  });
  const cases: [string, Buffer, RegExp][] = [
    ['empty', Buffer.alloc(0), /too short/],
    ['other version', Buffer.from('0201', 'hex'), /version 2/],
    ['unknown type', Buffer.from('0163', 'hex'), /unknown message frame type 99/],
    ['ROOM with a byte more', Buffer.from('010700', 'hex'), /ROOM frame of 3 bytes/],
    ['not a UUIDv7', Buffer.from(msg).fill(0x40, 8, 9), /not a UUIDv7/],
    ['unknown flag', Buffer.from(msg).fill(0x09, 18, 19), /unknown flags/],
    ['TTL 0', Buffer.from(msg).fill(0, 19, 23), /time to live/],
    ['topic past the end', msg.subarray(0, 24), /topic runs past/],
    ['bad topic', Buffer.from(msg).fill(0x20, 24, 25), /topic/],
    ['text that is not UTF-8', Buffer.concat([msg.subarray(0, 25), Buffer.from([0xc3])]), /not UTF-8/],
    ['error without reply', Buffer.from(msg).fill(0x05, 18, 19), /must be a reply/],
    [
      'reason with a newline',
      Buffer.from(
        encodeMessageFrame({ type: 'refused', id: ID, code: 'EXPIRED', reason: 'ab' })
          .toString('latin1')
          .replace(/b$/, '\n'),
        'latin1',
      ),
      /control/,
    ],
  ];
  for (const [what, bytes, pattern] of cases) {
    assert.throws(
      () => decodeMessageFrame(bytes),
      (err: unknown) => isFrameError(err) && pattern.test((err as Error).message),
      what,
    );
  }
});

test('a refusal code this side does not know reads as UNSPECIFIED (codes are appended over time)', () => {
  const bytes = encodeMessageFrame({ type: 'refused', id: ID, code: 'EXPIRED', reason: '' });
  bytes.writeUInt16BE(999, 18);
  assert.deepEqual(decodeMessageFrame(bytes), { type: 'refused', id: ID, code: 'UNSPECIFIED', reason: '' });
});

test('OPEN arguments: exactly {"v":1}', () => {
  assert.equal(messageOpenArgsProblem(JSON.parse(JSON.stringify(MESSAGE_OPEN_ARGS))), undefined);
  for (const bad of [null, [], 'x', {}, { v: 2 }, { v: 1, extra: true }])
    assert.ok(messageOpenArgsProblem(bad), JSON.stringify(bad));
});
