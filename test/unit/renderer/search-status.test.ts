/** The terminal search's live region: what it says after Next or Previous. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { searchStatus } from '../../../src-renderer/features/terminals/search-status.js';

test('a search with no match says so, naming what was searched for', () => {
  assert.equal(
    searchStatus('zzznotthere', { found: false, index: -1, count: 0 }, 1000),
    'No matches for “zzznotthere”',
  );
  // The addon without decorations gives no count: the answer still says there is none.
  assert.equal(searchStatus('zzz', { found: false, index: -1, count: null }, 1000), 'No matches for “zzz”');
});

test('a match is counted: which of how many, and "or more" at the highlight limit', () => {
  assert.equal(searchStatus('ls', { found: true, index: 1, count: 5 }, 1000), 'Match 2 of 5');
  assert.equal(searchStatus('ls', { found: true, index: 0, count: 1 }, 1000), 'Match 1 of 1');
  assert.equal(searchStatus('e', { found: true, index: 2, count: 1000 }, 1000), 'Match 3 of 1000 or more');
  assert.equal(searchStatus('e', { found: true, index: -1, count: 1000 }, 1000), '1000 or more matches');
  assert.equal(searchStatus('ls', { found: true, index: -1, count: null }, 1000), 'Match found');
});

test('nothing is said before a search, or for an empty query', () => {
  assert.equal(searchStatus('ls', null, 1000), '');
  assert.equal(searchStatus('', { found: false, index: -1, count: 0 }, 1000), '');
});
