/**
 * `peers --json`'s `relaySpliced` (app/peer-api.ts): false while a relay link is on its E2E circuit,
 * true once it moved onto a splice, null on a direct link.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peerInfo } from '../../../src-main/app/peer-api.js';
import { newPeerEntry } from '../../../src-main/links/peer-entry.js';
import type { Mux } from '../../../src-main/mux/mux.js';
import { UpgradableLink } from '../../../src-main/transport/upgradable-link.js';
import { createLinkPair } from '../../helpers/link-pair.js';

const agent = { relayClients: () => [], settings: { get: () => ({ listen: null }) } };
const noMux = {} as Mux;

function entryFor(peerId: string) {
  return newPeerEntry(
    '0'.repeat(64),
    { name: 'b', fingerprint: peerId, addresses: [], allow: [] } as never,
    () => undefined,
    {
      dialDirect: () => Promise.resolve(undefined),
      dialRelay: () => Promise.resolve(undefined),
      attach: () => undefined,
      onError: () => undefined,
    },
  );
}

test('relaySpliced: false on the circuit, true after the move, null on a direct link', () => {
  const circuit = createLinkPair({ path: 'relay' }).a;
  const entry = entryFor(circuit.peerId);
  const link = new UpgradableLink(circuit);
  entry.links.offer('relay', { link, mux: noMux, since: new Date() });
  entry.links.confirm(link);
  assert.equal(peerInfo(agent, entry).path, 'relay');
  assert.equal(peerInfo(agent, entry).relaySpliced, false);
  link.upgrade(createLinkPair({ path: 'relay' }).a);
  assert.equal(peerInfo(agent, entry).relaySpliced, true);

  const direct = createLinkPair().a;
  const other = entryFor(direct.peerId);
  other.links.offer('direct', { link: direct, mux: noMux, since: new Date() });
  other.links.confirm(direct);
  assert.equal(peerInfo(agent, other).path, 'direct');
  assert.equal(peerInfo(agent, other).relaySpliced, null);
});
