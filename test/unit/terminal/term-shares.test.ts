/**
 * `term shares` / `term unshare ID` (term-shares.ts): which first words of `term` are about shared
 * terminals rather than a peer's name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareWord } from '../../../src-main/terminal/cli/term-shares.js';

test('term shares and term unshare ID are share words; any other first word names a peer', () => {
  assert.deepEqual(shareWord('shares', []), { word: 'shares' });
  assert.deepEqual(shareWord('unshare', ['0123456789abcdef']), {
    word: 'unshare',
    args: ['0123456789abcdef'],
  });
  // `term shares -- ls` runs ls on a peer called shares: a command after the word makes it a name.
  assert.equal(shareWord('shares', ['ls']), undefined);
  assert.equal(shareWord('office', []), undefined);
  assert.equal(shareWord('Shares', []), undefined, 'the words are lower case, as typed in the docs');
});
