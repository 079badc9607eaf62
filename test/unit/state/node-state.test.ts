/**
 * NodeState over an in-memory backing (validated by the real schema, as on disk): the rules that tie
 * peers, pending requests and the blocked list together, and the typed changes it announces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerRecord, Settings } from '../../../src-main/state/settings.js';
import { NodeState, type StateChange } from '../../../src-main/state/node-state.js';
import { memoryBacking, memoryState } from '../../helpers/memory-state.js';
import { MAX_BLOCKED, MAX_PENDING_FINGERPRINT, PENDING_TTL_MS } from '../../../src-main/state/pending.js';
import { isClawError } from '../../../src-main/core/errors.js';
import { inMemoryPending } from '../../../src-main/state/pending-file.js';

const memorySettings = (initial: Partial<Settings> = {}) => memoryBacking(initial);

const fp = (n: number) => n.toString(16).padStart(64, '0');
const peer = (n: number, extra: Partial<PeerRecord> = {}): PeerRecord => ({
  fingerprint: fp(n),
  name: `p${n}`,
  allow: ['terminal'],
  addresses: [],
  addedAt: '2026-11-21T00:00:00.000Z',
  ...extra,
});
const request = (n: number, via: 'code' | 'fingerprint' = 'fingerprint') => ({
  fingerprint: fp(n),
  name: `n${n}`,
  via,
  address: `10.0.0.${n}:7475`,
  addresses: [],
});

test('addPeer saves the peer, answers its pending request and lifts its block', () => {
  const settings = memorySettings();
  const trust = new NodeState(settings);
  trust.recordPending(request(1));
  trust.recordPending(request(2));
  trust.block(fp(1));
  trust.addPeer(peer(1));
  assert.deepEqual(
    trust.peers().map((p) => p.fingerprint),
    [fp(1)],
  );
  assert.deepEqual(
    trust.pending().map((p) => p.fingerprint),
    [fp(2)],
    'the other request stays',
  );
  assert.equal(trust.isBlocked(fp(1)), false);
});

test('addPeer replaces the record of a peer with the same fingerprint instead of adding a second', () => {
  const trust = new NodeState(memorySettings({ peers: [peer(1)] }));
  trust.addPeer(peer(1, { name: 'renamed', allow: ['forward'] }));
  assert.deepEqual(trust.peers(), [peer(1, { name: 'renamed', allow: ['forward'] })]);
});

test('removePeer forgets the peer and blocks it', () => {
  const trust = new NodeState(memorySettings({ peers: [peer(1), peer(2)] }));
  trust.removePeer(fp(1));
  assert.equal(trust.peer(fp(1)), undefined);
  assert.ok(trust.peer(fp(2)), 'trust.peer(fp(2))');
  assert.equal(trust.isBlocked(fp(1)), true);
});

test('a code-verified request unblocks its node; a fingerprint-only one leaves the block', () => {
  const trust = new NodeState(memorySettings());
  trust.block(fp(1));
  trust.block(fp(2));
  trust.recordPending(request(1, 'fingerprint'));
  trust.recordPending(request(2, 'code'));
  assert.equal(trust.isBlocked(fp(1)), true);
  assert.equal(trust.isBlocked(fp(2)), false);
});

test('a refused request changes nothing and says why', () => {
  const settings = memorySettings();
  const trust = new NodeState(settings);
  for (let i = 0; i < MAX_PENDING_FINGERPRINT; i++) {
    trust.recordPending({ ...request(i + 1), address: `10.0.${i}.1:1` });
  }
  const before = settings.writes;
  const result = trust.recordPending({ ...request(99), address: '10.9.9.9:1' });
  assert.ok(
    'refused' in result && /too many unverified/.test(result.refused),
    "'refused' in result && /too many unverified/.test(result.refused)",
  );
  assert.equal(settings.writes, before);
  assert.equal(trust.pending().length, MAX_PENDING_FINGERPRINT);
});

test('pending() leaves expired requests out without writing; the next write drops them', () => {
  const settings = memorySettings();
  const requests = inMemoryPending();
  const trust = new NodeState(settings, requests);
  const t0 = Date.parse('2026-11-21T00:00:00Z');
  trust.recordPending(request(1), t0);
  trust.recordPending(request(2), t0 + PENDING_TTL_MS / 2);
  const changes: unknown[] = [];
  trust.subscribe((c) => changes.push(c));
  const saved = settings.get();
  assert.deepEqual(
    trust.pending(t0 + PENDING_TTL_MS).map((p) => p.fingerprint),
    [fp(2)],
  );
  assert.equal(settings.get(), saved, 'a read writes nothing');
  assert.deepEqual(changes, []);
  trust.recordPending(request(3), t0 + PENDING_TTL_MS);
  assert.deepEqual(
    requests.saved().map((p) => p.fingerprint),
    [fp(2), fp(3)],
    'the next write leaves the expired one out',
  );
});

test('dropPending removes one request by id', () => {
  const trust = new NodeState(memorySettings());
  const a = trust.recordPending(request(1));
  trust.recordPending(request(2));
  assert.ok(!('refused' in a), "!('refused' in a)");
  trust.dropPending(a.record.id);
  assert.deepEqual(
    trust.pending().map((p) => p.fingerprint),
    [fp(2)],
  );
});

test('the blocked list keeps the newest MAX_BLOCKED entries; block twice keeps one entry', () => {
  const trust = new NodeState(memorySettings());
  trust.block(fp(1));
  trust.block(fp(1));
  for (let i = 2; i <= MAX_BLOCKED + 1; i++) trust.block(fp(i));
  assert.equal(trust.isBlocked(fp(1)), false, 'the oldest was forgotten');
  assert.equal(trust.isBlocked(fp(2)), true);
  assert.equal(trust.isBlocked(fp(MAX_BLOCKED + 1)), true);
  trust.unblock(fp(2));
  assert.equal(trust.isBlocked(fp(2)), false);
});

test('rename keeps names unique', () => {
  const trust = new NodeState(memorySettings({ peers: [peer(1), peer(2)] }));
  assert.equal(trust.rename(fp(1), 'laptop').name, 'laptop');
  assert.throws(
    () => trust.rename(fp(2), 'laptop'),
    (err) => isClawError(err, 'BAD_ARGUMENT') && /already exists/.test(err.message),
  );
  assert.equal(trust.rename(fp(1), 'laptop').name, 'laptop', 'its own name is no clash');
});

test('setPermissions and setForwardTo change only that peer', () => {
  const trust = new NodeState(memorySettings({ peers: [peer(1), peer(2)] }));
  assert.deepEqual(trust.setPermissions(fp(1), ['forward', 'relay']).allow, ['forward', 'relay']);
  assert.deepEqual(trust.setForwardTo(fp(1), ['*:22']).forwardTo, ['*:22']);
  assert.equal('forwardTo' in trust.setForwardTo(fp(1), undefined), false, 'lifted, not an empty list');
  assert.deepEqual(trust.peer(fp(2)), peer(2));
});

test('changing an unknown peer throws PEER_NOT_FOUND', () => {
  const trust = new NodeState(memorySettings());
  assert.throws(
    () => trust.setPermissions(fp(9), []),
    (err) => isClawError(err, 'PEER_NOT_FOUND'),
  );
  assert.deepEqual(trust.peers(), []);
});

test('saved relays: one write each, one change each; one relay under another spelling is that relay', () => {
  const { state, backing } = memoryState();
  const seen: StateChange[] = [];
  state.subscribe((c) => seen.push(c));
  const url = (r: unknown) => (r as { url?: string } | undefined)?.url;
  assert.equal(state.addRelay({ url: 'wss://r1.example:7474' }), true);
  assert.equal(state.addRelay({ url: 'wss://R1.example:7474/' }), false, 'the same relay');
  assert.equal(backing.writes, 1);
  assert.deepEqual(
    seen.map((c) => [c.kind, c.id, url(c.before), url(c.after)]),
    [['relay', 'wss://r1.example:7474/', undefined, 'wss://r1.example:7474']],
  );
  seen.length = 0;
  // The flags write the list whole: a new spelling and a pin are a change of that relay, not two.
  const pin = 'cd'.repeat(32);
  state.setOptions({ relays: [{ url: 'wss://r1.example:7474/', fingerprint: pin }] });
  assert.deepEqual(
    seen.map((c) => [c.kind, c.id, url(c.before), url(c.after)]),
    [['relay', 'wss://r1.example:7474/', 'wss://r1.example:7474', 'wss://r1.example:7474/']],
  );
  seen.length = 0;
  assert.equal(state.removeRelay('wss://r1.example:7474'), true);
  assert.equal(state.removeRelay('wss://r1.example:7474'), false);
  assert.deepEqual(
    seen.map((c) => [c.kind, c.before !== undefined, c.after !== undefined]),
    [['relay', true, false]],
  );
  assert.equal(backing.writes, 3);
});

test('every saved write announces one typed change per entry, with what it was and is', () => {
  const trust = new NodeState(memorySettings({ peers: [peer(1), peer(2)] }));
  const seen: StateChange[] = [];
  trust.subscribe((c) => seen.push(c));
  trust.setPermissions(fp(1), ['forward']);
  assert.equal(seen.length, 1);
  const [change] = seen;
  assert.equal(change?.kind, 'peer');
  assert.equal(change?.id, fp(1));
  assert.deepEqual(change?.before?.allow, ['terminal']);
  assert.deepEqual(change?.after?.allow, ['forward']);
  seen.length = 0;
  trust.removePeer(fp(2));
  assert.deepEqual(
    seen.map((c) => [c.kind, c.id, c.before !== undefined, c.after !== undefined]),
    [
      ['peer', fp(2), true, false],
      ['blocked', fp(2), false, true],
    ],
    'removal: the peer goes and its block comes, in one write',
  );
  seen.length = 0;
  trust.setOptions({ terminalResumeMs: 5_000 });
  assert.deepEqual(seen, [{ kind: 'option', id: 'terminalResumeMs', before: 60_000, after: 5_000 }]);
});

test('a write that cannot be saved announces nothing and changes nothing', () => {
  const trust = new NodeState(memorySettings({ peers: [peer(1)] }));
  const seen: StateChange[] = [];
  trust.subscribe((c) => seen.push(c));
  assert.throws(() => trust.setOptions({ terminalResumeMs: 1 }));
  assert.deepEqual(seen, []);
  assert.equal(trust.get().terminalResumeMs, 60_000);
});

test("a domain's section: its writes are one write each, announced; its rename rule runs inside the rename's write", () => {
  const settings = memorySettings({ peers: [peer(1)] });
  const trust = new NodeState(settings);
  const forwards = trust.section('forwards');
  const seen: StateChange[] = [];
  trust.subscribe((c) => seen.push(c));
  const web = { name: 'web', kind: 'socks' as const, listen: '127.0.0.1:1', via: 'p1', enabled: true };
  forwards.update((list) => [...list, web]);
  assert.equal(settings.writes, 1, 'one write');
  assert.deepEqual(
    seen.map((c) => [c.kind, c.id]),
    [['forward', 'web']],
    'announced as the change of its entry',
  );
  assert.deepEqual(forwards.get(), [web]);
  // The rule a domain registers is applied to its section in the very write that renames the peer.
  const off = forwards.onPeerRenamed((list, renamed) =>
    list.map((f) => (f.via === renamed.before ? { ...f, via: renamed.after } : f)),
  );
  trust.rename(fp(1), 'office');
  assert.equal(settings.writes, 2, 'the rename and the rule: one write');
  assert.equal(forwards.get()[0]?.via, 'office');
  trust.addPeer({ ...trust.peer(fp(1))!, name: 'desk' });
  assert.equal(forwards.get()[0]?.via, 'desk', 'a peer re-added under another name too');
  off();
  trust.rename(fp(1), 'attic');
  assert.equal(forwards.get()[0]?.via, 'desk', 'a rule let go of applies no more');
  // A section's write the schema refuses changes nothing and announces nothing.
  seen.length = 0;
  assert.throws(() => forwards.update((list) => [...list, { ...web, listen: '' }]));
  assert.deepEqual(forwards.get(), [{ ...web, via: 'desk' }]);
  assert.deepEqual(seen, []);
});
