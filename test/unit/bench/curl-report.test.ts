/** bench/curl-report.ts: the table of `npm run bench:curl`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCurlReport } from '../../../bench/curl-report.js';

test('medians, ratios against the first path, and every round in order', () => {
  const lines = formatCurlReport(
    [
      { name: 'ssh-L', MBps: [600, 700, 650] },
      { name: 'forward-direct', MBps: [520, 480, 585.4] },
      { name: 'forward-relay', MBps: [] },
    ],
    2 ** 30,
    3,
  );
  assert.deepEqual(lines, [
    '1 GiB with curl from a sendfile server, 3 rounds in turns (MB/s: median, ratio, each round)',
    'ssh-L             650  1.00x  (600 700 650)',
    'forward-direct    520  0.80x  (520 480 585)',
    'forward-relay       -      -  ()',
  ]);
});
