/**
 * The control hello's home relay (docs/protocol.md, hello): `homeRelayFingerprint` is optional, so
 * older hellos still parse; when present it must be 64 lowercase hex; and what a peer announced is
 * turned into a relay to dial only when it is a ws:// or wss:// URL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  announcedHomeRelay,
  ownHello,
  parseHello,
  type Hello,
} from '../../../src-main/links/control-service.js';
import { lanPairArgs } from '../../../src-main/protocol/pairing-wire.js';
import { isClawError } from '../../../src-main/core/errors.js';

const base = { v: 1, name: 'b', version: '0.1.0', addresses: [], homeRelay: 'wss://relay.example:8443' };
const FP = 'ab'.repeat(32);

test('a hello without a home relay fingerprint (an older node) still parses', () => {
  const hello = parseHello(base);
  assert.equal(hello.homeRelay, 'wss://relay.example:8443');
  assert.equal(hello.homeRelayFingerprint, undefined);
  assert.deepEqual(announcedHomeRelay(hello), { url: 'wss://relay.example:8443' });
});

test('any 64 lowercase hex fingerprint is accepted and kept for a wss:// home relay', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
      const fp = Buffer.from(bytes).toString('hex');
      const hello = parseHello({ ...base, homeRelayFingerprint: fp });
      assert.equal(hello.homeRelayFingerprint, fp);
      assert.deepEqual(announcedHomeRelay(hello), { url: base.homeRelay, fingerprint: fp });
    }),
  );
});

test('a fingerprint that is not 64 lowercase hex makes the hello malformed', () => {
  const notFingerprint = fc
    .string({ maxLength: 80 })
    .filter((s) => !/^[0-9a-f]{64}$/.test(s))
    .chain((s) => fc.constantFrom(s, FP.toUpperCase(), FP.slice(1), `${FP}0`, FP.replace('a', 'g')));
  fc.assert(
    fc.property(notFingerprint, (fp) => {
      assert.throws(
        () => parseHello({ ...base, homeRelayFingerprint: fp }),
        (err) => isClawError(err, 'PROTOCOL') && /malformed hello: .*homeRelayFingerprint/.test(err.message),
      );
    }),
  );
  assert.throws(() => parseHello({ ...base, homeRelayFingerprint: 42 }), /malformed hello/);
});

test('only ws:// and wss:// home relays are dialed; a ws:// one carries no pin', () => {
  const hello = (homeRelay: string | null, homeRelayFingerprint?: string): Hello =>
    parseHello({ ...base, homeRelay, ...(homeRelayFingerprint ? { homeRelayFingerprint } : {}) });
  assert.equal(announcedHomeRelay(hello(null)), undefined);
  assert.equal(announcedHomeRelay(hello('not a url')), undefined);
  assert.equal(announcedHomeRelay(hello('http://relay.example')), undefined);
  assert.equal(announcedHomeRelay(hello('file:///etc/passwd')), undefined);
  // Saved and shown as it came: one with a control character (an escape sequence) is not taken.
  assert.equal(announcedHomeRelay(hello('ws://127.0.0.1:7474/\x1b]0;TITLE\x07')), undefined);
  assert.equal(announcedHomeRelay(hello('ws://127.0.0.1:7474/\u202e')), undefined);
  assert.deepEqual(announcedHomeRelay(hello('ws://127.0.0.1:7474', FP)), { url: 'ws://127.0.0.1:7474' });
  assert.deepEqual(announcedHomeRelay(hello('wss://r.example', FP)), {
    url: 'wss://r.example',
    fingerprint: FP,
  });
});

test('a quiet lane token is kept when it is 32 lowercase hex, and makes the hello malformed otherwise', () => {
  const token = 'ab'.repeat(16);
  assert.equal(parseHello({ ...base, lane: token }).lane, token);
  assert.equal(parseHello(base).lane, undefined);
  for (const lane of ['AB'.repeat(16), 'ab', 'x'.repeat(32), 7]) {
    assert.throws(() => parseHello({ ...base, lane }), /malformed hello: .*lane/);
  }
});

test("a guest's hello says it comes as a guest; other hellos say nothing of it", () => {
  assert.equal(parseHello(ownHello('m2', [], undefined, undefined, true)).guest, true);
  assert.equal(parseHello(ownHello('m2', [], undefined)).guest, undefined, 'a peer says nothing');
  assert.equal(parseHello(base).guest, undefined, 'an older node says nothing');
  assert.throws(() => parseHello({ ...base, guest: false }), /malformed hello: .*guest/);
});

test('each announced address is HOST:PORT and nothing else, or the hello is malformed', () => {
  const ok = ['127.0.0.1:7474', '[::1]:7474', '[fe80::1%eth0]:7474', 'node.example:7474', '10.0.0.5:1'];
  assert.deepEqual(parseHello({ ...base, addresses: ok }).addresses, ok);
  const bad = [
    // The attack from issue 52 (F3): a title, an erased line and a forged one, printed by `ping`.
    '127.0.0.1:1\x1b]0;TITLE\x1b\\\x1b[2K\x1b[31mFAKE-LINE\x1b[0m',
    '127.0.0.1:1\x9b2K',
    '127.0.0.1:1 ',
    ' 127.0.0.1:1',
    '127.0.0.1:0',
    '127.0.0.1',
    'a b:1',
    '\u202e1.0.0.721:1',
    `${'a'.repeat(300)}:1`,
  ];
  for (const address of bad) {
    assert.throws(
      () => parseHello({ ...base, addresses: ['127.0.0.1:7474', address] }),
      (err) =>
        isClawError(err, 'PROTOCOL') &&
        /^peer sent a malformed hello: addresses\.1: an address /.test(err.message) &&
        !err.message.includes('\x1b'),
      JSON.stringify(address),
    );
  }
  // The LAN pairing stream names addresses the same way.
  assert.equal(lanPairArgs().safeParse({ addresses: ok }).success, true);
  assert.equal(lanPairArgs().safeParse({ addresses: [bad[0]] }).success, false);
});
