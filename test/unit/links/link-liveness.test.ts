/**
 * The agent's link liveness settings (ADR 0074): idle links beat every LINK_HEARTBEAT_MS and are dead
 * after LINK_DEAD_AFTER_MS of silence, and a peer of an older version, still beating every 5 s with a
 * 15 s bound, keeps a link with this one up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LINK_DEAD_AFTER_MS, LINK_HEARTBEAT_MS } from '../../../src-main/links/peer-link-set.js';
import { muxPair } from '../mux/mux-fixtures.js';
import { sleep } from '../../helpers/wait.js';

test('an idle link is found dead in under 45 s (DESIGN §5), after more than two missed beats', () => {
  assert.ok(LINK_DEAD_AFTER_MS < 45_000, `dead after ${LINK_DEAD_AFTER_MS} ms`);
  assert.ok(LINK_DEAD_AFTER_MS >= 2.5 * LINK_HEARTBEAT_MS, `dead after ${LINK_DEAD_AFTER_MS} ms`);
});

test('a link between this version and one that beats three times as often stays up while idle', async () => {
  // The agent's settings and the older 5 s / 15 s ones, twenty times faster (a bound under 500 ms
  // would be broken by a stall of the loaded test machine; liveness.test.ts).
  const scale = 20;
  const now = { heartbeatMs: LINK_HEARTBEAT_MS / scale, deadAfterMs: LINK_DEAD_AFTER_MS / scale };
  const older = { heartbeatMs: 5_000 / scale, deadAfterMs: 15_000 / scale };
  const pairs = [
    [now, older],
    [older, now],
    [now, now],
  ].map(([a, b]) => ({ a: a!, b: b!, p: muxPair({ a, b }) }));
  // Four of the slower beats, idle: each side's bound passes at least once.
  await sleep(4 * (LINK_HEARTBEAT_MS / scale), 'idle links must outlive four of the slower beats');
  for (const { a, b, p } of pairs) {
    const what = `${a.heartbeatMs} ms beats against ${b.heartbeatMs} ms`;
    assert.equal(p.ma.closed, false, what);
    assert.equal(p.mb.closed, false, what);
    p.close();
  }
});
