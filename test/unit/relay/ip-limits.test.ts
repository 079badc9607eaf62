import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpLimiter, OVER_LIMIT_PER_IP, type IpRefusal } from '../../../src-main/relay/ip-limits.js';
import { fakeClock } from '../../helpers/fake-clock.js';

/** An IpLimiter with 8 splices per address unless told. */
function limiter(
  connectionsPerIp: number,
  authAttemptsPerMinute: number,
  now: () => number,
  splicesPerIp = 8,
) {
  return new IpLimiter({ connectionsPerIp, authAttemptsPerMinute, splicesPerIp }, now);
}

/** What the relay does for a WebSocket: count the connection at accept, spend an attempt at the upgrade. */
function admit(ips: IpLimiter, ip: string): IpRefusal | undefined {
  const slot = ips.accept(ip);
  if (slot !== 'connection') {
    if (slot) ips.release(ip, slot);
    return 'TOO_MANY_CONNECTIONS';
  }
  if (ips.attempt(ip)) return undefined;
  ips.release(ip, slot);
  return 'AUTH_RATE_LIMITED';
}

test('connectionsPerIp: admits up to the limit, refuses the next, admits again after a release', () => {
  const clock = fakeClock(1_000_000);
  const ips = limiter(2, 100, clock.now);
  assert.equal(admit(ips, '1.1.1.1'), undefined);
  assert.equal(admit(ips, '1.1.1.1'), undefined);
  assert.equal(admit(ips, '1.1.1.1'), 'TOO_MANY_CONNECTIONS');
  assert.equal(admit(ips, '2.2.2.2'), undefined, 'other addresses are unaffected');
  ips.release('1.1.1.1', 'connection');
  assert.equal(admit(ips, '1.1.1.1'), undefined);
});

test('authAttemptsPerMinute: a burst of the limit, then one attempt per (60 s / limit)', () => {
  const clock = fakeClock(1_000_000);
  const ips = limiter(1000, 6, clock.now);
  for (let i = 0; i < 6; i++) {
    assert.equal(admit(ips, '1.1.1.1'), undefined);
    ips.release('1.1.1.1', 'connection');
  }
  assert.equal(admit(ips, '1.1.1.1'), 'AUTH_RATE_LIMITED');
  clock.advance(9_999);
  assert.equal(
    admit(ips, '1.1.1.1'),
    'AUTH_RATE_LIMITED',
    'refused attempts cost nothing, but 10 s are not up',
  );
  clock.advance(1);
  assert.equal(admit(ips, '1.1.1.1'), undefined);
  assert.equal(admit(ips, '1.1.1.1'), 'AUTH_RATE_LIMITED');
  clock.advance(10 * 60_000);
  for (let i = 0; i < 6; i++) assert.equal(admit(ips, '1.1.1.1'), undefined, 'refill stops at the burst');
  assert.equal(admit(ips, '1.1.1.1'), 'AUTH_RATE_LIMITED');
});

test('sweep forgets idle addresses with a full bucket and keeps the rest', () => {
  const clock = fakeClock(1_000_000);
  const ips = limiter(10, 60, clock.now);
  admit(ips, '1.1.1.1');
  admit(ips, '2.2.2.2');
  ips.release('2.2.2.2', 'connection');
  ips.sweep();
  assert.equal(ips.size, 2, 'bucket of 2.2.2.2 is not full yet');
  clock.advance(1_000);
  ips.sweep();
  assert.equal(ips.size, 1, '2.2.2.2 forgotten, 1.1.1.1 still connected');
  ips.release('1.1.1.1', 'connection');
  ips.release('1.1.1.1', 'connection');
  clock.advance(60_000);
  ips.sweep();
  assert.equal(ips.size, 0);
});

test('attempts that are not connections (GET /metrics with a token) share the bucket', () => {
  const clock = fakeClock(1_000_000);
  const ips = limiter(10, 3, clock.now);
  assert.equal(ips.canAttempt('1.1.1.1'), true);
  assert.equal(admit(ips, '1.1.1.1'), undefined);
  ips.spendAttempt('1.1.1.1');
  ips.spendAttempt('1.1.1.1');
  assert.equal(ips.canAttempt('1.1.1.1'), false);
  assert.equal(admit(ips, '1.1.1.1'), 'AUTH_RATE_LIMITED', 'a connection cannot follow the failed attempts');
  assert.equal(ips.canAttempt('2.2.2.2'), true, 'other addresses are unaffected');
  ips.spendAttempt('1.1.1.1');
  clock.advance(20_000);
  assert.equal(ips.canAttempt('1.1.1.1'), true, 'the bucket refills as usual (and never went below 0)');
});

test('an IPv4-mapped IPv6 address is the same client as plain IPv4', () => {
  const ips = limiter(1, 100, fakeClock(1_000_000).now);
  assert.equal(admit(ips, '::ffff:10.0.0.1'), undefined);
  assert.equal(admit(ips, '10.0.0.1'), 'TOO_MANY_CONNECTIONS');
  ips.release('10.0.0.1', 'connection');
  assert.equal(admit(ips, '::ffff:10.0.0.1'), undefined);
});

test('IPv6 clients count by /64: fresh addresses of one block share its connections and attempts', () => {
  const clock = fakeClock(1_000_000);
  const ips = limiter(2, 3, clock.now);
  assert.equal(admit(ips, '2001:db8:aa:1::1'), undefined);
  assert.equal(admit(ips, '2001:db8:aa:1::2'), undefined);
  assert.equal(admit(ips, '2001:db8:aa:1::3'), 'TOO_MANY_CONNECTIONS');
  ips.release('2001:db8:aa:1::1', 'connection');
  assert.equal(admit(ips, '2001:db8:aa:1:1:2:3:4'), undefined, 'a slot of the block, freed');
  assert.equal(ips.canAttempt('2001:db8:aa:1::9'), false, 'the block has spent its 3 attempts');
  assert.equal(admit(ips, '2001:db8:aa:2::1'), undefined, 'the neighbouring /64 is another client');
  assert.equal(ips.size, 2);
});

test('beyond connectionsPerIp a few more are let in (to be told why), then connections are refused at accept', () => {
  const ips = limiter(2, 100, fakeClock(1_000_000).now);
  assert.equal(ips.accept('1.1.1.1'), 'connection');
  assert.equal(ips.accept('1.1.1.1'), 'connection');
  for (let i = 0; i < OVER_LIMIT_PER_IP; i++) assert.equal(ips.accept('1.1.1.1'), 'over-limit');
  assert.equal(ips.accept('1.1.1.1'), undefined, 'nothing more from this address');
  assert.equal(ips.accept('2.2.2.2'), 'connection', 'other addresses are unaffected');
  ips.release('1.1.1.1', 'over-limit');
  assert.equal(ips.accept('1.1.1.1'), 'over-limit');
  ips.release('1.1.1.1', 'connection');
  assert.equal(ips.accept('1.1.1.1'), 'connection');
});

test('splicesPerIp: a connection moves to the splice budget, which has its own limit', () => {
  const ips = limiter(2, 100, fakeClock(1_000_000).now, 2);
  for (let i = 0; i < 2; i++) {
    assert.equal(ips.accept('1.1.1.1'), 'connection');
    assert.equal(ips.toSplice('1.1.1.1', 'connection'), true);
  }
  assert.equal(ips.count('1.1.1.1', 'splice'), 2);
  assert.equal(ips.count('1.1.1.1', 'connection'), 0, 'splices leave the connection budget to WebSockets');
  assert.equal(ips.accept('1.1.1.1'), 'connection');
  assert.equal(ips.toSplice('1.1.1.1', 'connection'), false, 'the third splice is refused');
  assert.equal(ips.count('1.1.1.1', 'connection'), 1, 'a refused splice stays counted until it closes');
  ips.release('1.1.1.1', 'connection');
  ips.release('1.1.1.1', 'splice');
  assert.equal(ips.accept('1.1.1.1'), 'connection');
  assert.equal(ips.toSplice('1.1.1.1', 'connection'), true);
});
