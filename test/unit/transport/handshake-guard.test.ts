import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HandshakeGuard } from '../../../src-main/transport/handshake-guard.js';

test('HandshakeGuard: the (K+1)th connection from one source is refused; other sources still get in', () => {
  const guard = new HandshakeGuard(3, 100);
  assert.deepEqual(
    [1, 2, 3, 4].map(() => guard.tryAdmit('10.0.0.1')),
    [true, true, true, false],
  );
  assert.equal(guard.from('10.0.0.1'), 3, 'a refusal counts nothing');
  assert.equal(guard.tryAdmit('10.0.0.2'), true);
  assert.equal(guard.total, 4);
});

test('HandshakeGuard: the total cap refuses every source once reached', () => {
  const guard = new HandshakeGuard(2, 5);
  const admitted = [1, 1, 2, 2, 3, 3, 4].map((n) => guard.tryAdmit(`10.0.0.${n}`));
  assert.deepEqual(admitted, [true, true, true, true, true, false, false]);
  assert.equal(guard.total, 5);
  guard.release('10.0.0.1');
  assert.equal(guard.tryAdmit('10.0.0.100'), true, 'a released slot is free again');
  assert.equal(guard.tryAdmit('10.0.0.101'), false);
});

test('HandshakeGuard: release frees a slot and forgets idle sources; releasing the unknown is a no-op', () => {
  const guard = new HandshakeGuard(1, 10);
  assert.equal(guard.tryAdmit('192.0.2.7'), true);
  assert.equal(guard.tryAdmit('192.0.2.7'), false);
  guard.release('192.0.2.7');
  assert.equal(guard.sources, 0, 'no entry kept for a source with nothing counted');
  assert.equal(guard.total, 0);
  guard.release('192.0.2.7');
  guard.release('198.51.100.1');
  assert.equal(guard.total, 0, 'never below zero');
  assert.equal(guard.tryAdmit('192.0.2.7'), true);
  assert.equal(guard.tryAdmit('192.0.2.7'), false, 'a stray release did not raise the cap');
});

test('HandshakeGuard: an IPv4-mapped IPv6 address counts as its IPv4 address', () => {
  const guard = new HandshakeGuard(2, 10);
  assert.equal(guard.tryAdmit('::ffff:203.0.113.9'), true);
  assert.equal(guard.tryAdmit('203.0.113.9'), true);
  assert.equal(guard.tryAdmit('::FFFF:203.0.113.9'), false);
  assert.equal(guard.from('203.0.113.9'), 2);
  guard.release('203.0.113.9');
  guard.release('::ffff:203.0.113.9');
  assert.equal(guard.total, 0);
  assert.equal(guard.sources, 0);
});

test('HandshakeGuard: IPv6 sources count by /64 — a host cannot spread over its own block', () => {
  const guard = new HandshakeGuard(2, 10);
  assert.equal(guard.tryAdmit('2001:db8:1:2::a'), true);
  assert.equal(guard.tryAdmit('2001:DB8:1:2:ffff:ffff:ffff:ffff'), true);
  assert.equal(guard.tryAdmit('2001:db8:1:2:dead:beef::1'), false, 'a third address of the same /64');
  assert.equal(guard.tryAdmit('2001:db8:1:3::a'), true, 'the next /64 is another source');
  guard.release('2001:0db8:0001:0002:0000:0000:0000:000a');
  assert.equal(guard.from('2001:db8:1:2::77'), 1);
});

test('HandshakeGuard: caps must be positive integers', () => {
  assert.throws(() => new HandshakeGuard(0, 10), RangeError);
  assert.throws(() => new HandshakeGuard(4, 1.5), RangeError);
  assert.throws(() => new HandshakeGuard(Number.NaN, 10), RangeError);
});
