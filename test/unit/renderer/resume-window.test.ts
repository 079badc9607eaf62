/** Settings' terminal resume window: typed in seconds, checked in seconds, saved in milliseconds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TERMINAL_RESUME_MAX_MS,
  TERMINAL_RESUME_MIN_MS,
} from '../../../src-main/terminal/terminal-settings.js';
import {
  parseResumeSeconds,
  RESUME_MAX_S,
  RESUME_MIN_S,
} from '../../../src-renderer/features/settings/resume-window.js';

test("the window's bounds are the agent's, in seconds", () => {
  assert.equal(RESUME_MIN_S * 1000, TERMINAL_RESUME_MIN_MS);
  assert.equal(RESUME_MAX_S * 1000, TERMINAL_RESUME_MAX_MS);
});

test('seconds in range become milliseconds, fractions included, at both edges', () => {
  assert.deepEqual(parseResumeSeconds('120'), { ms: 120_000 });
  assert.deepEqual(parseResumeSeconds(' 1.5 '), { ms: 1500 });
  assert.deepEqual(parseResumeSeconds('1'), { ms: 1000 });
  assert.deepEqual(parseResumeSeconds('86400'), { ms: 86_400_000 });
});

test('out of range or not a number: the error is in seconds, with what was typed', () => {
  assert.deepEqual(parseResumeSeconds('99999999'), {
    error: 'Must be from 1 to 86400 seconds (24 h), got 99999999',
  });
  assert.deepEqual(parseResumeSeconds('0.5'), { error: 'Must be from 1 to 86400 seconds (24 h), got 0.5' });
  assert.deepEqual(parseResumeSeconds('86401'), {
    error: 'Must be from 1 to 86400 seconds (24 h), got 86401',
  });
  for (const bad of ['', '  ', 'abc', 'Infinity']) {
    assert.deepEqual(parseResumeSeconds(bad), {
      error: 'Enter a number of seconds from 1 to 86400 (24 h)',
    });
  }
});
