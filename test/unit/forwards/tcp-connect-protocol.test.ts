/** The tcp-connect result message: known bytes, round trips, and the decoder under fast-check. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ConnectStatus,
  decodeConnectResult,
  encodeConnectResult,
  failureOfStatus,
  MAX_RESULT_BYTES,
  tcpConnectArgsSchema,
} from '../../../src-main/forwards/tcp-connect-protocol.js';

/** Decoders get at least this many runs (preamble rule). */
const RUNS = 10_000;

test('known bytes', () => {
  assert.equal(encodeConnectResult(ConnectStatus.Ok).toString('hex'), '010000');
  assert.equal(encodeConnectResult(ConnectStatus.Refused, 'no').toString('hex'), '0105026e6f');
  assert.deepEqual(decodeConnectResult(Buffer.from('0105026e6f', 'hex')), {
    status: 'done',
    value: { status: 5, reason: 'no' },
    used: 5,
  });
  assert.deepEqual(decodeConnectResult(Buffer.from('02', 'hex')), {
    status: 'invalid',
    reason: 'tcp-connect result version 2 is not supported',
  });
});

test('long reasons are cut to 255 bytes without splitting a character; newlines become spaces', () => {
  const r = encodeConnectResult(ConnectStatus.GeneralFailure, 'é'.repeat(200));
  assert.ok(r.length <= MAX_RESULT_BYTES, 'r.length <= MAX_RESULT_BYTES');
  const d = decodeConnectResult(r);
  assert.equal(d.status, 'done');
  if (d.status === 'done') assert.equal(d.value.reason, 'é'.repeat(127));
  const nl = decodeConnectResult(encodeConnectResult(ConnectStatus.GeneralFailure, 'a\r\nb'));
  assert.equal(nl.status === 'done' && nl.value.reason, 'a b');
});

test('unknown statuses from a newer peer count as general failures', () => {
  assert.equal(failureOfStatus(200), 'general');
  assert.equal(failureOfStatus(ConnectStatus.HostNotFound), 'host-not-found');
});

test('arguments: hosts are names or addresses, ports 1–65535, nothing else', () => {
  assert.equal(tcpConnectArgsSchema().safeParse({ host: '::1', port: 22 }).success, true);
  assert.equal(tcpConnectArgsSchema().safeParse({ host: 'a b', port: 22 }).success, false);
  assert.equal(tcpConnectArgsSchema().safeParse({ host: 'a', port: 0 }).success, false);
  assert.equal(tcpConnectArgsSchema().safeParse({ host: 'a', port: 1, extra: 1 }).success, false);
});

test('property: every result round-trips, and each proper prefix asks for more', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 7 }), fc.string({ maxLength: 80 }), (status, reason) => {
      const bytes = encodeConnectResult(status as 0, reason);
      const d = decodeConnectResult(Buffer.concat([bytes, Buffer.from('tail')]));
      assert.equal(d.status, 'done');
      if (d.status !== 'done') return;
      assert.equal(d.used, bytes.length);
      assert.equal(d.value.status, status);
      assert.equal(d.value.reason, reason.replace(/[\r\n]+/g, ' '));
      for (let i = 0; i < bytes.length; i++)
        assert.equal(decodeConnectResult(bytes.subarray(0, i)).status, 'more');
    }),
    { numRuns: RUNS },
  );
});

test('property: random bytes never throw and never claim more bytes than given', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const d = decodeConnectResult(bytes);
      if (d.status === 'done') {
        assert.ok(d.used <= bytes.length && d.used >= 3, 'd.used <= bytes.length && d.used >= 3');
        assert.equal(d.used, 3 + bytes[2]!);
      }
      if (d.status === 'more') assert.ok(bytes.length < MAX_RESULT_BYTES, 'bytes.length < MAX_RESULT_BYTES');
    }),
    { numRuns: RUNS },
  );
});
