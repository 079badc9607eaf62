import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isClawError } from '../../../src-main/core/errors.js';
import { DEFAULT_RELAY_LIMITS, resolveRelayLimits } from '../../../src-main/protocol/relay-limits.js';

test('defaults: 1 MiB frames, 15 s pings, dead link detected in under 45 s', () => {
  const limits = resolveRelayLimits();
  assert.deepEqual(limits, DEFAULT_RELAY_LIMITS);
  assert.equal(limits.maxFrameBytes, 1024 * 1024);
  assert.equal(limits.pingIntervalMs, 15_000);
  assert.ok(
    (limits.maxMissedPongs + 1) * limits.pingIntervalMs <= 45_000,
    '(limits.maxMissedPongs + 1) * limits.pingIntervalMs <= 45_000',
  );
  assert.ok(
    limits.bufferHighWaterBytes < limits.maxBufferedBytes,
    'limits.bufferHighWaterBytes < limits.maxBufferedBytes',
  );
});

test('idle nodes ping every 60 s, within the idle timeout twice; 4 short intervals when only those are set', () => {
  const limits = resolveRelayLimits();
  assert.equal(limits.idlePingIntervalMs, 60_000);
  assert.ok(
    2 * limits.idlePingIntervalMs <= limits.idleTimeoutMs,
    '2 * limits.idlePingIntervalMs <= limits.idleTimeoutMs',
  );
  assert.equal(resolveRelayLimits({ pingIntervalMs: 100 }).idlePingIntervalMs, 400);
  assert.equal(resolveRelayLimits({ pingIntervalMs: 100, idlePingIntervalMs: 100 }).idlePingIntervalMs, 100);
  assert.throws(
    () => resolveRelayLimits({ pingIntervalMs: 100, idlePingIntervalMs: 50 }),
    /idlePingIntervalMs \(50\) must be at least pingIntervalMs \(100\)/,
  );
});

test('overrides apply; undefined keeps the default', () => {
  const limits = resolveRelayLimits({ circuitsPerNode: 3, idleTimeoutMs: undefined });
  assert.equal(limits.circuitsPerNode, 3);
  assert.equal(limits.idleTimeoutMs, DEFAULT_RELAY_LIMITS.idleTimeoutMs);
});

test('bad limits are CONFIG_INVALID and name the limit', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ circuitsPerNode: 0 }, /circuitsPerNode must be a whole number from 1 to 4294967295, got 0/],
    [{ circuitsPerNode: 1.5 }, /got 1.5/],
    [{ idleTimeoutMs: '10' }, /idleTimeoutMs must be a whole number .* got "10"/],
    [{ maxFrameBytes: 2 ** 32 }, /maxFrameBytes must be a whole number/],
    [{ maxFrameBytes: 1000 }, /maxFrameBytes must be at least 8192, got 1000/],
    [
      { bufferHighWaterBytes: 10, maxBufferedBytes: 10 },
      /bufferHighWaterBytes \(10\) must be below maxBufferedBytes \(10\)/,
    ],
    [{ nope: 1 }, /unknown relay limit 'nope'/],
  ];
  for (const [partial, message] of bad) {
    assert.throws(
      () => resolveRelayLimits(partial),
      (err) => isClawError(err, 'CONFIG_INVALID') && message.test(err.message),
      JSON.stringify(partial),
    );
  }
});

test('reservedCircuits is circuitsPerNode / 8 unless set, and must stay below circuitsPerNode', () => {
  assert.equal(DEFAULT_RELAY_LIMITS.reservedCircuits, DEFAULT_RELAY_LIMITS.circuitsPerNode / 8);
  assert.equal(resolveRelayLimits({ circuitsPerNode: 64 }).reservedCircuits, 8);
  assert.equal(resolveRelayLimits({ circuitsPerNode: 2 }).reservedCircuits, 0);
  assert.equal(resolveRelayLimits({ circuitsPerNode: 64, reservedCircuits: 3 }).reservedCircuits, 3);
  assert.throws(
    () => resolveRelayLimits({ circuitsPerNode: 4, reservedCircuits: 4 }),
    (err) =>
      isClawError(err, 'CONFIG_INVALID') &&
      /reservedCircuits \(4\) must be below circuitsPerNode \(4\)/.test(err.message),
  );
  assert.ok(
    DEFAULT_RELAY_LIMITS.circuitsPerSourceIp < DEFAULT_RELAY_LIMITS.circuitsPerNode,
    'DEFAULT_RELAY_LIMITS.circuitsPerSourceIp < DEFAULT_RELAY_LIMITS.circuitsPerNode',
  );
});
