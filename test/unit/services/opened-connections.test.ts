/**
 * The opening side (services/opened-connections.ts): what this node opens on its peers is listed in the
 * connection table through one place, and a peer removed here ends all of it at once — each with the
 * reason, through its own close (or its peerGone), with the reason in the audit summary — while the
 * connections to other peers, and a peer merely renamed or denied something, are left alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerRecord } from '../../../src-main/state/settings.js';
import type { StateChange } from '../../../src-main/state/state-changes.js';
import { OpenedConnections } from '../../../src-main/services/opened-connections.js';
import { ConnectionTable } from '../../../src-main/connections/connection-table.js';

const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

function world() {
  const listeners = new Set<(change: StateChange) => void>();
  const table = new ConnectionTable();
  const ended: [string, string | undefined][] = [];
  table.events.on('ended', (c, reason) => ended.push([c.to, reason]));
  const opened = new OpenedConnections({
    state: { subscribe: (l) => (listeners.add(l), () => void listeners.delete(l)) },
    connections: table,
  });
  const record = (fp: string, name: string) =>
    ({ fingerprint: fp, name, allow: [] }) as unknown as PeerRecord;
  const change = (id: string, before: PeerRecord | undefined, after: PeerRecord | undefined) => {
    for (const l of listeners) l({ kind: 'peer', id, before, after });
  };
  return { table, ended, opened, record, change };
}

test('a peer removed here ends every connection this node opened on it, at once, saying so', () => {
  const w = world();
  const calls: string[] = [];
  const open = (fp: string, name: string, to: string, extra = {}) =>
    w.opened.open({
      kind: 'forward',
      peer: { name, fingerprint: fp },
      from: '127.0.0.1:5000',
      to,
      close: (reason) => void calls.push(`close ${to}: ${reason}`),
      ...extra,
    });
  open(B, 'b', 'db:5432');
  open(B, 'b', 'shell', {
    kind: 'terminal-opened',
    ending: 'the session is hung up',
    peerGone: (reason: string) => void calls.push(`gone shell: ${reason}`),
  });
  const other = open(C, 'c', 'web:80');
  assert.equal(w.table.size, 3);

  // A rename, or a permission this node gives b, changes nothing here.
  w.change(B, w.record(B, 'b'), w.record(B, 'laptop'));
  assert.deepEqual(calls, []);

  w.change(B, w.record(B, 'b'), undefined);
  assert.deepEqual(calls, [
    'close db:5432: b was removed as a peer here; the connection is closed',
    'gone shell: b was removed as a peer here; the session is hung up',
  ]);
  assert.deepEqual(
    w.table.list().map((c) => c.to),
    ['web:80'],
  );
  assert.deepEqual(w.ended, [
    ['db:5432', 'b was removed as a peer here; the connection is closed'],
    ['shell', 'b was removed as a peer here; the session is hung up'],
  ]);
  // Ended by its owner, it is let go: c removed later has nothing of it to end.
  other.end();
  w.change(C, w.record(C, 'c'), undefined);
  assert.equal(calls.length, 2);
  assert.equal(w.opened.size, 0);
});

test('connections close through the table is the owner’s close, and the peer’s removal after it ends nothing twice', () => {
  const w = world();
  const calls: string[] = [];
  const h = w.opened.open({
    kind: 'socks',
    peer: { name: 'b', fingerprint: B },
    from: '127.0.0.1:5000',
    to: 'db:5432',
    close: (reason) => void calls.push(reason),
  });
  w.table.close(h.id);
  w.change(B, w.record(B, 'b'), undefined);
  assert.deepEqual(calls, ['closed by the owner of this node']);
  assert.equal(w.opened.size, 0);
});
