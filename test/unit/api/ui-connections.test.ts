/**
 * The web UI server's connection table (ui-connections.ts): which connection makes room at the total
 * and at a source's cap, and that an answer under way and an authenticated WebSocket never do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UiConnections } from '../../../src-main/api/web-ui/ui-connections.js';
import { sourceOf } from '../../../src-main/api/web-ui/server.js';

function table(total: number, perSource: number, shieldMs = 1_000) {
  let now = 0;
  const ended: string[] = [];
  const t = new UiConnections<string>({
    total,
    perSource,
    shieldMs,
    end: (c) => ended.push(c),
    now: () => now,
  });
  return { t, ended, advance: (ms: number) => (now += ms) };
}

test('at the total, a WebSocket without the token goes first, then the oldest idle connection', () => {
  const { t, ended } = table(4, 100);
  for (const c of ['page', 'idle1', 'ws1', 'idle2'])
    assert.ok(t.admit(c, undefined), 't.admit(c, undefined)');
  t.serving('page');
  t.waiting('ws1');
  assert.ok(t.admit('new1', undefined), "t.admit('new1', undefined)");
  assert.deepEqual(ended, ['ws1']);
  assert.ok(t.admit('new2', undefined), "t.admit('new2', undefined)");
  assert.deepEqual(ended, ['ws1', 'idle1'], 'then the oldest idle one, never the answer under way');
  assert.equal(t.stateOf('page'), 'serving');
  assert.equal(t.size, 4);
});

test('an answer under way is never ended to make room while shielded; past its shield, last', () => {
  const { t, ended, advance } = table(2, 100, 1_000);
  t.admit('a', undefined);
  t.admit('b', undefined);
  t.serving('a');
  t.serving('b');
  assert.equal(t.admit('c', undefined), false, 'refused: every connection is answering');
  assert.deepEqual(ended, []);
  advance(1_000);
  t.answered('a');
  t.serving('a'); // a's next request on the kept-alive connection: its shield starts again
  assert.ok(t.admit('c', undefined), "t.admit('c', undefined)");
  assert.deepEqual(ended, ['b'], 'the answer past its shield made room');
  t.serving('c');
  advance(1_000);
  t.answered('a');
  assert.ok(t.admit('d', undefined), "t.admit('d', undefined)");
  assert.deepEqual(ended, ['b', 'a'], 'an idle one before one past its shield');
});

test('an authenticated WebSocket never makes room, and a late event does not demote it', () => {
  const { t, ended } = table(2, 100);
  t.admit('owner', undefined);
  t.waiting('owner');
  t.authenticated('owner');
  t.waiting('owner');
  t.answered('owner');
  assert.equal(t.stateOf('owner'), 'authenticated');
  t.admit('x', undefined);
  assert.ok(t.admit('y', undefined), "t.admit('y', undefined)");
  assert.deepEqual(ended, ['x']);
  t.serving('y');
  assert.equal(t.admit('z', undefined), false);
  assert.deepEqual(ended, ['x']);
});

test('per source: only idle and serving count; the source makes room among its own', () => {
  const { t, ended } = table(100, 3);
  t.admit('other', '192.0.2.9');
  for (const c of ['s1', 's2', 's3']) t.admit(c, '192.0.2.1');
  t.serving('s1');
  t.waiting('s2'); // upgraded: leaves the source's count
  assert.ok(t.admit('s4', '192.0.2.1'), "t.admit('s4', '192.0.2.1')");
  assert.deepEqual(ended, [], 'two counted (s1, s3) below the cap of 3');
  assert.ok(t.admit('s5', '192.0.2.1'), "t.admit('s5', '192.0.2.1')");
  assert.deepEqual(ended, ['s3'], 'the oldest idle of that source, not its answer under way');
  assert.equal(t.stateOf('other'), 'idle', "another source's connection stays");
  t.serving('s4');
  t.serving('s5');
  assert.equal(t.admit('s6', '192.0.2.1'), false, 'all of the source are answering: refused');
  assert.ok(t.admit('o2', '192.0.2.9'), 'another source still gets in');
});

test('pipelined requests: the connection is idle only once every answer is sent', () => {
  const { t, ended } = table(2, 100);
  t.admit('a', undefined);
  t.serving('a');
  t.serving('a');
  t.answered('a');
  assert.equal(t.stateOf('a'), 'serving', 'the second answer is still under way');
  t.admit('b', undefined);
  assert.ok(t.admit('c', undefined), "t.admit('c', undefined)");
  assert.deepEqual(ended, ['b']);
  t.answered('a');
  assert.equal(t.stateOf('a'), 'idle');
});

test('connections without a source count in the total only', () => {
  const { t, ended } = table(10, 2);
  for (let i = 0; i < 10; i++) assert.ok(t.admit(`c${i}`, undefined), 't.admit(`c${i}`, undefined)');
  assert.deepEqual(ended, []);
  assert.ok(t.admit('c10', undefined), "t.admit('c10', undefined)");
  assert.deepEqual(ended, ['c0']);
});

test('release uncounts in every state; releasing twice or an unknown connection does nothing', () => {
  const { t } = table(10, 2);
  t.admit('a', '192.0.2.1');
  t.admit('b', '192.0.2.1');
  t.serving('a');
  t.release('a');
  t.release('a');
  t.release('nobody');
  assert.equal(t.size, 1);
  assert.equal(t.count('serving'), 0);
  assert.ok(t.admit('c', '192.0.2.1'), 'the source has room again');
  assert.equal(t.count('idle'), 2);
});

test('loopback sources are not counted per source; other addresses by IPv4 address or IPv6 /64', () => {
  for (const a of ['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1', undefined]) {
    assert.equal(sourceOf(a), undefined, String(a));
  }
  assert.equal(sourceOf('192.0.2.7'), '192.0.2.7');
  assert.equal(sourceOf('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(sourceOf('2001:db8:0:1::5'), sourceOf('2001:db8:0:1::9'));
});
