import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REFUSAL_CODES } from '../../../src-main/core/refusal-codes.js';
import { isClawError, type ErrorCode } from '../../../src-main/core/errors.js';
import {
  decodeFrame,
  encodeData,
  encodeFrame,
  FrameType,
  MAX_DATA_PAYLOAD,
  MAX_MUX_FRAME,
  MAX_OPEN_ARGS_BYTES,
  MAX_REASON_BYTES,
  MAX_SERVICE_NAME,
  type MuxFrame,
} from '../../../src-main/protocol/mux-frames.js';
import { MAX_LINK_FRAME } from '../../../src-main/transport/link.js';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

/** Byte-level fixtures: [description, frame, wire bytes]. docs/mux-protocol.md shows the same layouts. */
const FIXTURES: [string, MuxFrame, string][] = [
  [
    'OPEN',
    { type: FrameType.Open, streamId: 1, service: 'echo', args: { a: 1 } },
    '02 01 00000001 04 6563686f 7b2261223a317d',
  ],
  ['ACCEPT', { type: FrameType.Accept, streamId: 2 }, '02 02 00000002'],
  [
    'REJECT',
    { type: FrameType.Reject, streamId: 3, code: 'PERMISSION_DENIED', reason: 'no' },
    '02 03 00000003 0003 6e6f',
  ],
  ['DATA', { type: FrameType.Data, streamId: 5, payload: Buffer.from('hi') }, '02 04 00000005 6869'],
  ['WINDOW', { type: FrameType.Window, streamId: 7, increment: 65536 }, '02 05 00000007 00010000'],
  ['FIN', { type: FrameType.Fin, streamId: 9 }, '02 06 00000009'],
  [
    'RST',
    { type: FrameType.Rst, streamId: 0xfffffffe, code: 'CANCELLED', reason: 'x' },
    '02 07 fffffffe 000a 78',
  ],
  [
    'PING',
    { type: FrameType.Ping, streamId: 0, nonce: 0x0102030405060708n },
    '02 08 00000000 0102030405060708',
  ],
  [
    'PONG',
    { type: FrameType.Pong, streamId: 0, nonce: 0xffffffffffffffffn },
    '02 09 00000000 ffffffffffffffff',
  ],
  ['GOAWAY', { type: FrameType.GoAway, streamId: 0, reason: 'bye' }, '02 0a 00000000 627965'],
  ['ACKED', { type: FrameType.Acked, streamId: 3, offset: 0x0102030405 }, '02 0c 00000003 0000000102030405'],
];

for (const [name, frame, wire] of FIXTURES) {
  test(`${name} encodes to its fixture bytes and decodes back`, () => {
    assert.equal(Buffer.from(encodeFrame(frame)).toString('hex'), hex(wire).toString('hex'));
    const decoded = decodeFrame(hex(wire));
    if (decoded.type === FrameType.Data && frame.type === FrameType.Data) {
      assert.deepEqual(Buffer.from(decoded.payload), Buffer.from(frame.payload));
    } else {
      assert.deepEqual(decoded, frame);
    }
  });
}

test('ACKED refuses an offset over 2^53 − 1 and a body of the wrong size (BAD_FRAME)', () => {
  assert.throws(() => decodeFrame(hex('02 0c 00000003 0020000000000000')), /ACKED offset/);
  assert.throws(() => decodeFrame(hex('02 0c 00000003 00000001')), /ACKED body must be 8 bytes/);
  assert.throws(() => decodeFrame(hex('02 0c 00000000 0000000000000001')), /must not be 0/);
  assert.throws(() => encodeFrame({ type: FrameType.Acked, streamId: 1, offset: -1 }), /ACKED offset/);
});

test('the largest mux frame fits in a Link frame', () => {
  assert.ok(MAX_MUX_FRAME <= MAX_LINK_FRAME, `${MAX_MUX_FRAME} > ${MAX_LINK_FRAME}`);
  assert.equal(encodeData(1, new Uint8Array(MAX_DATA_PAYLOAD)).length, MAX_MUX_FRAME);
});

test('DATA payload decodes as a view into the received frame (no copy)', () => {
  // The agent encodes DATA into Buffer.allocUnsafe's memory and reads frames into Buffers: the payload
  // is then a Buffer view, which Readable.push takes without copying.
  const wire = encodeData(3, Buffer.from('payload'), (n) => Buffer.allocUnsafe(n));
  assert.ok(Buffer.isBuffer(wire), 'the agent’s allocator made the frame');
  const frame = decodeFrame(wire);
  assert.equal(frame.type, FrameType.Data);
  if (frame.type !== FrameType.Data) return;
  assert.equal(frame.payload.buffer, wire.buffer);
  assert.equal(frame.payload.byteOffset, wire.byteOffset + 6, 'a view after the header');
  assert.ok(Buffer.isBuffer(frame.payload), 'Buffer.isBuffer(frame.payload)');
  // In a page there is no Buffer: the same codec gives a Uint8Array view.
  const page = decodeFrame(encodeData(3, new TextEncoder().encode('payload')));
  assert.ok(page.type === FrameType.Data && !Buffer.isBuffer(page.payload), 'a plain view in a page');
});

function assertDecodeFails(wire: Uint8Array, code: ErrorCode, pattern: RegExp): void {
  assert.throws(
    () => decodeFrame(wire),
    (err: unknown) => isClawError(err, code) && pattern.test(err.message),
  );
}

const bigReason = Buffer.concat([hex('02 07 00000001 0000'), Buffer.alloc(MAX_REASON_BYTES + 1, 0x61)]);
const NEGATIVE: [string, Uint8Array, ErrorCode, RegExp][] = [
  ['empty', new Uint8Array(0), 'BAD_FRAME', /shorter than the 6-byte header/],
  ['5 bytes', hex('0104000000'), 'BAD_FRAME', /5 bytes is shorter/],
  ['version 1', hex('01 04 00000001 00'), 'BAD_FRAME', /version 1 is not supported/],
  ['type 0', hex('02 00 00000001'), 'BAD_FRAME', /unknown frame type 0/],
  ['type 11', hex('02 0b 00000001'), 'BAD_FRAME', /unknown frame type 11/],
  ['DATA on stream 0', hex('02 04 00000000 00'), 'BAD_FRAME', /DATA frame has stream ID 0; must not be 0/],
  [
    'PING on stream 1',
    hex('02 08 00000001 0000000000000000'),
    'BAD_FRAME',
    /PING frame has stream ID 1; must be 0/,
  ],
  ['DATA without payload', hex('02 04 00000001'), 'BAD_FRAME', /empty payload/],
  [
    'frame over the limit',
    new Uint8Array(MAX_MUX_FRAME + 1),
    'FRAME_TOO_LARGE',
    /65543 bytes, the limit is 65542/,
  ],
  ['ACCEPT with a body', hex('02 02 00000002 00'), 'BAD_FRAME', /ACCEPT body must be 0 bytes, got 1/],
  ['FIN with a body', hex('02 06 00000002 00'), 'BAD_FRAME', /FIN body must be 0 bytes/],
  ['WINDOW of 3 bytes', hex('02 05 00000001 000001'), 'BAD_FRAME', /WINDOW body must be 4 bytes, got 3/],
  ['WINDOW of 0', hex('02 05 00000001 00000000'), 'BAD_FRAME', /increment 0 .* outside 1\.\.2147483647/],
  ['WINDOW of 2^31', hex('02 05 00000001 80000000'), 'BAD_FRAME', /increment 2147483648/],
  ['PING of 7 bytes', hex('02 08 00000000 00000000000000'), 'BAD_FRAME', /PING body must be 8 bytes, got 7/],
  [
    'REJECT with invalid UTF-8',
    hex('02 03 00000001 0000 c3'),
    'BAD_FRAME',
    /REJECT reason is not valid UTF-8/,
  ],
  [
    'REJECT without its code',
    hex('02 03 00000001 00'),
    'BAD_FRAME',
    /REJECT body must start with a 2-byte code/,
  ],
  ['RST reason over the limit', bigReason, 'FRAME_TOO_LARGE', /RST reason is 257 bytes, the limit is 256/],
  ['OPEN without a name', hex('02 01 00000001 00 6e756c6c'), 'BAD_FRAME', /service name length of 0/],
  ['OPEN with a body shorter than its name', hex('02 01 00000001 05 6563686f'), 'BAD_FRAME', /length of 5/],
  ['OPEN with an upper-case name', hex('02 01 00000001 04 4563686f 6e756c6c'), 'BAD_FRAME', /"Echo"/],
  ['OPEN with a control character', hex('02 01 00000001 02 610a 6e756c6c'), 'BAD_FRAME', /"a\\n"/],
  ['OPEN without args', hex('02 01 00000001 04 6563686f'), 'BAD_FRAME', /not valid JSON/],
  [
    'OPEN with bad JSON',
    hex('02 01 00000001 04 6563686f 7b'),
    'BAD_FRAME',
    /"echo" on stream 1 are not valid JSON/,
  ],
  [
    'OPEN with bad UTF-8 args',
    hex('02 01 00000001 04 6563686f 22ff22'),
    'BAD_FRAME',
    /arguments is not valid UTF-8/,
  ],
];

for (const [name, wire, code, pattern] of NEGATIVE) {
  test(`decode rejects ${name} with ${code}`, () => assertDecodeFails(wire, code, pattern));
}

test('OPEN limits hold at their edges', () => {
  const name = 'a'.repeat(MAX_SERVICE_NAME);
  const okArgs = 'x'.repeat(MAX_OPEN_ARGS_BYTES - 2); // JSON string: two quotes + content
  const open = encodeFrame({ type: FrameType.Open, streamId: 1, service: name, args: okArgs });
  const back = decodeFrame(open);
  assert.equal(back.type === FrameType.Open && back.args, okArgs);
  const overName = Buffer.concat([hex('02 01 00000001 21'), Buffer.alloc(33, 0x61), Buffer.from('1')]);
  assertDecodeFails(overName, 'BAD_FRAME', /service name length of 33 \(need 1\.\.32\)/);
  const overArgs = Buffer.concat([hex('02 01 00000001 01 61'), Buffer.alloc(MAX_OPEN_ARGS_BYTES + 1, 0x20)]);
  assertDecodeFails(overArgs, 'FRAME_TOO_LARGE', /OPEN arguments are 8193 bytes, the limit is 8192/);
});

test('encode refuses bad arguments with BAD_ARGUMENT and a clear reason', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => encodeData(0, Buffer.from('x')), /stream ID 1\.\.4294967295, got 0/],
    [() => encodeData(1, new Uint8Array(0)), /DATA payload must be 1\.\.65536 bytes, got 0/],
    [() => encodeData(1, new Uint8Array(MAX_DATA_PAYLOAD + 1)), /got 65537/],
    [() => encodeFrame({ type: FrameType.Window, streamId: 1, increment: 0 }), /increment must be/],
    [() => encodeFrame({ type: FrameType.Open, streamId: 1, service: 'Bad', args: null }), /got "Bad"/],
    [
      () => encodeFrame({ type: FrameType.Open, streamId: 1, service: 'a', args: 1n }),
      /not JSON-serializable/,
    ],
    [
      () =>
        encodeFrame({
          type: FrameType.Open,
          streamId: 1,
          service: 'a',
          args: 'x'.repeat(MAX_OPEN_ARGS_BYTES),
        }),
      /8194 bytes of JSON, over the 8192-byte limit; send bulk data on the stream/,
    ],
    [() => encodeFrame({ type: FrameType.Ping, streamId: 0, nonce: -1n }), /nonce must be a u64/],
  ];
  for (const [run, pattern] of cases) {
    assert.throws(run, (err: unknown) => isClawError(err, 'BAD_ARGUMENT') && pattern.test(err.message));
  }
});

test('undefined args travel as null', () => {
  const frame = decodeFrame(
    encodeFrame({ type: FrameType.Open, streamId: 1, service: 'x', args: undefined }),
  );
  assert.equal(frame.type === FrameType.Open && frame.args, null);
});

test('long reasons are cut to the limit on a UTF-8 character boundary', () => {
  const reason = 'é'.repeat(200) + '!'; // 401 bytes
  const wire = encodeFrame({ type: FrameType.Rst, streamId: 1, code: 'UNSPECIFIED', reason });
  assert.equal(wire.length, 6 + 2 + MAX_REASON_BYTES); // header, code, reason
  const back = decodeFrame(wire);
  assert.equal(back.type === FrameType.Rst && back.reason, 'é'.repeat(128));
  const odd = encodeFrame({ type: FrameType.GoAway, streamId: 0, reason: 'a' + '€'.repeat(100) });
  const oddBack = decodeFrame(odd);
  assert.equal(oddBack.type === FrameType.GoAway && oddBack.reason, 'a' + '€'.repeat(85)); // 1 + 85×3 = 256
});

test('refusal codes: known ones round-trip; a value this side does not know reads as UNSPECIFIED', () => {
  for (const code of REFUSAL_CODES) {
    const back = decodeFrame(encodeFrame({ type: FrameType.Reject, streamId: 1, code, reason: 'r' }));
    assert.equal(back.type === FrameType.Reject && back.code, code);
  }
  const future = decodeFrame(hex('02 07 00000001 7fff 78'));
  assert.equal(future.type === FrameType.Rst && future.code, 'UNSPECIFIED');
});
