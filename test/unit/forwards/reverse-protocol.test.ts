/**
 * Reverse forwards' pure parts: the `reverse-listen` / `reverse-connect` argument schemas (junk is
 * refused cleanly, never thrown), the answer line, the peer side's refusals (permission, consent,
 * limits, cap) and the CLI's flags.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { forwardAddEnds } from '../../../src-main/forwards/cli/forward-commands.js';
import { isClawError } from '../../../src-main/core/errors.js';
import { listenArgs } from '../../../src-main/forwards/reverse-forwards.js';
import { listenRefusal } from '../../../src-main/forwards/reverse-listen-service.js';
import {
  decodeReverseAnswer,
  encodeReverseAnswer,
  MAX_REVERSE_LISTENERS_PER_PEER,
  reverseConnectArgsSchema,
  reverseListenArgsSchema,
} from '../../../src-main/forwards/reverse-protocol.js';

const ID = '0123456789abcdef';

test('reverse-listen args: IP host, port 1-65535, v 1, 16-hex id, nothing else', () => {
  const good = { v: 1, host: '127.0.0.1', port: 8080, id: ID };
  assert.ok(
    reverseListenArgsSchema().safeParse(good).success,
    'reverseListenArgsSchema().safeParse(good).success',
  );
  assert.ok(
    reverseListenArgsSchema().safeParse({ ...good, host: '::1' }).success,
    "reverseListenArgsSchema().safeParse({ ...good, host: '::1' }).success",
  );
  assert.ok(
    reverseListenArgsSchema().safeParse({ ...good, protocol: 'udp' }).success,
    "reverseListenArgsSchema().safeParse({ ...good, protocol: 'udp' }).success",
  );
  assert.ok(
    reverseListenArgsSchema().safeParse({ ...good, protocol: 'udp', idleMs: 30_000 }).success,
    "reverseListenArgsSchema().safeParse({ ...good, protocol: 'udp', idleMs: 30_000 }).success",
  );
  for (const bad of [
    { ...good, protocol: 'tcp' },
    { ...good, protocol: 'sctp' },
    { ...good, idleMs: 30_000 },
    { ...good, protocol: 'udp', idleMs: 999 },
    { ...good, protocol: 'udp', idleMs: 3_600_001 },
    { ...good, protocol: 'udp', idleMs: 1500.5 },
    { ...good, host: 'localhost' },
    { ...good, host: '127.0.0.1.evil.test' },
    { ...good, port: 0 },
    { ...good, port: 65536 },
    { ...good, port: 80.5 },
    { ...good, v: 2 },
    { ...good, id: 'ABCDEF0123456789' },
    { ...good, id: 'short' },
    { ...good, extra: true },
    { host: '127.0.0.1', port: 1, id: ID },
    null,
    'text',
  ]) {
    assert.equal(reverseListenArgsSchema().safeParse(bad).success, false, JSON.stringify(bad));
  }
  assert.ok(
    reverseConnectArgsSchema().safeParse({ id: ID }).success,
    'reverseConnectArgsSchema().safeParse({ id: ID }).success',
  );
  assert.equal(reverseConnectArgsSchema().safeParse({ id: ID, host: 'x' }).success, false);
  // A TCP connection's resume ID (ADR 0023): 32 lowercase hex digits, nothing else.
  assert.ok(
    reverseConnectArgsSchema().safeParse({ id: ID, resume: 'ab'.repeat(16) }).success,
    "reverseConnectArgsSchema().safeParse({ id: ID, resume: 'ab'.repeat(16) }).success",
  );
  assert.equal(reverseConnectArgsSchema().safeParse({ id: ID, resume: 'AB'.repeat(16) }).success, false);
  assert.equal(reverseConnectArgsSchema().safeParse({ id: ID, resume: 'ab' }).success, false);
});

test('property: the reverse-listen parser refuses junk cleanly (never throws, never lets junk in)', () => {
  const junk = fc.oneof(
    fc.anything(),
    fc.record({
      v: fc.oneof(fc.constant(1), fc.anything()),
      host: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string(), fc.anything()),
      port: fc.oneof(fc.integer({ min: -10, max: 70_000 }), fc.double(), fc.anything()),
      id: fc.oneof(fc.stringMatching(/^[0-9a-f]{16}$/), fc.string(), fc.anything()),
      protocol: fc.oneof(fc.constant('udp'), fc.constant(undefined), fc.string(), fc.anything()),
      idleMs: fc.oneof(fc.constant(undefined), fc.integer({ min: -10, max: 4_000_000 }), fc.anything()),
    }),
  );
  fc.assert(
    fc.property(junk, (args) => {
      const r = reverseListenArgsSchema().safeParse(args);
      if (!r.success) return;
      // Whatever passes is exactly what a listener may be asked for.
      assert.equal(r.data.v, 1);
      assert.ok(
        Number.isInteger(r.data.port) && r.data.port >= 1 && r.data.port <= 65535,
        'Number.isInteger(r.data.port) && r.data.port >= 1 && r.data.port <= 65535',
      );
      assert.match(r.data.id, /^[0-9a-f]{16}$/);
      assert.ok(/^[0-9a-fA-F:.]+$/.test(r.data.host), '/^[0-9a-fA-F:.]+$/.test(r.data.host)');
      assert.ok(
        r.data.protocol === undefined || r.data.protocol === 'udp',
        "r.data.protocol === undefined || r.data.protocol === 'udp'",
      );
      // An idle time only for UDP, and only within the bounds a local UDP forward has.
      if (r.data.idleMs !== undefined) {
        assert.equal(r.data.protocol, 'udp');
        assert.ok(
          Number.isInteger(r.data.idleMs) && r.data.idleMs >= 1_000 && r.data.idleMs <= 3_600_000,
          'Number.isInteger(r.data.idleMs) && r.data.idleMs >= 1_000 && r.data.idleMs <= 3_600_000',
        );
      }
    }),
    { numRuns: 10_000 },
  );
});

test('answer line: round trip, incremental, and junk refused', () => {
  const line = encodeReverseAnswer('127.0.0.1:9000');
  assert.deepEqual(decodeReverseAnswer(line), {
    status: 'done',
    value: { ok: true, bound: '127.0.0.1:9000' },
    used: line.length,
  });
  assert.equal(decodeReverseAnswer(line.subarray(0, 5)).status, 'more');
  assert.equal(decodeReverseAnswer(Buffer.from('nope\n')).status, 'invalid');
  assert.equal(decodeReverseAnswer(Buffer.from('{"ok":false}\n')).status, 'invalid');
  assert.equal(decodeReverseAnswer(Buffer.alloc(600, 0x61)).status, 'invalid');
});

test('answer line: bound is IP:PORT and nothing else (A prints it)', () => {
  assert.equal(decodeReverseAnswer(encodeReverseAnswer('[::1]:9000')).status, 'done');
  assert.equal(decodeReverseAnswer(encodeReverseAnswer('[::]:9000')).status, 'done');
  // OSC 52: a clipboard write for the terminal of whoever runs `forward add --reverse`.
  const osc52 = '127.0.0.1:9000\x1b]52;c;ZWNobyBwd25lZA==\x07';
  for (const bound of [osc52, '127.0.0.1:9000 \u202e', 'example.com:9000', '127.0.0.1:0', '127.0.0.1']) {
    assert.deepEqual(decodeReverseAnswer(encodeReverseAnswer(bound)), {
      status: 'invalid',
      reason: 'reverse-listen answer is malformed',
    });
  }
});

test('the peer refuses with a reason naming what its owner can do', () => {
  const settings = { allowRemoteReverseListen: false };
  const peer = { name: 'a', allow: ['listen' as const] };
  const at = { host: '127.0.0.1', port: 9000 };
  assert.equal(listenRefusal('b', settings, peer, at, 0), undefined);
  assert.deepEqual(listenRefusal('b', settings, { ...peer, allow: [] }, at, 0), {
    code: 'PERMISSION_DENIED',
    reason: 'b does not allow listening for a; its owner can allow it (peers allow a listen)',
  });
  const wide = listenRefusal('b', settings, peer, { host: '0.0.0.0', port: 9000 }, 0);
  assert.match(
    wide?.reason ?? '',
    /loopback addresses only, not 0\.0\.0\.0:9000.*--allow-remote-reverse-listen/,
  );
  assert.equal(
    listenRefusal('b', { allowRemoteReverseListen: true }, peer, { host: '0.0.0.0', port: 9000 }, 0),
    undefined,
  );
  const limited = { ...peer, listenOn: ['127.0.0.1:80*'] };
  assert.equal(listenRefusal('b', settings, limited, { host: '127.0.0.1', port: 8080 }, 0), undefined);
  assert.match(
    listenRefusal('b', settings, limited, at, 0)?.reason ?? '',
    /b does not allow a to listen on 127\.0\.0\.1:9000; .*peers limit a --listen/,
  );
  const full = listenRefusal('b', settings, peer, at, MAX_REVERSE_LISTENERS_PER_PEER);
  assert.equal(full?.code, 'TOO_MANY_STREAMS');
});

test('listenArgs: a bare port is loopback, localhost is 127.0.0.1', () => {
  const record = { name: 'r', kind: 'tcp' as const, listen: 'localhost:9000', enabled: true };
  assert.deepEqual(listenArgs(record, ID), { v: 1, host: '127.0.0.1', port: 9000, id: ID });
  assert.equal(listenArgs({ ...record, listen: '[::1]:9000' }, ID).host, '::1');
  // A reverse UDP forward says so, with its idle time when it has its own.
  assert.deepEqual(listenArgs({ ...record, protocol: 'udp' }, ID), {
    v: 1,
    host: '127.0.0.1',
    port: 9000,
    id: ID,
    protocol: 'udp',
  });
  assert.equal(listenArgs({ ...record, protocol: 'udp', udpIdleMs: 5_000 }, ID).idleMs, 5_000);
});

test('forward add flags: --reverse takes --listen and --to, a local forward --local and --remote', () => {
  assert.deepEqual(forwardAddEnds({ reverse: true, listen: '9000', to: '127.0.0.1:80' }), {
    local: '127.0.0.1:80',
    remote: '9000',
    direction: 'reverse',
  });
  assert.deepEqual(forwardAddEnds({ local: '8080', remote: 'db:5432' }), {
    local: '8080',
    remote: 'db:5432',
  });
  for (const bad of [
    { reverse: true, listen: '9000' },
    { reverse: true, listen: '9000', to: 'x:1', local: '1' },
    { local: '8080', remote: 'db:5432', to: 'x:1' },
    { local: '8080' },
  ]) {
    assert.throws(
      () => forwardAddEnds(bad),
      (e: unknown) => isClawError(e, 'BAD_ARGUMENT'),
    );
  }
});
