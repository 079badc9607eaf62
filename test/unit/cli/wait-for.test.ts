/** `--wait DURATION` (src-main/cli/wait-for.ts): what is retried, for how long, and what is given back. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClawError } from '../../../src-main/core/errors.js';
import { MAX_WAIT_MS, parseWait, retryFor } from '../../../src-main/cli/wait-for.js';

test('--wait parses like other durations, 0 when absent, at most an hour', () => {
  assert.equal(parseWait(undefined), 0);
  assert.equal(parseWait('30s'), 30_000);
  assert.equal(parseWait('1h'), MAX_WAIT_MS);
  assert.throws(() => parseWait('2h'), /--wait must be at most 1h, got '2h'/);
  assert.throws(() => parseWait('soon'), /--wait 'soon' is not a duration/);
});

test('a retryable error is tried again until the attempt succeeds', async () => {
  let calls = 0;
  const value = await retryFor(
    5_000,
    ['NO_AGENT'],
    () => {
      calls++;
      if (calls < 3) return Promise.reject(new ClawError('NO_AGENT', 'not yet'));
      return Promise.resolve('up');
    },
    5,
  );
  assert.equal(value, 'up');
  assert.equal(calls, 3);
});

test('undefined means "not yet": retried, and undefined again when the time runs out', async () => {
  const started = Date.now();
  assert.equal(await retryFor(60, [], () => Promise.resolve(undefined), 5), undefined);
  assert.ok(Date.now() - started >= 55, 'it waited the whole time');
});

test('an error of another code fails at once; a retryable one fails when the time runs out', async () => {
  let calls = 0;
  await assert.rejects(
    retryFor(5_000, ['NO_AGENT'], () => {
      calls++;
      return Promise.reject(new ClawError('PEER_NOT_FOUND', 'no peer x'));
    }),
    /no peer x/,
  );
  assert.equal(calls, 1);
  await assert.rejects(
    retryFor(
      50,
      ['PEER_OFFLINE'],
      async () => Promise.reject(new ClawError('PEER_OFFLINE', 'b is offline')),
      5,
    ),
    /b is offline/,
  );
});

test('without --wait (0 ms) there is exactly one attempt', async () => {
  let calls = 0;
  await assert.rejects(
    retryFor(0, ['NO_AGENT'], () => {
      calls++;
      return Promise.reject(new ClawError('NO_AGENT', 'no agent'));
    }),
  );
  assert.equal(calls, 1);
});
