import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpLimiter } from '../../../src-main/relay/ip-limits.js';

/** A clock the test moves by hand. */
function fakeClock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('connectionsPerIp: admits up to the limit, refuses the next, admits again after a release', () => {
  const clock = fakeClock();
  const ips = new IpLimiter(2, 100, clock.now);
  assert.equal(ips.admit('1.1.1.1'), undefined);
  assert.equal(ips.admit('1.1.1.1'), undefined);
  assert.equal(ips.admit('1.1.1.1'), 'TOO_MANY_CONNECTIONS');
  assert.equal(ips.admit('2.2.2.2'), undefined, 'other addresses are unaffected');
  ips.release('1.1.1.1');
  assert.equal(ips.admit('1.1.1.1'), undefined);
});

test('authAttemptsPerMinute: a burst of the limit, then one attempt per (60 s / limit)', () => {
  const clock = fakeClock();
  const ips = new IpLimiter(1000, 6, clock.now);
  for (let i = 0; i < 6; i++) {
    assert.equal(ips.admit('1.1.1.1'), undefined);
    ips.release('1.1.1.1');
  }
  assert.equal(ips.admit('1.1.1.1'), 'AUTH_RATE_LIMITED');
  clock.advance(9_999);
  assert.equal(
    ips.admit('1.1.1.1'),
    'AUTH_RATE_LIMITED',
    'refused attempts cost nothing, but 10 s are not up',
  );
  clock.advance(1);
  assert.equal(ips.admit('1.1.1.1'), undefined);
  assert.equal(ips.admit('1.1.1.1'), 'AUTH_RATE_LIMITED');
  clock.advance(10 * 60_000);
  for (let i = 0; i < 6; i++) assert.equal(ips.admit('1.1.1.1'), undefined, 'refill stops at the burst');
  assert.equal(ips.admit('1.1.1.1'), 'AUTH_RATE_LIMITED');
});

test('sweep forgets idle addresses with a full bucket and keeps the rest', () => {
  const clock = fakeClock();
  const ips = new IpLimiter(10, 60, clock.now);
  ips.admit('1.1.1.1');
  ips.admit('2.2.2.2');
  ips.release('2.2.2.2');
  ips.sweep();
  assert.equal(ips.size, 2, 'bucket of 2.2.2.2 is not full yet');
  clock.advance(1_000);
  ips.sweep();
  assert.equal(ips.size, 1, '2.2.2.2 forgotten, 1.1.1.1 still connected');
  ips.release('1.1.1.1');
  ips.release('1.1.1.1');
  clock.advance(60_000);
  ips.sweep();
  assert.equal(ips.size, 0);
});

test('attempts that are not connections (GET /metrics with a token) share the bucket', () => {
  const clock = fakeClock();
  const ips = new IpLimiter(10, 3, clock.now);
  assert.equal(ips.canAttempt('1.1.1.1'), true);
  assert.equal(ips.admit('1.1.1.1'), undefined);
  ips.spendAttempt('1.1.1.1');
  ips.spendAttempt('1.1.1.1');
  assert.equal(ips.canAttempt('1.1.1.1'), false);
  assert.equal(ips.admit('1.1.1.1'), 'AUTH_RATE_LIMITED', 'a connection cannot follow the failed attempts');
  assert.equal(ips.canAttempt('2.2.2.2'), true, 'other addresses are unaffected');
  ips.spendAttempt('1.1.1.1');
  clock.advance(20_000);
  assert.equal(ips.canAttempt('1.1.1.1'), true, 'the bucket refills as usual (and never went below 0)');
});

test('an IPv4-mapped IPv6 address is the same client as plain IPv4', () => {
  const ips = new IpLimiter(1, 100, fakeClock().now);
  assert.equal(ips.admit('::ffff:10.0.0.1'), undefined);
  assert.equal(ips.admit('10.0.0.1'), 'TOO_MANY_CONNECTIONS');
  ips.release('10.0.0.1');
  assert.equal(ips.admit('::ffff:10.0.0.1'), undefined);
});

test('IPv6 clients count by /64: fresh addresses of one block share its connections and attempts', () => {
  const clock = fakeClock();
  const ips = new IpLimiter(2, 3, clock.now);
  assert.equal(ips.admit('2001:db8:aa:1::1'), undefined);
  assert.equal(ips.admit('2001:db8:aa:1::2'), undefined);
  assert.equal(ips.admit('2001:db8:aa:1::3'), 'TOO_MANY_CONNECTIONS');
  ips.release('2001:db8:aa:1::1');
  assert.equal(ips.admit('2001:db8:aa:1:1:2:3:4'), undefined, 'a slot of the block, freed');
  assert.equal(ips.canAttempt('2001:db8:aa:1::9'), false, 'the block has spent its 3 attempts');
  assert.equal(ips.admit('2001:db8:aa:2::1'), undefined, 'the neighbouring /64 is another client');
  assert.equal(ips.size, 2);
});
