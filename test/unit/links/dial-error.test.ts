import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClawError } from '../../../src-main/core/errors.js';
import { reportedDialError } from '../../../src-main/links/path-dialers.js';

test("a peer's refusal speaks for all its addresses; otherwise the best (first dialed) address's failure does", () => {
  const stale = new ClawError('CONNECT_FAILED', 'direct connection to 127.0.0.1:37157 failed');
  const removed = new ClawError('UNKNOWN_PEER', 'node a was removed by b', { refusal: 'REMOVED' });
  const best = new ClawError('CONNECT_FAILED', 'direct connection to 127.0.0.1:35445 failed');
  assert.equal(reportedDialError([stale, removed]), removed);
  assert.equal(reportedDialError([removed, stale]), removed);
  assert.equal(reportedDialError([best, stale]), best);
});
