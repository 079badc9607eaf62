/**
 * What the settings file hands out is frozen all the way down (state/settings-file.ts): a write that
 * gets past the compiler (a cast, an `any`) throws, and neither the next read nor the file on disk
 * changes; changes come in through the node state's named writes only, each announced.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeState, type StateChange } from '../../../src-main/state/node-state.js';
import type { PeerRecord } from '../../../src-main/state/settings.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { savedForwardsOf } from '../../helpers/saved-forwards.js';
import { agentVocabulary } from '../../helpers/agent-contract.js';

const fp = (c: string) => c.repeat(64);
const peer: PeerRecord = {
  fingerprint: fp('a'),
  name: 'office',
  allow: ['terminal'],
  addresses: [{ address: '192.0.2.1:7475', from: ['given'] }],
  addedAt: '2026-11-21T00:00:00.000Z',
  homeRelay: { url: 'wss://relay.example:443' },
};

/** What a domain could do before: write through what it was handed, with no named write. */
type Writable = {
  name: string;
  listen: string | null;
  ui: { allowRemote: boolean };
  relays: unknown[];
  peers: { name: string; allow: string[]; addresses: { from: string[] }[]; homeRelay: { url: string } }[];
  forwards: { listen: string }[];
};

test('the settings handed out are frozen: a write past the compiler throws and changes nothing, on disk or in memory', () => {
  const home = tempDir('cb-frozen-');
  const state = NodeState.open(home, undefined, agentVocabulary);
  state.addPeer(peer);
  savedForwardsOf(state).saveForward({
    name: 'web',
    kind: 'tcp',
    listen: '127.0.0.1:8080',
    remote: '127.0.0.1:80',
    enabled: true,
  });
  const file = join(home, 'config.json');
  const before = readFileSync(file, 'utf8');
  const changes: StateChange[] = [];
  state.subscribe((c) => changes.push(c));

  const s = state.get() as unknown as Writable;
  const writes: [string, () => unknown][] = [
    ['a top-level option', () => (s.listen = null)],
    ['a nested option', () => (s.ui.allowRemote = true)],
    ['the relay list', () => s.relays.push({ url: 'wss://other.example:443' })],
    ["a peer's name", () => (s.peers[0]!.name = 'renamed')],
    ["a peer's permissions", () => s.peers[0]!.allow.push('relay')],
    ["a peer's permissions, emptied", () => s.peers[0]!.allow.splice(0)],
    ["where a peer's address came from", () => s.peers[0]!.addresses[0]!.from.push('hello')],
    ["a peer's home relay", () => (s.peers[0]!.homeRelay.url = 'wss://elsewhere.example:443')],
    ['the peer list', () => s.peers.pop()],
    ["a forward's listen address", () => (s.forwards[0]!.listen = '0.0.0.0:8080')],
  ];
  for (const [what, write] of writes) assert.throws(write, TypeError, what);

  const after = state.peer(fp('a'));
  assert.equal(after?.name, 'office');
  assert.deepEqual(after?.allow, ['terminal']);
  assert.deepEqual(after?.addresses, [{ address: '192.0.2.1:7475', from: ['given'] }]);
  assert.equal(after?.homeRelay?.url, 'wss://relay.example:443');
  assert.equal(state.get().listen, '0.0.0.0:7475');
  assert.equal(state.get().ui.allowRemote, false);
  assert.deepEqual(state.get().relays, []);
  assert.equal(state.get().forwards[0]?.listen, '127.0.0.1:8080');
  assert.equal(readFileSync(file, 'utf8'), before);
  assert.deepEqual(changes, []);
});

test('a named write swaps in new frozen settings; those read before stay as they were', () => {
  const state = NodeState.open(tempDir('cb-frozen-'), undefined, agentVocabulary);
  state.addPeer(peer);
  const earlier = state.peer(fp('a'))!;
  const changes: StateChange[] = [];
  state.subscribe((c) => changes.push(c));

  state.setPermissions(fp('a'), ['terminal', 'relay']);

  assert.deepEqual(earlier.allow, ['terminal']);
  const now = state.peer(fp('a'))!;
  assert.deepEqual(now.allow, ['terminal', 'relay']);
  assert.ok(
    Object.isFrozen(now) && Object.isFrozen(now.allow) && Object.isFrozen(now.addresses[0]),
    'Object.isFrozen(now) && Object.isFrozen(now.allow) && Object.isFrozen(now.addresses[0])',
  );
  assert.deepEqual(
    changes.map((c) => [c.kind, c.id]),
    [['peer', fp('a')]],
  );
});

test('a record handed to a named write is not frozen with what is kept: the caller may go on with it', () => {
  const state = NodeState.open(tempDir('cb-frozen-'), undefined, agentVocabulary);
  const record = { ...peer, allow: [...peer.allow] };
  state.addPeer(record);
  record.allow.push('relay');
  assert.deepEqual(state.peer(fp('a'))?.allow, ['terminal']);
});
