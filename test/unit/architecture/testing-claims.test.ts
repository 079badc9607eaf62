/**
 * What docs/testing.md says of the tests' shape, held to it: the folders under test/, what `until`
 * does and its default deadline, what the fake clock stands in for, how scripts/run-tests.mjs groups
 * files, and which lint runs where (the fast path caches, `npm run lint` does not and is what `npm
 * test` and CI run). The helpers' table is held by shared-helpers.test.ts, the budgets by
 * doc-budgets.test.ts, the no-sleep forms by no-fixed-sleep.test.ts.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../../src-main/app/api/events.js';
import type { RetryTimers } from '../../../src-main/forwards/retry-schedule.js';
import { fakeClock } from '../../helpers/fake-clock.js';
import { until, UNTIL_DEFAULT_MS } from '../../helpers/wait.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (rel: string) => readFileSync(path.join(root, rel), 'utf8');
const doc = read('docs/testing.md');

/** The paragraph of docs/testing.md that starts with `start`. */
function paragraph(start: string): string {
  const at = doc.indexOf(start);
  assert.ok(at >= 0, `docs/testing.md says "${start}"`);
  const end = doc.indexOf('\n\n', at);
  return doc.slice(at, end < 0 ? undefined : end);
}

test('the folders docs/testing.md says test/ holds are the folders under test/', () => {
  const named = [
    ...paragraph('`test/` holds')
      .slice('`test/`'.length)
      .matchAll(/`([\w-]+)\/`/g),
  ].map((m) => m[1]!);
  const there = readdirSync(path.join(root, 'test'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  assert.deepEqual(named.sort(), there.sort());
});

test('until returns what the check found, and on its deadline names what it waited for and the last error', async () => {
  let calls = 0;
  assert.equal(await until('the third call', () => ++calls >= 3 && calls), 3);
  await assert.rejects(
    until(
      'the moon',
      () => {
        throw new Error('not risen');
      },
      5,
    ),
    /waiting for the moon: not risen/,
  );
});

test("until's default deadline is the one docs/testing.md gives", () => {
  const m = /gets (\d+) s \(the default\)/.exec(paragraph('A test waits for what it can observe'));
  assert.ok(m, '§Waiting gives the default');
  assert.equal(Number(m[1]) * 1000, UNTIL_DEFAULT_MS);
});

test('the fake clock fits Clock, RetryTimers and a bare now()', () => {
  const clock = fakeClock(5);
  // Compile-time: each assignment fails the typecheck when the fake stops fitting.
  const asClock: Clock = clock;
  const asTimers: RetryTimers = clock;
  const now: () => number = clock.now;
  assert.equal(now(), 5);
  assert.ok(asClock && asTimers, 'the fake stands in for both');
});

test('scripts/run-tests.mjs groups the files docs/testing.md says it groups, as many at once as it says', () => {
  const runner = read('scripts/run-tests.mjs');
  const text = paragraph('`npm test` runs');
  const m = /the ([\w, ]+) files in groups of (\d+) per process/.exec(text.replace(/\s+/g, ' '));
  assert.ok(m, '§How the suite runs names the grouped files and the group size');
  assert.equal(Number(/const GROUP_SIZE = (\d+);/.exec(runner)?.[1]), Number(m[2]));
  const dirs = JSON.parse(
    (/const GROUPED_DIRS = (\[[^\]]*\]);/.exec(runner)?.[1] ?? '[]').replace(/'/g, '"'),
  ) as string[];
  const kinds = m[1]!.split(/, | and /).map((k) => k.trim());
  // The doc says "vector" of the folder vectors/.
  assert.deepEqual(dirs.map((d) => d.replace(/s$/, '')).sort(), kinds.map((k) => k.replace(/s$/, '')).sort());
  // Spelled in two halves: written whole, it would put this file in a process of its own.
  const marker = ['test-runner', 'own process'].join(': ');
  assert.ok(
    runner.includes(marker) && text.includes(marker),
    'the marker the doc names is the one the runner reads',
  );
});

test('npm run lint, what npm test and .ci/run run, lints everything uncached; lint:changed is the cached fast path', () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  assert.ok(scripts.lint, 'npm run lint');
  assert.doesNotMatch(scripts.lint, /--cache/, 'npm run lint keeps no cache');
  assert.match(scripts.test ?? '', /\blint\b/, 'npm test runs the lint');
  assert.match(read('.ci/run'), /^npm test$/m, '.ci/run runs npm test');
  assert.equal(scripts['lint:changed'], 'node scripts/lint-changed.mjs');
  const fast = read('scripts/lint-changed.mjs');
  for (const said of ['--base', '--fix', 'node_modules/.cache'])
    assert.ok(
      fast.includes(said) && doc.includes(said),
      `docs/testing.md and lint-changed.mjs both say ${said}`,
    );
});
