/** Terminal tabs: names that tell tabs on one peer apart, and the word on each tab's badge. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tabBadge, tabNames } from '../../../src-renderer/features/terminals/tab-labels.js';

test('tabs on one peer get distinct labels and close-button names; the first keeps the plain name', () => {
  const names = tabNames([
    { key: 1, peerName: 'bravo' },
    { key: 4, peerName: 'charlie' },
    { key: 7, peerName: 'bravo' },
    { key: 9, peerName: 'bravo' },
  ]);
  assert.deepEqual(names.get(1), {
    label: 'bravo',
    close: 'Close terminal on bravo',
    panel: 'Terminal on bravo',
    confirm: 'Close the terminal on bravo?',
  });
  assert.deepEqual(names.get(7), {
    label: 'bravo 2',
    close: 'Close terminal 2 on bravo',
    panel: 'Terminal 2 on bravo',
    confirm: 'Close the terminal 2 on bravo?',
  });
  assert.equal(names.get(9)?.label, 'bravo 3');
  assert.equal(names.get(4)?.label, 'charlie');
  const all = [...names.values()];
  assert.equal(new Set(all.map((n) => n.label)).size, all.length);
  assert.equal(new Set(all.map((n) => n.close)).size, all.length);
});

test('a badge says `ended` for a session that broke off, `failed` only for one that never opened', () => {
  assert.equal(tabBadge('failed', true, 'direct'), 'ended');
  assert.equal(tabBadge('failed', false, null), 'failed');
  assert.equal(tabBadge('exited', true, 'relay'), 'exited');
  assert.equal(tabBadge('live', true, 'direct'), 'direct');
  assert.equal(tabBadge('live', true, null), 'connecting');
  assert.equal(tabBadge('reconnecting', true, 'relay'), 'reconnecting');
});
