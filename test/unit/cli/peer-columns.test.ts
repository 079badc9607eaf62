import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathLabel, peerTable, peerWhy } from '../../../src-main/cli/client-commands.js';
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
