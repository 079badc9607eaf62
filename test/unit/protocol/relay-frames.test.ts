/** Relay frames: byte-level fixtures for every type, round trips, and each way a frame can be wrong. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isClawError } from '../../../src-main/core/errors.js';
import { RelayCloseCode } from '../../../src-main/protocol/relay-close-codes.js';
import {
  DATA_HEADER_BYTES,
  decodeRelayFrame,
  encodeDataFrame,
  encodeRelayFrame,
  fitReason,
  MAX_REASON_BYTES,
  RELAY_FEATURE_SPLICE,
  relayFeatures,
  RelayFrameError,
  rewriteCircuitId,
  SPLICE_TOKEN_BYTES,
  writeDataHeader,
  type RelayFrame,
} from '../../../src-main/protocol/relay-frames.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const rep = (byte: string, n: number) => byte.repeat(n);

/** Each frame with its exact bytes (version 01, type, big-endian fields). */
const fixtures: [RelayFrame, string][] = [
  [
    { type: 'challenge', nonce: new Uint8Array(32).fill(0x11), maxFrameBytes: 1024 * 1024, relayInfo: 'abc' },
    `01 01 ${rep('11', 32)} 00100000 03 616263`,
  ],
  [
    { type: 'hello', certDer: Uint8Array.of(1, 2, 3), signature: new Uint8Array(64).fill(0x5a), token: 'th' },
    `01 02 0003 010203 ${rep('5a', 64)} 02 7468`,
  ],
  [
    { type: 'auth-ok', nodeId: rep('bb', 32), circuitsPerNode: 256, idleTimeoutMs: 120_000 },
    `01 03 ${rep('bb', 32)} 00000100 0001d4c0`,
  ],
  [
    {
      type: 'hello',
      certDer: Uint8Array.of(1, 2, 3),
      signature: new Uint8Array(64).fill(0x5a),
      token: 'th',
      wantsObserved: true,
    },
    `01 02 0003 010203 ${rep('5a', 64)} 02 7468 01`,
  ],
  [
    {
      type: 'auth-ok',
      nodeId: rep('bb', 32),
      circuitsPerNode: 256,
      idleTimeoutMs: 120_000,
      observed: { address: '11.2.0.2', port: 40001 },
    },
    `01 03 ${rep('bb', 32)} 00000100 0001d4c0 08 31312e322e302e32 9c41`,
  ],
  [
    {
      type: 'auth-ok',
      nodeId: rep('bb', 32),
      circuitsPerNode: 1,
      idleTimeoutMs: 2,
      observed: { address: '2001:db8::1', port: 443 },
    },
    `01 03 ${rep('bb', 32)} 00000001 00000002 0b 323030313a6462383a3a31 01bb`,
  ],
  [{ type: 'open', circuitId: 7, target: rep('aa', 32) }, `01 10 00000007 ${rep('aa', 32)}`],
  [{ type: 'open-ok', circuitId: 5 }, '01 11 00000005'],
  [{ type: 'incoming', circuitId: 0x80000001, source: rep('cc', 32) }, `01 12 80000001 ${rep('cc', 32)}`],
  [{ type: 'data', circuitId: 1, payload: Buffer.from('hi') }, '01 13 00000001 6869'],
  [{ type: 'data', circuitId: 1, payload: new Uint8Array(0) }, '01 13 00000001'],
  [
    { type: 'close', circuitId: 2, code: RelayCloseCode.PEER_OFFLINE, reason: 'peer offline' },
    '01 14 00000002 0fbf 0c 70656572206f66666c696e65',
  ],
  [
    { type: 'splice', circuitId: 0x80000003, token: new Uint8Array(32).fill(0x5c) },
    `01 15 80000003 ${rep('5c', 32)}`,
  ],
  [{ type: 'listen', alias: rep('dd', 32), listen: true }, `01 20 ${rep('dd', 32)} 01`],
  [{ type: 'listen-tag', tag: 'K7QX', listen: true }, '01 21 01 4b375158'],
  [{ type: 'listen-tag', tag: 'K7QX', listen: false }, '01 21 00 4b375158'],
];

/** Compares decoded frames with byte fields as plain arrays (decoders return views). */
function plain(f: RelayFrame): Record<string, unknown> {
  return Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v instanceof Uint8Array ? [...v] : v]));
}

test('every frame type encodes to its fixture bytes and decodes back', () => {
  for (const [frame, bytes] of fixtures) {
    assert.equal(
      Buffer.from(encodeRelayFrame(frame)).toString('hex'),
      hex(bytes).toString('hex'),
      frame.type,
    );
    assert.deepEqual(plain(decodeRelayFrame(hex(bytes))), plain(frame), frame.type);
  }
});

test('encodeDataFrame and rewriteCircuitId touch only the header', () => {
  const frame = encodeDataFrame(9, Buffer.from('payload'));
  rewriteCircuitId(frame, 0x80000002);
  assert.equal(
    Buffer.from(frame).toString('hex'),
    hex('01 13 80000002').toString('hex') + Buffer.from('payload').toString('hex'),
  );
  // Works on a view into a larger buffer too (ws hands out such views).
  const big = Buffer.concat([Buffer.from('xx'), encodeDataFrame(1, Uint8Array.of(7))]);
  const view = big.subarray(2);
  rewriteCircuitId(view, 3);
  assert.deepEqual(plain(decodeRelayFrame(view)), { type: 'data', circuitId: 3, payload: [7] });
  assert.equal(big.subarray(0, 2).toString(), 'xx');
});

test('writeDataHeader turns a buffer with payload after the header into the same frame as encodeDataFrame', () => {
  const payload = Buffer.from('sealed record');
  const buf = Buffer.alloc(DATA_HEADER_BYTES + payload.length, 0xee);
  payload.copy(buf, DATA_HEADER_BYTES);
  writeDataHeader(buf, 0x80000007);
  assert.deepEqual(buf, Buffer.from(encodeDataFrame(0x80000007, payload)));
  // A view into a larger buffer: only the view's first DATA_HEADER_BYTES are written.
  const big = Buffer.alloc(4 + DATA_HEADER_BYTES + 1, 0xaa);
  writeDataHeader(big.subarray(4), 5);
  assert.equal(big.toString('hex'), `aaaaaaaa${hex('01 13 00000005').toString('hex')}aa`);
  assert.deepEqual(plain(decodeRelayFrame(big.subarray(4))), { type: 'data', circuitId: 5, payload: [0xaa] });
  for (const [bytes, id] of [
    [Buffer.alloc(DATA_HEADER_BYTES - 1), 1],
    [Buffer.alloc(DATA_HEADER_BYTES), -1],
    [Buffer.alloc(DATA_HEADER_BYTES), 2 ** 32],
  ] as const) {
    assert.throws(
      () => writeDataHeader(bytes, id),
      (err: unknown) => isClawError(err, 'BAD_ARGUMENT'),
    );
  }
});

/** Asserts decoding fails as a RelayFrameError with this close code and message pattern. */
function rejects(bytes: Uint8Array, closeCode: number, message: RegExp, max?: number): void {
  assert.throws(
    () => decodeRelayFrame(bytes, max),
    (err: unknown) => {
      assert.ok(err instanceof RelayFrameError, String(err));
      assert.equal(err.closeCode, closeCode);
      assert.match(err.message, message);
      return true;
    },
  );
}

test('decode errors carry the close code the relay answers with', () => {
  rejects(hex(''), RelayCloseCode.MALFORMED_FRAME, /0 bytes is shorter than the header/);
  rejects(hex('01'), RelayCloseCode.MALFORMED_FRAME, /shorter than the header/);
  rejects(
    hex('02 13 00000001'),
    RelayCloseCode.UNSUPPORTED_VERSION,
    /unsupported relay protocol version 2 \(this build speaks 1\)/,
  );
  rejects(hex('01 7f'), RelayCloseCode.UNKNOWN_FRAME_TYPE, /unknown relay frame type 0x7f/);
  rejects(hex('01 13 000001'), RelayCloseCode.MALFORMED_FRAME, /DATA is truncated at circuit id/);
  rejects(
    hex('01 11 00000005 00'),
    RelayCloseCode.MALFORMED_FRAME,
    /OPEN_OK has 1 unexpected trailing bytes/,
  );
  rejects(
    hex(`01 10 00000007 ${rep('aa', 31)}`),
    RelayCloseCode.MALFORMED_FRAME,
    /OPEN is truncated at target/,
  );
  rejects(hex('01 02 0000'), RelayCloseCode.MALFORMED_FRAME, /certificate length 0 is outside 1..4096/);
  rejects(hex('01 02 1001'), RelayCloseCode.MALFORMED_FRAME, /certificate length 4097/);
  rejects(
    hex(`01 02 0001 01 ${rep('00', 64)} 01 ff`),
    RelayCloseCode.MALFORMED_FRAME,
    /HELLO token is not valid UTF-8/,
  );
  rejects(hex('01 14 00000001 03e8 7c'), RelayCloseCode.MALFORMED_FRAME, /reason length 124 exceeds 123/);
  // HELLO's flags byte: only the observed-address flag is defined, and the byte is there only with it.
  rejects(
    hex(`01 02 0001 01 ${rep('00', 64)} 00 00`),
    RelayCloseCode.MALFORMED_FRAME,
    /HELLO flags 0x0 are not known/,
  );
  rejects(
    hex(`01 02 0001 01 ${rep('00', 64)} 00 03`),
    RelayCloseCode.MALFORMED_FRAME,
    /HELLO flags 0x3 are not known/,
  );
  rejects(
    hex(`01 02 0001 01 ${rep('00', 64)} 00 01 01`),
    RelayCloseCode.MALFORMED_FRAME,
    /HELLO has 1 unexpected/,
  );
  // AUTH_OK's observed address: IP characters only, bounded, then a port.
  const authOk = `01 03 ${rep('bb', 32)} 00000001 00000002`;
  rejects(
    hex(`${authOk} 2e ${rep('31', 46)} 0001`),
    RelayCloseCode.MALFORMED_FRAME,
    /observed address of 46 bytes/,
  );
  rejects(hex(`${authOk} 03 3c623e 0001`), RelayCloseCode.MALFORMED_FRAME, /is not an IP address/);
  rejects(hex(`${authOk} 02 3a3a 00`), RelayCloseCode.MALFORMED_FRAME, /truncated at observed port/);
  rejects(hex(`${authOk} 04`), RelayCloseCode.MALFORMED_FRAME, /truncated at observed address/);
  rejects(hex('01 13 00000001 0000'), RelayCloseCode.FRAME_TOO_LARGE, /8 bytes exceeds the limit of 7/, 7);
});

test('decode errors are ClawErrors with stable codes', () => {
  const cases: [string, string][] = [
    ['01', 'BAD_FRAME'],
    ['09 01', 'PROTOCOL'],
    ['01 99', 'PROTOCOL'],
  ];
  for (const [bytes, code] of cases) {
    assert.throws(
      () => decodeRelayFrame(hex(bytes)),
      (err) => isClawError(err, code as 'BAD_FRAME'),
    );
  }
});

test('encoding refuses out-of-range fields with BAD_ARGUMENT', () => {
  const bad: RelayFrame[] = [
    { type: 'open', circuitId: -1, target: rep('aa', 32) },
    { type: 'open', circuitId: 2 ** 32, target: rep('aa', 32) },
    { type: 'open', circuitId: 1, target: 'AA'.repeat(32) },
    { type: 'open-ok', circuitId: 1.5 },
    { type: 'close', circuitId: 1, code: 70000, reason: '' },
    { type: 'close', circuitId: 1, code: 1000, reason: 'x'.repeat(124) },
    { type: 'hello', certDer: new Uint8Array(0), signature: new Uint8Array(64), token: '' },
    { type: 'hello', certDer: Uint8Array.of(1), signature: new Uint8Array(63), token: '' },
    { type: 'hello', certDer: Uint8Array.of(1), signature: new Uint8Array(64), token: 'é'.repeat(128) },
    { type: 'challenge', nonce: new Uint8Array(31), maxFrameBytes: 1, relayInfo: '' },
    { type: 'splice', circuitId: -1, token: new Uint8Array(32) },
    { type: 'splice', circuitId: 2 ** 32, token: new Uint8Array(32) },
    {
      type: 'auth-ok',
      nodeId: rep('bb', 32),
      circuitsPerNode: 1,
      idleTimeoutMs: 1,
      observed: { address: 'x', port: 1 },
    },
    {
      type: 'auth-ok',
      nodeId: rep('bb', 32),
      circuitsPerNode: 1,
      idleTimeoutMs: 1,
      observed: { address: '::1', port: 65536 },
    },
  ];
  for (const frame of bad)
    assert.throws(
      () => encodeRelayFrame(frame),
      (err) => isClawError(err, 'BAD_ARGUMENT'),
      JSON.stringify(frame),
    );
});

test('fitReason keeps short reasons and cuts long ones on a character boundary', () => {
  assert.equal(fitReason('peer offline'), 'peer offline');
  const cut = fitReason('é'.repeat(100));
  assert.ok(Buffer.byteLength(cut) <= MAX_REASON_BYTES, 'Buffer.byteLength(cut) <= MAX_REASON_BYTES');
  assert.ok(cut.endsWith('…'), "cut.endsWith('…')");
  assert.doesNotThrow(() => encodeRelayFrame({ type: 'close', circuitId: 1, code: 1000, reason: cut }));
  assert.equal(Buffer.byteLength(fitReason('x'.repeat(123))), 123);
});

test('strings decode exactly: a leading byte-order mark stays part of the token', () => {
  const bytes = encodeRelayFrame({ type: 'close', circuitId: 1, code: 1000, reason: '\uFEFFx' });
  const decoded = decodeRelayFrame(bytes);
  assert.equal(decoded.type === 'close' && decoded.reason, '\uFEFFx');
  assert.deepEqual(encodeRelayFrame(decoded), bytes);
});

// ---- SPLICE ---------------------------------------------------------------------------------------------

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const spliceToken = fc.uint8Array({ minLength: SPLICE_TOKEN_BYTES, maxLength: SPLICE_TOKEN_BYTES });
const spliceFrame = fc.record({ type: fc.constant('splice' as const), circuitId: u32, token: spliceToken });

test('SPLICE is version, type 0x15, circuit id (u32 BE) and the 32-byte token, byte for byte', () => {
  const token = Uint8Array.from({ length: 32 }, (_, i) => i);
  assert.equal(
    Buffer.from(encodeRelayFrame({ type: 'splice', circuitId: 0x01020304, token })).toString('hex'),
    '0115' + '01020304' + '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
  );
});

test('any SPLICE frame decodes back to itself, and is 38 bytes long', () => {
  fc.assert(
    fc.property(spliceFrame, (frame) => {
      const bytes = encodeRelayFrame(frame);
      assert.equal(bytes.length, 2 + 4 + SPLICE_TOKEN_BYTES);
      assert.deepEqual(plain(decodeRelayFrame(bytes)), plain(frame));
    }),
  );
});

test('a SPLICE token of any length but 32 bytes is refused by the encoder with BAD_ARGUMENT', () => {
  for (const length of [0, 31, 33, 64]) {
    assert.throws(
      () => encodeRelayFrame({ type: 'splice', circuitId: 1, token: new Uint8Array(length) }),
      (err) => isClawError(err, 'BAD_ARGUMENT') && /splice token must be 32 bytes/.test(err.message),
      `${length}-byte token`,
    );
  }
});

test('a SPLICE cut short at any length is a malformed frame', () => {
  fc.assert(
    fc.property(spliceFrame, fc.nat({ max: 2 + 4 + SPLICE_TOKEN_BYTES - 1 }), (frame, length) => {
      const why =
        length < 2
          ? /shorter than the header/
          : length < 6
            ? /SPLICE is truncated at circuit id/
            : /SPLICE is truncated at token/;
      rejects(encodeRelayFrame(frame).subarray(0, length), RelayCloseCode.MALFORMED_FRAME, why);
    }),
  );
});

test('a SPLICE with bytes after the token is a malformed frame', () => {
  fc.assert(
    fc.property(spliceFrame, fc.uint8Array({ minLength: 1, maxLength: 64 }), (frame, extra) => {
      const bytes = Buffer.concat([encodeRelayFrame(frame), extra]);
      rejects(
        bytes,
        RelayCloseCode.MALFORMED_FRAME,
        new RegExp(`SPLICE has ${extra.length} unexpected trailing bytes`),
      );
    }),
  );
});

test('relayFeatures is the words of the relay info after the first, extra spaces ignored', () => {
  assert.deepEqual(relayFeatures('clawbridge-relay/1 splice'), [RELAY_FEATURE_SPLICE]);
  assert.deepEqual(relayFeatures('clawbridge-relay/1'), []);
  assert.deepEqual(relayFeatures(''), []);
  assert.deepEqual(relayFeatures('clawbridge-relay/1  splice   '), ['splice']);
  assert.deepEqual(relayFeatures('clawbridge-relay/1 splice  later'), ['splice', 'later']);
  // A feature is a whole word: nothing that merely contains 'splice' counts as it.
  assert.ok(
    !relayFeatures('clawbridge-relay/1 splices').includes(RELAY_FEATURE_SPLICE),
    "!relayFeatures('clawbridge-relay/1 splices').includes(RELAY_FEATURE_SPLICE)",
  );
});

test('LISTEN_TAG carries a tag of 1–16 characters 0-9 A-Z and nothing else, both ways', () => {
  for (const tag of ['', 'k7qx', 'K7Q-', 'A'.repeat(17)]) {
    assert.throws(() => encodeRelayFrame({ type: 'listen-tag', tag, listen: true }), isClawError);
  }
  for (const body of ['01', '02 4b375158', '01 6b375158', `01 ${rep('41', 17)}`]) {
    assert.throws(
      () => decodeRelayFrame(hex(`01 21 ${body}`)),
      (err) => err instanceof RelayFrameError && err.closeCode === RelayCloseCode.MALFORMED_FRAME,
    );
  }
});
