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

test('a peer named like a numbered tab ("b 2") keeps its name; the second tab on b skips it', () => {
  // The peer "b 2" may come before or after b's tabs: no order gives two tabs one label.
  for (const order of [
    [
      { key: 1, peerName: 'b' },
      { key: 2, peerName: 'b 2' },
      { key: 3, peerName: 'b' },
    ],
    [
      { key: 2, peerName: 'b 2' },
      { key: 1, peerName: 'b' },
      { key: 3, peerName: 'b' },
    ],
  ]) {
    const names = tabNames(order);
    assert.equal(names.get(1)?.label, 'b');
    assert.equal(names.get(2)?.label, 'b 2');
    assert.equal(names.get(3)?.label, 'b 3');
    assert.equal(names.get(3)?.close, 'Close terminal 3 on b');
    assert.equal(names.get(2)?.close, 'Close terminal on b 2');
  }
  // Further tabs on both: "b 2 2" is nobody's name, "b 4" follows "b 3".
  const many = tabNames(['b', 'b 2', 'b', 'b 3', 'b', 'b 2'].map((peerName, key) => ({ key, peerName })));
  const labels = [...many.values()].map((n) => n.label);
  assert.deepEqual(labels, ['b', 'b 2', 'b 4', 'b 3', 'b 5', 'b 2 2']);
  assert.equal(new Set(labels).size, labels.length);
});

test('a badge says `ended` for a session that broke off, `failed` only for one that never opened', () => {
  assert.equal(tabBadge('failed', true, 'direct'), 'ended');
  assert.equal(tabBadge('failed', false, null), 'failed');
  assert.equal(tabBadge('exited', true, 'relay'), 'exited');
  assert.equal(tabBadge('live', true, 'direct'), 'direct');
  assert.equal(tabBadge('live', true, null), 'connecting');
  assert.equal(tabBadge('reconnecting', true, 'relay'), 'reconnecting');
});
