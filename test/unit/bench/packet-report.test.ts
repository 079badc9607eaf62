import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatEcho, LISTED_SLOW_KEYS, summarizeEcho, type KeySample } from '../../../bench/packet-report.js';

const keys = (ms: number[]): KeySample[] => ms.map((m, i) => ({ atMs: i * 100, ms: m }));

describe('summarizeEcho', () => {
  it('gives nearest-rank percentiles, the largest echo, and the keys over the bound with when they were typed', () => {
    const samples = keys([...Array<number>(98).fill(50), 271, 65]);
    const s = summarizeEcho(samples, 70);
    assert.equal(s.keys, 100);
    assert.equal(s.p50, 50);
    assert.equal(s.p99, 65);
    assert.equal(s.max, 271);
    assert.deepEqual(s.over, [{ atMs: 9800, ms: 271 }]);
  });

  it('refuses a phase without keys', () => {
    assert.throws(() => summarizeEcho([], 70), /no keys/);
  });
});

describe('formatEcho', () => {
  it('says how far over the RTT the p99 is and lists the slow keys', () => {
    const line = formatEcho(summarizeEcho(keys([44, 45, 285]), 70), 40, 30);
    assert.match(line, /p99 285\.0 ms = RTT \+ 245\.0 ms/);
    assert.match(line, /1 of 3 keys over RTT \+ 30 ms \(typed at 0\.2 s: 285 ms\)/);
  });

  it('lists only the slowest keys, in the order they were typed, when many were slow', () => {
    const ms = Array.from({ length: 30 }, (_, i) => (i === 7 ? 400 : i === 20 ? 300 : 170));
    const line = formatEcho(summarizeEcho(keys(ms), 70), 40, 30);
    assert.match(line, /30 of 30 keys over RTT \+ 30 ms \(typed at 0\.0 s: 170 ms, .*; the slowest 10\)$/);
    assert.equal(line.match(/ s: /g)?.length, LISTED_SLOW_KEYS);
    assert.ok(line.indexOf('0.7 s: 400 ms') < line.indexOf('2.0 s: 300 ms'), line);
  });

  it('says so when no key was over the bound', () => {
    assert.match(formatEcho(summarizeEcho(keys([44, 45]), 70), 40, 30), /none of 2 keys over RTT \+ 30 ms$/);
  });
});
