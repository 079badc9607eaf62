/**
 * The splice line (docs/relay-protocol.md §Splices): its exact bytes, round trips, how the relay tells
 * a splice line from TLS and HTTP by a connection's first bytes, and every way a line can be wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isClawError } from '../../../src-main/core/errors.js';
import { relayFeatures, SPLICE_TOKEN_BYTES } from '../../../src-main/protocol/relay-frames.js';
import {
  classifyFirstBytes,
  encodeSpliceLine,
  parseSpliceLine,
  SPLICE_LINE_BYTES,
  SPLICE_LINE_PREFIX,
  spliceJoinFor,
  spliceServerName,
  tokenOfServerName,
} from '../../../src-main/protocol/relay-splice.js';
import { mutate, mutation } from '../../helpers/byte-mutations.js';

const token = fc.uint8Array({ minLength: SPLICE_TOKEN_BYTES, maxLength: SPLICE_TOKEN_BYTES });
const latin1 = (s: string) => Buffer.from(s, 'latin1');
const HEX = '0123456789abcdef';
/** Offset of the token's first hex character in a line. */
const TOKEN_AT = SPLICE_LINE_PREFIX.length;

/** Asserts `parseSpliceLine` refuses `line` as a ClawError('BAD_FRAME'). */
function refuses(line: Uint8Array, what = Buffer.from(line).toString('latin1')): void {
  assert.throws(
    () => parseSpliceLine(line),
    (err) => isClawError(err, 'BAD_FRAME') && /malformed splice line/.test(err.message),
    JSON.stringify(what),
  );
}

test('a splice line is the prefix, the token in lowercase hex and a newline, 85 bytes', () => {
  const line = encodeSpliceLine(Uint8Array.from({ length: 32 }, (_, i) => i + 0xa0));
  assert.equal(
    line.toString('latin1'),
    'CLAWBRIDGE-SPLICE/1 a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\n',
  );
  assert.equal(SPLICE_LINE_BYTES, 85);
  assert.equal(line.length, SPLICE_LINE_BYTES);
});

test('any token survives a splice line: parse(encode(token)) is its hex', () => {
  fc.assert(
    fc.property(token, (t) => {
      const line = encodeSpliceLine(t);
      assert.equal(line.length, SPLICE_LINE_BYTES);
      assert.equal(parseSpliceLine(line), Buffer.from(t).toString('hex'));
    }),
  );
});

test('a line read as a view into a larger chunk parses the same', () => {
  fc.assert(
    fc.property(
      token,
      fc.uint8Array({ maxLength: 16 }),
      fc.uint8Array({ maxLength: 16 }),
      (t, before, after) => {
        const chunk = Buffer.concat([before, encodeSpliceLine(t), after]);
        const view = chunk.subarray(before.length, before.length + SPLICE_LINE_BYTES);
        assert.equal(parseSpliceLine(view), Buffer.from(t).toString('hex'));
      },
    ),
  );
});

test('encodeSpliceLine refuses a token of any length but 32 bytes with BAD_ARGUMENT', () => {
  for (const length of [0, 31, 33]) {
    assert.throws(
      () => encodeSpliceLine(new Uint8Array(length)),
      (err) => isClawError(err, 'BAD_ARGUMENT'),
      `${length}-byte token`,
    );
  }
});

test('a TLS client names its splice by server name only to a relay that lists splice-sni', () => {
  assert.equal(
    spliceJoinFor(relayFeatures('clawbridge-relay/1 splice listen-tag splice-sni')),
    'server-name',
  );
  // A relay of an older release reads splice lines only: its TLS server would answer a named hello.
  assert.equal(spliceJoinFor(relayFeatures('clawbridge-relay/1 splice listen-tag')), 'line');
  assert.equal(spliceJoinFor(relayFeatures('clawbridge-relay/1 listen-tag splice-sni')), undefined);
  assert.equal(spliceJoinFor([]), undefined);
});

// ---- the splice server name (ADR 0040) -------------------------------------------------------------------

test('a splice server name is the token in two 32-hex labels under clawbridge-splice.invalid', () => {
  const name = spliceServerName(Uint8Array.from({ length: 32 }, (_, i) => i + 0xa0));
  assert.equal(
    name,
    'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf.b0b1b2b3b4b5b6b7b8b9babbbcbdbebf.clawbridge-splice.invalid',
  );
  // Every label fits DNS's 63 characters, so TLS stacks send it as any host name.
  for (const label of name.split('.')) assert.ok(label.length <= 63, label);
});

test('any token survives its server name; the name is lowercase either way', () => {
  fc.assert(
    fc.property(token, (t) => {
      assert.equal(tokenOfServerName(spliceServerName(t)), Buffer.from(t).toString('hex'));
    }),
  );
});

test('names that are not a splice server name join nothing', () => {
  const good = spliceServerName(new Uint8Array(32).fill(0xcd));
  const cases = [
    'relay.example.com',
    'clawbridge-splice.invalid',
    good.toUpperCase(),
    good.replace('.clawbridge-splice.invalid', '.clawbridge-splice.invalid.'),
    `x${good}`,
    good.replace('.', ''), // one 64-character label
    good.replace('cd.', 'c.cd'), // labels of 31 and 33
    good.replace('cdcd', 'cdzz'),
    `${good}\n`,
  ];
  for (const name of cases) assert.equal(tokenOfServerName(name), undefined, JSON.stringify(name));
});

test('spliceServerName refuses a token of any length but 32 bytes with BAD_ARGUMENT', () => {
  for (const length of [0, 31, 33]) {
    assert.throws(
      () => spliceServerName(new Uint8Array(length)),
      (err) => isClawError(err, 'BAD_ARGUMENT'),
      `${length}-byte token`,
    );
  }
});

// ---- classifyFirstBytes ----------------------------------------------------------------------------------

test('no bytes yet is "more"', () => {
  assert.equal(classifyFirstBytes(new Uint8Array(0)), 'more');
});

test('every prefix of a splice line is "more" until it covers the line prefix, then "splice"', () => {
  fc.assert(
    fc.property(token, fc.uint8Array({ maxLength: 32 }), (t, pipeBytes) => {
      // What follows the line is already the pipe's: it never changes the answer.
      const stream = Buffer.concat([encodeSpliceLine(t), pipeBytes]);
      for (let n = 1; n <= stream.length; n++) {
        const expected = n < SPLICE_LINE_PREFIX.length ? 'more' : 'splice';
        assert.equal(classifyFirstBytes(stream.subarray(0, n)), expected, `first ${n} bytes`);
      }
    }),
  );
});

test('anything starting with 0x16 (a TLS handshake record) is "tls"', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (rest) => {
      assert.equal(classifyFirstBytes(Uint8Array.of(0x16, ...rest)), 'tls');
    }),
  );
});

/**
 * The first `agree` bytes of the line prefix, then a byte that differs from the prefix's next one,
 * then anything: a stream that stops being a possible splice line at index `agree`.
 */
const divergent = fc
  .integer({ min: 0, max: SPLICE_LINE_PREFIX.length - 1 })
  .chain((agree) =>
    fc.record({
      agree: fc.constant(agree),
      differing: fc
        .integer({ min: 0, max: 255 })
        // At index 0, 0x16 would make it TLS, not HTTP.
        .filter((b) => b !== SPLICE_LINE_PREFIX.charCodeAt(agree) && (agree > 0 || b !== 0x16)),
      tail: fc.uint8Array({ maxLength: 64 }),
    }),
  )
  .map(({ agree, differing, tail }) => ({
    agree,
    bytes: Buffer.concat([latin1(SPLICE_LINE_PREFIX.slice(0, agree)), Uint8Array.of(differing), tail]),
  }));

test('bytes that stop matching the line prefix are "http" from the first byte that differs on', () => {
  fc.assert(
    fc.property(divergent, ({ agree, bytes }) => {
      for (let n = 1; n <= bytes.length; n++) {
        assert.equal(
          classifyFirstBytes(bytes.subarray(0, n)),
          n <= agree ? 'more' : 'http',
          `first ${n} bytes`,
        );
      }
    }),
  );
});

test('real HTTP request starts and near misses of the prefix are "http" once they differ', () => {
  const cases: [string, number][] = [
    // [start of a connection, bytes it shares with SPLICE_LINE_PREFIX]
    ['GET / HTTP/1.1\r\nHost: relay\r\n\r\n', 0],
    ['POST /x HTTP/1.1\r\n', 0],
    ['CONNECT x:1 HTTP/1.1\r\n', 1],
    ['CLAWBRIDGE-SPLICE/2 ' + 'ab'.repeat(32) + '\n', 18],
    ['clawbridge-splice/1 ' + 'ab'.repeat(32) + '\n', 0],
    ['CLAWBRIDGE-SPLICE/1\n', 19],
    ['CLAWBRIDGE-SPLICE/10 ', 19],
  ];
  for (const [start, agree] of cases) {
    const bytes = latin1(start);
    for (let n = 1; n <= bytes.length; n++) {
      const expected = n <= agree ? 'more' : 'http';
      assert.equal(
        classifyFirstBytes(bytes.subarray(0, n)),
        expected,
        `${JSON.stringify(start)}, first ${n}`,
      );
    }
  }
});

// ---- parseSpliceLine ---------------------------------------------------------------------------------------

const validHex = 'ab'.repeat(32);
const line = (text: string) => latin1(text);

test('parseSpliceLine refuses lines that are not exactly a splice line with BAD_FRAME', () => {
  const bad = [
    // uppercase hex
    `${SPLICE_LINE_PREFIX}${validHex.toUpperCase()}\n`,
    `${SPLICE_LINE_PREFIX}A${validHex.slice(1)}\n`,
    // a character that is not hex
    `${SPLICE_LINE_PREFIX}g${validHex.slice(1)}\n`,
    `${SPLICE_LINE_PREFIX}${validHex.slice(0, 63)} \n`,
    `${SPLICE_LINE_PREFIX}${validHex.slice(0, 63)}\n\n`,
    // wrong length
    `${SPLICE_LINE_PREFIX}${validHex.slice(1)}\n`,
    `${SPLICE_LINE_PREFIX}${validHex}0\n`,
    `${SPLICE_LINE_PREFIX}\n`,
    `${SPLICE_LINE_PREFIX}${validHex}\n${validHex}`,
    '',
    // no trailing newline
    `${SPLICE_LINE_PREFIX}${validHex}`,
    `${SPLICE_LINE_PREFIX}${validHex}0`,
    `${SPLICE_LINE_PREFIX}${validHex}\r`,
    `${SPLICE_LINE_PREFIX}${validHex}\r\n`,
    // wrong prefix
    `CLAWBRIDGE-SPLICE/2 ${validHex}\n`,
    `clawbridge-splice/1 ${validHex}\n`,
    `CLAWBRIDGE-SPLICE/1\t${validHex}\n`,
    `XCLAWBRIDGE-SPLICE/1 ${validHex.slice(1)}\n`,
  ];
  for (const text of bad) refuses(line(text));
});

test('a token with any single character made uppercase hex or non-hex is refused', () => {
  const notLowerHex = fc.integer({ min: 0, max: 255 }).filter((b) => !HEX.includes(String.fromCharCode(b)));
  fc.assert(
    fc.property(token, fc.nat({ max: 63 }), notLowerHex, (t, at, byte) => {
      const bytes = encodeSpliceLine(t);
      bytes[TOKEN_AT + at] = byte;
      refuses(bytes);
    }),
  );
});

test('changing any one byte of a line gives the token it now spells or BAD_FRAME, never anything else', () => {
  fc.assert(
    fc.property(
      token,
      fc.nat({ max: SPLICE_LINE_BYTES - 1 }),
      fc.integer({ min: 1, max: 255 }),
      (t, at, xor) => {
        const bytes = encodeSpliceLine(t);
        bytes[at]! ^= xor;
        const stillValid =
          at >= TOKEN_AT && at < SPLICE_LINE_BYTES - 1 && HEX.includes(String.fromCharCode(bytes[at]!));
        if (stillValid) {
          assert.equal(parseSpliceLine(bytes), bytes.toString('latin1', TOKEN_AT, SPLICE_LINE_BYTES - 1));
        } else {
          refuses(bytes);
        }
      },
    ),
  );
});

test('any mutation of a line (flip, cut, append, overwrite) parses only if it is still a line of its token', () => {
  fc.assert(
    fc.property(token, mutation, (t, m) => {
      const bytes = mutate(encodeSpliceLine(t), m);
      let parsed: string;
      try {
        parsed = parseSpliceLine(bytes);
      } catch (err) {
        assert.ok(isClawError(err, 'BAD_FRAME'), String(err));
        return;
      }
      // Accepted: then it is exactly the line that token encodes to.
      assert.deepEqual(encodeSpliceLine(Buffer.from(parsed, 'hex')), Buffer.from(bytes));
    }),
  );
});
