/**
 * The small codecs no other property covers, under arbitrary bytes (issue 28 item 5): UDP datagram
 * frames, the tcp-connect result, the reverse-listen answer, the relay's splice line / first-bytes
 * classifier and its reader of a ClientHello's server name (with the splice server name). Each either
 * decodes, asks for more, or refuses with its own clear error (a ClawError with its code, or an
 * `invalid` result with a reason) — never anything else — and round-trips what it encodes however the
 * bytes are chunked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isClawError } from '../../src-main/core/errors.js';
import {
  encodeUdpFrame,
  MAX_UDP_DATAGRAM_BYTES,
  UdpFrameDecoder,
} from '../../src-main/protocol/udp-frames.js';
import {
  decodeConnectResult,
  encodeConnectResult,
  ConnectStatus,
} from '../../src-main/forwards/tcp-connect-protocol.js';
import {
  decodeReverseAnswer,
  encodeReverseAnswer,
  MAX_REVERSE_ANSWER_BYTES,
} from '../../src-main/forwards/reverse-protocol.js';
import {
  classifyFirstBytes,
  encodeSpliceLine,
  parseSpliceLine,
  SPLICE_LINE_BYTES,
  spliceServerName,
  tokenOfServerName,
} from '../../src-main/protocol/relay-splice.js';
import {
  readClientHelloServerName,
  TLS_RECORD_HEADER_BYTES,
} from '../../src-main/protocol/tls-client-hello.js';
import { helloNaming } from '../helpers/client-hello.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

const RUNS = fuzzRuns();

/** `bytes` cut at the given offsets. */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    out.push(bytes.subarray(from, to));
    from = to;
  }
  return out;
}

test('udp frames: any chunking of encoded datagrams decodes to the same datagrams', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 1500 }), { maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (datagrams, cuts) => {
        const wire = Buffer.concat(datagrams.map((d) => encodeUdpFrame(d)));
        const dec = new UdpFrameDecoder();
        const got = chunked(wire, cuts).flatMap((c) => dec.push(c));
        assert.deepEqual(
          got.map((g) => g.toString('hex')),
          datagrams.map((d) => Buffer.from(d).toString('hex')),
        );
        assert.equal(dec.buffered, 0);
      },
    ),
    { numRuns: RUNS },
  );
});

test('udp frames: arbitrary bytes decode or refuse with FRAME_TOO_LARGE, holding at most one frame', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 8 }), (chunks) => {
      const dec = new UdpFrameDecoder();
      try {
        for (const c of chunks) {
          for (const d of dec.push(c))
            assert.ok(d.length <= MAX_UDP_DATAGRAM_BYTES, 'd.length <= MAX_UDP_DATAGRAM_BYTES');
          assert.ok(dec.buffered <= 2 + MAX_UDP_DATAGRAM_BYTES, 'dec.buffered <= 2 + MAX_UDP_DATAGRAM_BYTES');
        }
      } catch (err) {
        assert.ok(isClawError(err, 'FRAME_TOO_LARGE'), String(err));
      }
    }),
    { numRuns: RUNS },
  );
});

test('tcp-connect result: round-trips, and arbitrary bytes give done, more or invalid only', () => {
  const statuses = Object.values(ConnectStatus);
  fc.assert(
    fc.property(
      fc.constantFrom(...statuses),
      fc.string({ maxLength: 60 }),
      fc.uint8Array({ maxLength: 2 }),
      (status, reason, tail) => {
        const wire = Buffer.concat([encodeConnectResult(status, reason), tail]);
        const r = decodeConnectResult(wire);
        assert.equal(r.status, 'done');
        if (r.status === 'done') {
          assert.equal(r.value.status, status);
          assert.equal(r.used, wire.length - tail.length);
        }
      },
    ),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const r = decodeConnectResult(bytes);
      assert.ok(
        ['done', 'more', 'invalid'].includes(r.status),
        "['done', 'more', 'invalid'].includes(r.status)",
      );
      if (r.status === 'done') assert.ok(r.used <= bytes.length, 'r.used <= bytes.length');
      if (r.status === 'invalid') assert.ok(r.reason.length > 0, 'r.reason.length > 0');
    }),
    { numRuns: RUNS },
  );
});

test('reverse-listen answer: round-trips, and arbitrary bytes give done, more or invalid only', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.ipV4(),
        fc.ipV6().map((h) => `[${h}]`),
      ),
      fc.integer({ min: 1, max: 65535 }),
      (host, port) => {
        const bound = `${host}:${port}`;
        const r = decodeReverseAnswer(encodeReverseAnswer(bound));
        assert.equal(r.status, 'done');
        if (r.status === 'done') assert.equal(r.value.bound, bound);
      },
    ),
    { numRuns: RUNS },
  );
  // Anything but IP:PORT is no answer: A shows `bound`, so text around an address never gets through.
  fc.assert(
    fc.property(fc.ipV4(), fc.string({ minLength: 1, maxLength: 60 }), (host, junk) => {
      const r = decodeReverseAnswer(encodeReverseAnswer(`${host}:1${junk}`));
      if (!/^\d{0,4}$/.test(junk)) assert.equal(r.status, 'invalid');
    }),
    { numRuns: RUNS },
  );
  const textish = fc.oneof(
    fc.uint8Array({ maxLength: 700 }),
    fc.json().map((j) => new Uint8Array(Buffer.from(`${j}\n`))),
  );
  fc.assert(
    fc.property(textish, (bytes) => {
      const r = decodeReverseAnswer(bytes);
      if (r.status === 'more')
        assert.ok(bytes.length <= MAX_REVERSE_ANSWER_BYTES, 'bytes.length <= MAX_REVERSE_ANSWER_BYTES');
      else if (r.status === 'invalid') assert.ok(r.reason.length > 0, 'r.reason.length > 0');
      else
        assert.ok(
          r.used <= bytes.length && r.value.bound.length > 0,
          'r.used <= bytes.length && r.value.bound.length > 0',
        );
    }),
    { numRuns: RUNS },
  );
});

test('relay splice line: round-trips, and arbitrary bytes classify or refuse with BAD_FRAME only', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (token) => {
      const line = encodeSpliceLine(token);
      assert.equal(line.length, SPLICE_LINE_BYTES);
      assert.equal(classifyFirstBytes(line), 'splice');
      assert.equal(parseSpliceLine(line), Buffer.from(token).toString('hex'));
    }),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: SPLICE_LINE_BYTES + 8 }), (bytes) => {
      assert.ok(
        ['tls', 'splice', 'http', 'more'].includes(classifyFirstBytes(bytes)),
        "['tls', 'splice', 'http', 'more'].includes(classifyFirstBytes(bytes))",
      );
      try {
        assert.match(parseSpliceLine(bytes), /^[0-9a-f]{64}$/);
      } catch (err) {
        assert.ok(isClawError(err, 'BAD_FRAME'), String(err));
      }
    }),
    { numRuns: RUNS },
  );
});

test('ClientHello server name: a named hello reads its name however it is cut; arbitrary bytes never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.array(fc.nat()), (token, cuts) => {
      const hello = helloNaming(spliceServerName(token));
      // Bytes arrive in pieces; the reader is asked again with all of them so far, as the relay does.
      let soFar = Buffer.alloc(0);
      for (const piece of chunked(hello, cuts)) {
        soFar = Buffer.concat([soFar, piece]);
        const read = readClientHelloServerName(soFar);
        if (soFar.length < hello.length) {
          assert.equal(read.state, 'more');
          assert.ok(
            read.state === 'more' && read.bytes > soFar.length,
            "read.state === 'more' && read.bytes > soFar.length",
          );
        } else {
          assert.deepEqual(read, {
            state: 'read',
            serverName: spliceServerName(token),
            recordBytes: hello.length,
          });
          assert.equal(tokenOfServerName(read.serverName), Buffer.from(token).toString('hex'));
        }
      }
    }),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, asHandshake) => {
      // Half the inputs start as a handshake record, so the hello parser itself is reached.
      const head = asHandshake
        ? Buffer.concat([Buffer.of(0x16, 3, 1, bytes.length >> 8, bytes.length & 0xff), bytes])
        : Buffer.from(bytes);
      const read = readClientHelloServerName(head);
      if (read.state === 'more')
        assert.ok(
          read.bytes > head.length && read.bytes >= TLS_RECORD_HEADER_BYTES,
          'read.bytes > head.length && read.bytes >= TLS_RECORD_HEADER_BYTES',
        );
      else {
        assert.ok(read.recordBytes <= head.length, 'read.recordBytes <= head.length');
        // Whatever name a hello carries is a token or no splice, never an exception.
        if (read.serverName !== undefined) {
          const token = tokenOfServerName(read.serverName);
          assert.ok(
            token === undefined || /^[0-9a-f]{64}$/.test(token),
            'token === undefined || /^[0-9a-f]{64}$/.test(token)',
          );
        }
      }
    }),
    { numRuns: RUNS },
  );
});
