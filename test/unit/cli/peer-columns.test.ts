import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedThere, pathLabel, peerTable, peerWhy } from '../../../src-main/cli/client-commands.js';
import { peer } from '../electron/status-fixtures.js';

test('the PATH column says when a relay link runs on a splice, and only then', () => {
  assert.equal(pathLabel(peer('b', 'online', 'direct')), 'direct');
  const relayed = peer('b', 'online', 'relay');
  assert.equal(pathLabel({ ...relayed, relaySpliced: false }), 'relay');
  assert.equal(pathLabel({ ...relayed, relaySpliced: true }), 'relay (spliced)');
  assert.equal(pathLabel(peer('b', 'offline')), '-');
});

test('the WHY column: the state detail when not online, the relay reason when relayed', () => {
  assert.equal(peerWhy({ ...peer('b', 'unreachable'), stateDetail: 'no address known' }), 'no address known');
  assert.equal(
    peerWhy({ ...peer('b', 'online', 'relay'), relayReason: 'peer does not listen' }),
    'relayed: peer does not listen',
  );
  assert.equal(peerWhy(peer('b', 'online', 'direct')), '-');
});

test('peers are listed by name, whatever their case or accents, not in the order they were added', () => {
  const out = peerTable(
    [peer('zed', 'online'), peer('Bravo', 'offline'), peer('école', 'online'), peer('alpha', 'online')],
    undefined,
  );
  assert.deepEqual(
    out.split('\n').map((l) => l.split(/\s+/)[0]),
    ['NAME', 'alpha', 'Bravo', 'école', 'zed'],
  );
});

test('ALLOWED HERE and ALLOWED THERE: what the peer may do here, what it lets this node do there', () => {
  const b = { ...peer('b', 'online', 'direct'), allow: ['terminal' as const], theyAllow: [] };
  const out = peerTable([b, { ...peer('c', 'online', 'direct'), theyAllow: null }], undefined).split('\n');
  assert.match(out[0]!, /ALLOWED HERE\s+ALLOWED THERE\s+WHY/);
  assert.match(out[1]!, /\sterminal\s+none\s+-$/);
  assert.match(out[2]!, /\sterminal\s+unknown\s+-$/);
  assert.equal(allowedThere({ theyAllow: ['terminal', 'forward'] }), 'terminal,forward');
});
