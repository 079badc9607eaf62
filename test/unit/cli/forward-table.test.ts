/** `forward list`: a listening forward's row says why its connections fail while its exit peer is away. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerState } from '../../../src-main/api/contract.js';
import type { ForwardInfo } from '../../../src-main/forwards/forwards-contract.js';
import { forwardTable } from '../../../src-main/forwards/cli/forward-commands.js';
import { peer } from '../electron/status-fixtures.js';

const forward = (name: string, via: string, viaFingerprint: string | null): ForwardInfo => ({
  name,
  direction: 'local',
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

test("under the table, what last went wrong with a listening forward's connections, with its time", () => {
  const at = new Date(2026, 10, 23, 14, 5, 9);
  const failed = {
    ...forward('db', 'b', null),
    lastProblem: { message: 'cannot reach 127.0.0.1:5432 via b: connection refused', at: at.toISOString() },
  };
  const off = { ...failed, name: 'old', state: 'off' as const };
  const lines = forwardTable([failed, off, forward('web', 'b', null)]).split('\n');
  assert.equal(lines.length, 6, 'header, three rows, a blank line and one problem');
  assert.equal(lines[4], '');
  const today = new Date().toDateString() === at.toDateString();
  assert.equal(
    lines[5],
    `db: last problem at ${today ? '' : '2026-11-23 '}14:05:09: cannot reach 127.0.0.1:5432 via b: connection refused`,
  );
});

test('a problem from before its exit peer came back online is not shown', () => {
  const b = { ...peer('b', 'online'), since: new Date(Date.now() - 1_000).toISOString() };
  const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
  const withProblem = (name: string, msAgo: number) => ({
    ...forward(name, 'b', b.fingerprint),
    lastProblem: { message: 'peer b is offline', at: at(msAgo) },
  });
  const out = forwardTable([withProblem('before', 60_000), withProblem('after', 10)], undefined, [b]);
  assert.doesNotMatch(out, /^before: /m);
  assert.match(out, /^after: last problem at [\d:]+: peer b is offline$/m);
});
