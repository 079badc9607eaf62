/**
 * The forwards domain's named writes on its section of the settings (forwards/saved-forwards.ts, ADR
 * 0091), over a NodeState validated by the real schema: each is one write of the file, announced as a
 * `forward` change, and a peer renamed carries the forwards bound to it along in the rename's own write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerRecord } from '../../../src-main/state/settings.js';
import { NodeState, type StateChange } from '../../../src-main/state/node-state.js';
import { memoryBacking } from '../../helpers/memory-state.js';
import { savedForwardsOf } from '../../helpers/saved-forwards.js';

const fp = (n: number) => n.toString(16).padStart(64, '0');
const peer = (n: number): PeerRecord => ({
  fingerprint: fp(n),
  name: `p${n}`,
  allow: ['terminal'],
  addresses: [],
  addedAt: '2026-11-21T00:00:00.000Z',
});
const forward = (name: string, via: string, viaFingerprint?: string) => ({
  name,
  kind: 'tcp' as const,
  listen: '127.0.0.1:1',
  remote: '127.0.0.1:2',
  via,
  enabled: true,
  ...(viaFingerprint ? { viaFingerprint } : {}),
});

test('renaming a peer (or re-adding it under another name) takes its forwards along in the same write', () => {
  const settings = memoryBacking({
    peers: [peer(1)],
    forwards: [forward('bound', 'p1', fp(1)), forward('legacy', 'p1'), forward('other', 'p2', fp(2))],
  });
  const trust = new NodeState(settings);
  savedForwardsOf(trust);
  const writes = settings.writes;
  trust.rename(fp(1), 'office');
  assert.equal(settings.writes, writes + 1, 'one write');
  assert.deepEqual(
    trust.get().forwards.map((f) => [f.name, f.via, f.viaFingerprint]),
    [
      ['bound', 'office', fp(1)],
      ['legacy', 'office', fp(1)],
      ['other', 'p2', fp(2)],
    ],
  );
  trust.addPeer({ ...trust.peer(fp(1))!, name: 'desk' });
  assert.deepEqual(
    trust.get().forwards.map((f) => f.via),
    ['desk', 'desk', 'p2'],
  );
});

test('save, edit and remove are one announced write each; an edit of no forward writes nothing', () => {
  const settings = memoryBacking({ peers: [peer(1)] });
  const trust = new NodeState(settings);
  const saved = savedForwardsOf(trust);
  const seen: StateChange[] = [];
  trust.subscribe((c) => seen.push(c));
  saved.saveForward(forward('a', 'p1'));
  saved.saveForward(forward('b', 'p1'));
  saved.saveForward({ ...forward('a', 'p1'), listen: '127.0.0.1:9' });
  assert.deepEqual(
    saved.list().map((f) => [f.name, f.listen]),
    [
      ['b', '127.0.0.1:1'],
      ['a', '127.0.0.1:9'],
    ],
    'saved again under its name: replaced',
  );
  saved.editForward('b', (f) => ({ ...f, enabled: false }));
  assert.equal(saved.forward('b')?.enabled, false);
  assert.deepEqual(
    saved.list().map((f) => f.name),
    ['b', 'a'],
    'an edit keeps its place',
  );
  const writes = settings.writes;
  saved.editForward('nothing', (f) => f);
  assert.equal(settings.writes, writes, 'no forward, no write');
  saved.removeForward('a');
  assert.equal(saved.forward('a'), undefined);
  assert.deepEqual(
    seen.map((c) => [c.kind, c.id]),
    [
      ['forward', 'a'],
      ['forward', 'b'],
      ['forward', 'a'],
      ['forward', 'b'],
      ['forward', 'a'],
    ],
    'each write announced as its forward',
  );
});

test('forwards of an older release are bound to the peer that holds their name, once', () => {
  const settings = memoryBacking({
    peers: [peer(1)],
    forwards: [forward('old', 'p1'), forward('gone', 'p9')],
  });
  const trust = new NodeState(settings);
  const saved = savedForwardsOf(trust);
  saved.bindLegacyForwards();
  assert.deepEqual(
    saved.list().map((f) => [f.name, f.viaFingerprint]),
    [
      ['old', fp(1)],
      ['gone', undefined],
    ],
  );
  const writes = settings.writes;
  saved.bindLegacyForwards();
  assert.equal(settings.writes, writes, 'nothing left to bind: no write');
});
