/**
 * The soak's growth verdict (soak/growth.ts): a leak lifts the RSS floor and fails; the sawtooth of a
 * lazily collected heap, however high its last peak, passes; fds are compared first to last; each
 * incarnation of a process (b after a kill) is judged on its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { growthProblems, type MinuteSample } from '../../../soak/growth.js';

const minutes = (rss: number[], opts: { pid?: number; fds?: (i: number) => number } = {}): MinuteSample[] =>
  rss.map((rssMiB, i) => ({
    minute: i + 1,
    a: { pid: opts.pid ?? 100, rssMiB, fds: opts.fds?.(i) ?? 126 },
  }));

test('a sawtooth whose last sample peaks passes: the floor did not move', () => {
  // The 60-minute run's shape: 156 at minute 2, peaks past +30 %, back down by itself.
  const rss = [163, 156, 172, 180, 190, 209, 184, 170, 190, 200, 159, 172, 210];
  assert.deepEqual(growthProblems(minutes(rss), 2), []);
});

test('a leak lifts the floor and fails, naming the process and both floors', () => {
  const rss = Array.from({ length: 30 }, (_, i) => 150 + 3 * i); // +3 MiB a minute, no dip
  const problems = growthProblems(minutes(rss), 2);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^a \(pid 100\) RSS floor 153 → 225 MiB/);
});

test('fds are judged first to last, without a floor', () => {
  const problems = growthProblems(minutes([150, 150, 150, 150, 150], { fds: (i) => 126 + 10 * i }), 2);
  assert.deepEqual(problems, ['a (pid 100) fds 136 → 166']);
});

test("each PID is judged on its own: a restarted process's smaller RSS is not a drop, one sample is nothing", () => {
  const samples: MinuteSample[] = [
    { minute: 2, b: { pid: 1, rssMiB: 100, fds: 126 } },
    { minute: 3, b: { pid: 1, rssMiB: 101, fds: 126 } },
    { minute: 4, b: { pid: 2, rssMiB: 300, fds: 200 } },
  ];
  assert.deepEqual(growthProblems(samples, 2), []);
});
