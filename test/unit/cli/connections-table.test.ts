/** `clawbridge connections` as a table: one row per connection, the peer with its short fingerprint. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionsTable } from '../../../src-main/cli/connections-command.js';

test('connections table: columns, peer with fingerprint, bytes and age; an empty list says so', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  const out = connectionsTable(
    [
      {
        id: 'c1',
        kind: 'socks',
        peer: { name: 'office', fingerprint: 'ab12cd34'.repeat(8) },
        from: '127.0.0.1:50123',
        to: 'db.internal:5432',
        bytesIn: 2048,
        bytesOut: 10,
        openedAt: '2026-01-01T11:58:00Z',
        ageMs: 120_000,
      },
      {
        id: 'c2',
        kind: 'terminal-opened',
        peer: null,
        from: 'this node',
        to: 'shell',
        bytesIn: 0,
        bytesOut: 0,
        openedAt: '2026-01-01T11:59:55Z',
        ageMs: 5_000,
      },
    ],
    now,
  );
  assert.equal(
    out,
    [
      'ID  KIND             PEER               FROM             TO                IN       OUT   AGE',
      'c1  socks            office (ab12cd34)  127.0.0.1:50123  db.internal:5432  2.0 KiB  10 B  2m',
      'c2  terminal-opened  -                  this node        shell             0 B      0 B   5s',
    ].join('\n'),
  );
  assert.equal(connectionsTable([], now), 'no open connections');
});
