/**
 * The store's live connections: each `connections` event replaces the list without a request, and a
 * malformed one is ignored (the window shows what the agent last said).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectionInfo } from '../../../src-main/api/contract.js';
import { ApiClient } from '../../../src-renderer/api/client.js';
import { FakeTransport } from '../../../src-renderer/api/fake-transport.js';
import { AgentStore } from '../../../src-renderer/api/store.js';

const conn = (id: string, bytesIn: number): ConnectionInfo => ({
  id,
  kind: 'forward',
  peer: { name: 'b', fingerprint: 'ab'.repeat(32) },
  from: '127.0.0.1:50000',
  to: 'web:80',
  bytesIn,
  bytesOut: 0,
  openedAt: new Date(0).toISOString(),
  ageMs: 0,
});

test('a connections event replaces the list without a request; a malformed one changes nothing', () => {
  const t = new FakeTransport({ kind: 'connecting' });
  const store = new AgentStore(new ApiClient(t));
  assert.deepEqual(store.get().connections, []);
  let renders = 0;
  store.subscribe(() => renders++);
  t.emit('connections', { connections: [conn('c1', 5)] });
  assert.deepEqual(store.get().connections, [conn('c1', 5)]);
  t.emit('connections', { connections: [conn('c1', 9), conn('c2', 0)] });
  assert.deepEqual(
    store.get().connections.map((c) => [c.id, c.bytesIn]),
    [
      ['c1', 9],
      ['c2', 0],
    ],
  );
  const before = store.get();
  t.emit('connections', { nope: true });
  assert.equal(store.get(), before, 'the same snapshot: nothing re-renders');
  assert.equal(renders, 2);
  assert.equal(t.calls.length, 0);
});
