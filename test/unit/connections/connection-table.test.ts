/**
 * The live connection table (connections/connection-table.ts): ids unique in a run, counters, ending,
 * closing one connection through its owner (and no other), the bound, and the `connections` event
 * the API hub sends from it (app/api/events.ts), coalesced while bytes move.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConnectionTable,
  MAX_LISTED_CONNECTIONS,
  type ConnectionOpening,
} from '../../../src-main/connections/connection-table.js';
import { ApiEventHub } from '../../../src-main/app/api/events.js';
import { isClawError } from '../../../src-main/core/errors.js';
import type { ApiEvents, ConnectionsEvent } from '../../../src-main/api/contract.js';
import { fakeClock } from '../../helpers/fake-clock.js';

const peer = { name: 'office', fingerprint: 'a'.repeat(64) };

function opening(closed: string[], name: string): ConnectionOpening {
  return {
    kind: 'forward',
    peer,
    from: `127.0.0.1:${name}`,
    to: 'web:80',
    close: (r) => closed.push(`${name}: ${r}`),
  };
}

test('open lists a connection with its counters and age; end takes it off; ids are never reused', () => {
  let now = 1_000;
  const table = new ConnectionTable(() => now);
  const a = table.open(opening([], '1'));
  const b = table.open({ kind: 'terminal-served', from: 'office', to: 'shell', close: () => {} });
  assert.notEqual(a.id, b.id);
  assert.match(a.id, /^c[0-9a-z]+$/);
  a.bytesOut(10);
  a.bytesOut(5);
  a.bytesIn(7);
  now = 3_500;
  const [first, second] = table.list();
  assert.deepEqual(first, {
    id: a.id,
    kind: 'forward',
    peer,
    from: '127.0.0.1:1',
    to: 'web:80',
    bytesIn: 7,
    bytesOut: 15,
    openedAt: new Date(1_000).toISOString(),
    ageMs: 2_500,
  });
  assert.equal(second?.peer, null, 'a connection without a peer says so');
  a.end();
  a.end();
  assert.deepEqual(
    table.list().map((c) => c.id),
    [b.id],
  );
  const c = table.open(opening([], '3'));
  assert.ok(c.id !== a.id && c.id !== b.id, 'an ended id does not come back');
});

test('close cuts that connection only, through its owner, and takes it off the list', () => {
  const table = new ConnectionTable();
  const closed: string[] = [];
  const a = table.open(opening(closed, 'a'));
  const b = table.open(opening(closed, 'b'));
  const info = table.close(a.id, 'cut by the owner');
  assert.equal(info.id, a.id);
  assert.deepEqual(closed, ['a: cut by the owner']);
  assert.deepEqual(
    table.list().map((c) => c.id),
    [b.id],
  );
  a.end(); // the owner notices later: harmless
  assert.equal(table.size, 1);
});

test('closing an unknown or ended id is a one-line BAD_ARGUMENT that points at the list', () => {
  const table = new ConnectionTable();
  const a = table.open(opening([], 'a'));
  a.end();
  for (const id of [a.id, 'czzz']) {
    assert.throws(
      () => table.close(id),
      (err) =>
        isClawError(err, 'BAD_ARGUMENT') &&
        err.message === `no open connection ${id} here: it ended, or the id is mistyped` &&
        JSON.stringify(err.hint?.argv) === '["connections"]',
    );
  }
});

test('past the bound a connection is not listed, and its handle is harmless', () => {
  const table = new ConnectionTable();
  const handles = [];
  for (let i = 0; i < MAX_LISTED_CONNECTIONS; i++) handles.push(table.open(opening([], String(i))));
  const extra = table.open(opening([], 'extra'));
  extra.bytesIn(5);
  extra.end();
  assert.equal(table.size, MAX_LISTED_CONNECTIONS);
  handles[0]!.end();
  assert.ok(table.open(opening([], 'again')).id !== '', 'room again once one ended');
});

test('changed fires on open and end, and once per quiet spell of moving bytes', () => {
  const table = new ConnectionTable();
  let changes = 0;
  table.events.on('changed', () => changes++);
  const a = table.open(opening([], 'a'));
  assert.equal(changes, 1);
  a.bytesIn(1);
  a.bytesIn(1);
  a.bytesOut(1);
  assert.equal(changes, 2, 'bytes moving say so once');
  assert.equal(table.takeMoved(), true);
  assert.equal(table.takeMoved(), false);
  a.bytesIn(1);
  assert.equal(changes, 3, 'and again after the moves were read');
  a.end();
  assert.equal(changes, 4);
});

test('the hub sends the connections on subscribing, on open and end, and every 250 ms while bytes move', () => {
  const clock = fakeClock();
  const table = new ConnectionTable(() => clock.now());
  const none = () => () => undefined;
  const hub = new ApiEventHub(
    {
      onChanged: none,
      onPairing: none,
      onActivity: none,
      onNotice: none,
      snapshot: () => ({
        status: { name: 'a', fingerprint: 'f'.repeat(64), listen: null, relays: [], peers: [] },
        pending: [],
        forwards: [],
        proxies: [],
      }),
      pending: () => [],
      busy: () => false,
      onError: (err) => assert.fail(err as Error),
      connections: table,
    },
    clock,
  );
  const seen: { at: number; event: ConnectionsEvent }[] = [];
  const off = hub.subscribe(<E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => {
    if (event === 'connections') seen.push({ at: clock.now(), event: data as ConnectionsEvent });
  });
  clock.advance(0);
  assert.deepEqual([...seen], [{ at: 0, event: { connections: [] } }], 'one on subscribing');
  clock.advance(1000);
  const a = table.open(opening([], 'a'));
  clock.advance(0);
  assert.equal(seen.length, 2, 'one when it opened');
  assert.equal(seen[1]?.event.connections[0]?.id, a.id);
  // Bytes moving for a second: one event per 250 ms, with the counts as they were then.
  for (let t = 0; t < 1000; t += 50) {
    a.bytesIn(100);
    clock.advance(50);
  }
  const during = seen.slice(2);
  assert.ok(during.length >= 4 && during.length <= 5, `about 4 events in a second (${during.length})`);
  for (let i = 1; i < during.length; i++)
    assert.ok(during[i]!.at - during[i - 1]!.at >= 250, 'during[i]!.at - during[i - 1]!.at >= 250');
  clock.advance(2000);
  const quiet = seen.length;
  clock.advance(2000);
  assert.equal(seen.length, quiet, 'quiet once the bytes stop');
  a.end();
  clock.advance(0);
  assert.deepEqual(seen.at(-1)?.event, { connections: [] }, 'one when it ended');
  off();
});
