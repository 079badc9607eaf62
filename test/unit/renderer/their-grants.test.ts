/** What a peer lets this device do, in the window's words, and when a picker must not offer it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  grantsText,
  refusal,
  refusedAllBecause,
  refusedBecause,
  theirGrantsText,
} from '../../../src-renderer/lib/their-grants.js';

test('a peer that said what it grants refuses what it left out, with the words the pickers show', () => {
  const n3 = { name: 'n3', theyAllow: ['forward' as const] };
  assert.equal(refusedBecause(n3, 'terminal'), 'n3 does not allow terminals from this device');
  assert.equal(refusal(n3, 'relay'), 'does not allow relaying from this device');
  assert.equal(refusal(n3, 'listen'), 'does not allow reverse forwards from this device');
  assert.equal(refusal(n3, 'forward'), null);
});

test('unknown grants (not said yet, or an older agent) refuse nothing', () => {
  assert.equal(refusal({ theyAllow: null }, 'terminal'), null);
  assert.equal(refusal({}, 'terminal'), null);
  assert.equal(theirGrantsText({ theyAllow: null }), 'not known yet');
  assert.equal(theirGrantsText({ theyAllow: [] }), 'nothing');
  assert.equal(theirGrantsText({ theyAllow: ['terminal', 'forward'] }), 'terminal, forward');
});

test("a peer card's one line names everything the peer refuses, or nothing", () => {
  const none = { name: 'b', theyAllow: [] };
  assert.equal(
    refusedAllBecause(none, ['terminal', 'forward']),
    'b does not allow terminals or forwards from this device',
  );
  assert.equal(
    refusedAllBecause({ name: 'b', theyAllow: ['terminal' as const] }, ['terminal', 'forward']),
    'b does not allow forwards from this device',
  );
  assert.equal(refusedAllBecause({ name: 'b', theyAllow: null }, ['terminal', 'forward']), null);
});

test('grants read in the permissions order, whatever order they were given in; none is nothing', () => {
  assert.equal(grantsText(['message', 'terminal', 'forward']), 'terminal, forward, message');
  assert.equal(grantsText(['listen', 'terminal']), 'terminal, listen');
  assert.equal(grantsText([]), 'nothing');
});
