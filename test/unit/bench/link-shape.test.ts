import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Bottleneck,
  latenessSummary,
  halfLeg,
  QueueLog,
  segmentBytes,
  symmetricLink,
  TimedFifo,
  validLinkSpec,
} from '../../../bench/link-shape.js';
import { ceilingBytesPerS, parseProfile, PROFILES } from '../../../bench/link-profiles.js';

// 1 MB/s: a byte takes 1 µs, 1000 bytes 1 ms.
const spec = { delayMs: 20, rateBytesPerS: 1e6, bufferBytes: 3000 };

test('a segment arrives after its serialization plus the one-way delay', () => {
  const b = new Bottleneck<string>(spec);
  b.push('a', 1000, 0);
  assert.equal(b.nextAt(), 1);
  assert.deepEqual(b.take(1), []);
  assert.equal(b.nextAt(), 21);
  assert.deepEqual(b.take(21), [{ item: 'a', at: 21 }]);
  assert.equal(b.nextAt(), undefined);
});

test('segments queue behind each other at the rate: the queue is the latency', () => {
  const b = new Bottleneck<string>(spec);
  for (const x of ['a', 'b', 'c']) b.push(x, 1000, 0);
  assert.equal(b.queuedBytes, 3000);
  assert.equal(b.full(), true);
  // A key pressed now waits for the 3 ms of bytes ahead of it.
  b.push('key', 1, 0);
  assert.deepEqual(
    b.take(100).map((x) => [x.item, x.at]),
    [
      ['a', 21],
      ['b', 22],
      ['c', 23],
      ['key', 23.001],
    ],
  );
  assert.equal(b.queuedBytes, 0);
  assert.equal(b.full(), false);
});

test('the queue drains at the rate: bytes leave it when their serialization ends', () => {
  const b = new Bottleneck<string>(spec);
  for (const x of ['a', 'b', 'c']) b.push(x, 1000, 0);
  b.take(2);
  assert.equal(b.queuedBytes, 1000);
  assert.equal(b.full(), false);
});

test('an idle link does not bank credit: a late segment starts when it arrives', () => {
  const b = new Bottleneck<string>(spec);
  b.push('a', 1000, 0);
  b.push('b', 1000, 50);
  assert.deepEqual(
    b.take(1000).map((x) => x.at),
    [21, 71],
  );
});

test('a TimedFifo releases only what is due, in order', () => {
  const f = new TimedFifo<number>();
  f.push(1, 5);
  f.push(2, 3); // never before the one ahead of it
  f.push(3, 9);
  assert.deepEqual(f.takeDue(4), []);
  assert.deepEqual(f.takeDue(5), [
    { item: 1, at: 5 },
    { item: 2, at: 5 },
  ]);
  assert.equal(f.length, 1);
  assert.equal(f.nextAt(), 9);
});

test('symmetricLink splits the RTT and converts the rate', () => {
  const l = symmetricLink(100, 40, 1 << 20);
  assert.equal(l.up.delayMs, 20);
  assert.equal(l.down.rateBytesPerS, 12.5e6);
  assert.equal(l.windowBytes, 6 * 1024 * 1024);
});

test('validLinkSpec refuses what an emulator cannot run', () => {
  const good = symmetricLink(100, 40, 1 << 20);
  assert.deepEqual(validLinkSpec(JSON.parse(JSON.stringify(good))), good);
  assert.throws(() => validLinkSpec({ ...good, windowBytes: 0 }));
  assert.throws(() => validLinkSpec({ ...good, up: { ...good.up, rateBytesPerS: 0 } }));
  assert.throws(() => validLinkSpec({ ...good, down: { ...good.down, delayMs: -1 } }));
  assert.throws(() => validLinkSpec(null));
});

test('latenessSummary: nearest-rank percentiles and the maximum', () => {
  assert.deepEqual(latenessSummary([]), { p50: 0, p99: 0, max: 0 });
  const s = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.deepEqual(latenessSummary(s), { p50: 51, p99: 100, max: 100 });
});

test('profiles: the three of the issue, selected with --profile', () => {
  assert.deepEqual(
    PROFILES.map((p) => p.name),
    ['lan', 'broadband', 'long-fat'],
  );
  assert.equal(parseProfile([]), null);
  assert.equal(parseProfile(['--profile', 'broadband'])?.rttMs, 40);
  assert.equal(parseProfile(['--profile=long-fat'])?.name, 'long-fat');
  assert.throws(() => parseProfile(['--profile', 'dialup']), /no profile is called/);
});

test('long-fat, and only long-fat, times first downloads on new connections (issue 52)', () => {
  assert.deepEqual(
    PROFILES.filter((p) => p.freshDownload).map((p) => p.name),
    ['long-fat'],
  );
});

test('the ceiling of a long fat path is the window per round trip', () => {
  const longFat = parseProfile(['--profile', 'long-fat'])!;
  assert.equal(Math.round(ceilingBytesPerS(longFat.spec)), Math.round((6 * 1024 * 1024) / 0.1));
  const broadband = parseProfile(['--profile', 'broadband'])!;
  assert.equal(ceilingBytesPerS(broadband.spec), 12.5e6);
});

test('segments are half a millisecond of the path, within one frame and one 64 KiB read', () => {
  assert.equal(segmentBytes(12.5e6), 6250);
  assert.equal(segmentBytes(125e6), 62_500);
  assert.equal(segmentBytes(1e6), 1500);
  assert.equal(segmentBytes(10e9), 64 * 1024);
});

test('a relay leg has half the delay, so two legs make the profile RTT', () => {
  const leg = halfLeg(symmetricLink(100, 40, 1 << 20));
  assert.equal(leg.up.delayMs + leg.down.delayMs, 20);
  assert.equal(leg.down.rateBytesPerS, 12.5e6);
});

test('push tells the per-hop accounting how long a segment waits and how many bytes are ahead of it', () => {
  const b = new Bottleneck<string>(spec);
  assert.deepEqual(b.push('a', 1000, 0), { aheadBytes: 0, waitMs: 0 });
  assert.deepEqual(b.push('b', 1000, 0), { aheadBytes: 1000, waitMs: 1 });
  // Half of a has left by 0.5 ms, but the queue counts it until it is out: a key waits 1.5 ms.
  assert.deepEqual(b.push('key', 1, 0.5), { aheadBytes: 2000, waitMs: 1.5 });
  b.take(10);
  // An idle bottleneck again: no wait.
  assert.deepEqual(b.push('c', 1000, 10), { aheadBytes: 0, waitMs: 0 });
});

test('QueueLog summarises waits and occupancy, forgets on clear and stays bounded', () => {
  const log = new QueueLog(4);
  assert.deepEqual(log.summary(), {
    segments: 0,
    waitMs: { p50: 0, p99: 0, max: 0 },
    aheadBytes: { p50: 0, p99: 0, max: 0 },
  });
  for (const w of [1, 2, 3, 4]) log.add({ waitMs: w, aheadBytes: w * 100 });
  assert.deepEqual(log.summary().waitMs, { p50: 3, p99: 4, max: 4 });
  log.add({ waitMs: 50, aheadBytes: 5000 });
  // The older half went: 3, 4, 50.
  assert.equal(log.summary().segments, 3);
  assert.deepEqual(log.summary().aheadBytes, { p50: 400, p99: 5000, max: 5000 });
  log.clear();
  assert.equal(log.summary().segments, 0);
});
