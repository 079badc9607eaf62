/**
 * TrustStore over an in-memory settings store (validated by the real schema, as on disk): the rules
 * that tie peers, pending requests and the blocked list together.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settingsSchema, type PeerRecord, type Settings } from '../../../src-main/agent/settings.js';
import { TrustStore, type SettingsPort } from '../../../src-main/agent/trust-store.js';
import { MAX_BLOCKED, MAX_PENDING_FINGERPRINT, PENDING_TTL_MS } from '../../../src-main/agent/pending.js';
import { isClawError } from '../../../src-main/core/errors.js';

/** Settings in memory, parsed by the same schema SettingsStore uses, counting writes. */
function memorySettings(initial: Partial<Settings> = {}): SettingsPort & { writes: number } {
  let current = settingsSchema.parse(initial);
  return {
    writes: 0,
    get: () => current,
    update(change) {
      this.writes++;
      current = settingsSchema.parse(change(structuredClone(current)));
      return current;
    },
  };
}

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
  const trust = new TrustStore(settings);
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
  const trust = new TrustStore(memorySettings({ peers: [peer(1)] }));
  trust.addPeer(peer(1, { name: 'renamed', allow: ['forward'] }));
  assert.deepEqual(trust.peers(), [peer(1, { name: 'renamed', allow: ['forward'] })]);
});

test('removePeer forgets the peer and blocks it', () => {
  const trust = new TrustStore(memorySettings({ peers: [peer(1), peer(2)] }));
  trust.removePeer(fp(1));
  assert.equal(trust.peer(fp(1)), undefined);
  assert.ok(trust.peer(fp(2)));
  assert.equal(trust.isBlocked(fp(1)), true);
});

test('a code-verified request unblocks its node; a fingerprint-only one leaves the block', () => {
  const trust = new TrustStore(memorySettings());
  trust.block(fp(1));
  trust.block(fp(2));
  trust.recordPending(request(1, 'fingerprint'));
  trust.recordPending(request(2, 'code'));
  assert.equal(trust.isBlocked(fp(1)), true);
  assert.equal(trust.isBlocked(fp(2)), false);
});

test('a refused request changes nothing and says why', () => {
  const settings = memorySettings();
  const trust = new TrustStore(settings);
  for (let i = 0; i < MAX_PENDING_FINGERPRINT; i++) {
    trust.recordPending({ ...request(i + 1), address: `10.0.${i}.1:1` });
  }
  const before = settings.writes;
  const result = trust.recordPending({ ...request(99), address: '10.9.9.9:1' });
  assert.ok('refused' in result && /too many unverified/.test(result.refused));
  assert.equal(settings.writes, before);
  assert.equal(trust.pending().length, MAX_PENDING_FINGERPRINT);
});

test('pending() drops expired requests from the saved list', () => {
  const settings = memorySettings();
  const trust = new TrustStore(settings);
  const t0 = Date.parse('2026-11-21T00:00:00Z');
  trust.recordPending(request(1), t0);
  trust.recordPending(request(2), t0 + PENDING_TTL_MS / 2);
  assert.deepEqual(
    trust.pending(t0 + PENDING_TTL_MS).map((p) => p.fingerprint),
    [fp(2)],
  );
  assert.equal(settings.get().pending.length, 1, 'saved without the expired one');
});

test('dropPending removes one request by id', () => {
  const trust = new TrustStore(memorySettings());
  const a = trust.recordPending(request(1));
  trust.recordPending(request(2));
  assert.ok(!('refused' in a));
  trust.dropPending(a.record.id);
  assert.deepEqual(
    trust.pending().map((p) => p.fingerprint),
    [fp(2)],
  );
});

test('the blocked list keeps the newest MAX_BLOCKED entries; block twice keeps one entry', () => {
  const trust = new TrustStore(memorySettings());
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
  const trust = new TrustStore(memorySettings({ peers: [peer(1), peer(2)] }));
  assert.equal(trust.rename(fp(1), 'laptop').name, 'laptop');
  assert.throws(
    () => trust.rename(fp(2), 'laptop'),
    (err) => isClawError(err, 'BAD_ARGUMENT') && /already exists/.test(err.message),
  );
  assert.equal(trust.rename(fp(1), 'laptop').name, 'laptop', 'its own name is no clash');
});

test('setPermissions, setForwardTo and setAddresses change only that peer', () => {
  const trust = new TrustStore(memorySettings({ peers: [peer(1), peer(2)] }));
  assert.deepEqual(trust.setPermissions(fp(1), ['forward', 'relay']).allow, ['forward', 'relay']);
  assert.deepEqual(trust.setForwardTo(fp(1), ['*:22']).forwardTo, ['*:22']);
  assert.equal('forwardTo' in trust.setForwardTo(fp(1), undefined), false, 'lifted, not an empty list');
  assert.deepEqual(trust.setAddresses(fp(1), ['10.0.0.1:7475'])?.addresses, ['10.0.0.1:7475']);
  assert.deepEqual(trust.peer(fp(2)), peer(2));
});

test('changing an unknown peer throws PEER_NOT_FOUND, except addresses learned after its removal', () => {
  const trust = new TrustStore(memorySettings());
  assert.throws(
    () => trust.setPermissions(fp(9), []),
    (err) => isClawError(err, 'PEER_NOT_FOUND'),
  );
  assert.equal(trust.setAddresses(fp(9), ['10.0.0.1:1']), undefined);
  assert.deepEqual(trust.peers(), []);
});

test("setHomeRelay saves a peer's home relay once, keeps an invite's token for the same URL", () => {
  const settings = memorySettings({
    peers: [peer(1, { homeRelay: { url: 'wss://r1.example', token: 'secret' } })],
  });
  const trust = new TrustStore(settings);
  const pin = 'cd'.repeat(32);
  const saved = trust.setHomeRelay(fp(1), { url: 'wss://r1.example', fingerprint: pin });
  assert.deepEqual(saved?.homeRelay, { url: 'wss://r1.example', fingerprint: pin, token: 'secret' });
  const writes = settings.writes;
  trust.setHomeRelay(fp(1), { url: 'wss://r1.example', fingerprint: pin });
  assert.equal(settings.writes, writes, 'the same hello again writes nothing');
  const moved = trust.setHomeRelay(fp(1), { url: 'ws://r2.example:7474' });
  assert.deepEqual(moved?.homeRelay, { url: 'ws://r2.example:7474' }, 'another relay: no old token or pin');
  assert.equal(trust.setHomeRelay(fp(9), { url: 'ws://r2.example:7474' }), undefined, 'not a peer');
});
