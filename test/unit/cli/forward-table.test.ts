/** `forward list`: a listening forward's row says why its connections fail while its exit peer is away. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ForwardInfo, PeerState } from '../../../src-main/api/contract.js';
import { forwardTable } from '../../../src-main/cli/forward-commands.js';
import { peer } from '../electron/status-fixtures.js';

const forward = (name: string, via: string, viaFingerprint: string | null): ForwardInfo => ({
  name,
  local: '127.0.0.1:8080',
  via,
  viaFingerprint,
  remote: '127.0.0.1:80',
  state: 'listening',
  open: 0,
  connections: 0,
  bytesIn: 0,
  bytesOut: 0,
});

test('each state of the exit peer, in words; nothing added while it is online', () => {
  const states: PeerState[] = ['online', 'offline', 'unreachable', 'waiting', 'refused'];
  const peers = states.map((s) => peer(s, s));
  const rows = forwardTable(
    [
      ...peers.map((p) => forward(`via-${p.name}`, p.name, p.fingerprint)),
      forward('gone', 'old', 'f'.repeat(64)),
    ],
    undefined,
    peers,
  )
    .split('\n')
    .slice(1)
    .map((l) => l.replace(/^.*listening/, 'listening'));
  assert.deepEqual(rows, [
    'listening',
    'listening; offline is offline',
    'listening; unreachable cannot be reached',
    'listening; waiting has not approved this node yet',
    'listening; refused refused this node',
    'listening; old is no longer a peer',
  ]);
});
