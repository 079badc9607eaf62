/**
 * The browser's device links (src-web/window/devices.ts): the window links to each paired device on
 * start, hears when a link comes up or ends (and why), tries again the devices not linked, but not
 * one that refused this browser until it is paired again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LinkChange } from '../../../src-web/node/browser-node.js';
import type { PairedDevice } from '../../../src-web/node/store.js';
import { DeviceLinks, type LinkingNode } from '../../../src-web/window/devices.js';

class FakeNode implements LinkingNode {
  paired: PairedDevice[] = [
    { fingerprint: 'aa'.repeat(32), name: 'office', relayUrl: 'ws://r' },
    { fingerprint: 'bb'.repeat(32), name: 'laptop', relayUrl: 'ws://r' },
  ];
  dialed: string[] = [];
  private listener: ((c: LinkChange) => void) | undefined;
  devices() {
    return Promise.resolve(this.paired);
  }
  connect(fingerprint: string) {
    this.dialed.push(fingerprint);
    return Promise.resolve();
  }
  onLinkChange(listener: (c: LinkChange) => void) {
    this.listener = listener;
    return () => (this.listener = undefined);
  }
  tell(change: LinkChange) {
    this.listener?.(change);
  }
}

test('links to every device at start and shows each one’s state as its link says', async () => {
  const node = new FakeNode();
  let changes = 0;
  const links = new DeviceLinks(node, () => changes++);
  try {
    await links.start();
    assert.deepEqual(node.dialed, ['aa'.repeat(32), 'bb'.repeat(32)]);
    assert.deepEqual(
      links.peers().map((p) => p.state),
      ['offline', 'offline'],
    );
    const before = changes;
    node.tell({ fingerprint: 'aa'.repeat(32), up: true });
    node.tell({ fingerprint: 'bb'.repeat(32), up: false, reason: 'relay closed the connection (1006)' });
    assert.equal(changes, before + 2, 'each change is news for the window');
    assert.deepEqual(
      links.peers().map((p) => [p.name, p.state]),
      [
        ['office', 'online'],
        ['laptop', 'unreachable'],
      ],
    );
  } finally {
    links.close();
  }
});

test('tries again the devices not linked, but not one that removed this browser until paired again', async () => {
  const node = new FakeNode();
  const links = new DeviceLinks(node, () => undefined);
  try {
    await links.start();
    node.tell({ fingerprint: 'aa'.repeat(32), up: false, reason: 'gone', refusal: 'REMOVED' });
    node.tell({ fingerprint: 'bb'.repeat(32), up: false, reason: 'no such node' });
    node.dialed = [];
    links.probe();
    assert.deepEqual(node.dialed, ['bb'.repeat(32)]);
    assert.equal(links.peers()[0]!.state, 'refused');

    node.dialed = [];
    await links.paired('aa'.repeat(32));
    assert.ok(node.dialed.includes('aa'.repeat(32)), 'paired again: dialed again');
    assert.equal(links.peers()[0]!.state, 'offline', 'the old refusal no longer counts');
  } finally {
    links.close();
  }
});

test('a device forgotten here leaves the list', async () => {
  const node = new FakeNode();
  const links = new DeviceLinks(node, () => undefined);
  try {
    await links.start();
    node.paired = node.paired.slice(1);
    await links.reload();
    assert.deepEqual(
      links.peers().map((p) => p.name),
      ['laptop'],
    );
  } finally {
    links.close();
  }
});
