import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerLinks, preferredInitiator } from '../../../src-main/links/peer-links.js';
import type { Link, PathKind } from '../../../src-main/transport/link.js';
import type { Mux } from '../../../src-main/mux/mux.js';

const LOW = '0'.repeat(64);
const HIGH = 'f'.repeat(64);

function fakeEntry(path: PathKind, initiator: boolean) {
  const link = { path, initiator, closed: false, remote: path } as unknown as Link;
  return { link, mux: { close() {} } as unknown as Mux, since: new Date(), confirmed: true };
}

test('both sides agree on which of two simultaneous links survives', () => {
  assert.equal(preferredInitiator(LOW, HIGH), 'self');
  assert.equal(preferredInitiator(HIGH, LOW), 'peer');
  // LOW's view: its own dial (initiator) wins; HIGH's view: the link LOW dialed (HIGH not initiator) wins.
  const low = new PeerLinks(LOW, HIGH);
  const lowOwn = fakeEntry('direct', true);
  const lowIncoming = fakeEntry('direct', false);
  assert.equal(low.offer('direct', lowIncoming).keep, true);
  const d = low.offer('direct', lowOwn);
  assert.equal(d.keep, true);
  assert.equal(d.close, lowIncoming);

  const high = new PeerLinks(HIGH, LOW);
  const highIncoming = fakeEntry('direct', false);
  const highOwn = fakeEntry('direct', true);
  high.offer('direct', highIncoming);
  const h = high.offer('direct', highOwn);
  assert.equal(h.keep, false);
  assert.equal(h.close, highOwn);
  assert.equal(high.get('direct'), highIncoming);
});

test('a link counts only once the peer accepted our hello', () => {
  const p = new PeerLinks(LOW, HIGH);
  const relay = { ...fakeEntry('relay', true), confirmed: false };
  p.offer('relay', relay);
  assert.equal(p.online, false, 'a link the peer may still refuse (pending approval) is not online');
  assert.equal(p.active?.path, undefined);
  assert.ok(p.since === null, 'p.since === null');
  assert.equal(p.confirm(relay.link), true);
  assert.equal(p.online, true);
  assert.equal(p.active?.path, 'relay');
  assert.notEqual(p.since, null);
  assert.equal(p.confirm(relay.link), false, 'confirming twice changes nothing');
});

test('direct is preferred; relay takes over when direct goes', () => {
  const p = new PeerLinks(LOW, HIGH);
  assert.equal(p.online, false);
  const relay = fakeEntry('relay', true);
  const direct = fakeEntry('direct', true);
  p.offer('relay', { ...relay, confirmed: false });
  p.confirm(relay.link);
  assert.equal(p.active?.path, 'relay');
  const onlineSince = p.since;
  p.offer('direct', direct);
  assert.equal(p.active?.path, 'direct');
  assert.equal(p.since, onlineSince, 'adding a path does not reset the online time');
  assert.equal(p.remove(direct.link), true);
  assert.equal(p.active?.path, 'relay');
  assert.equal(p.remove(direct.link), false, 'a stale link is not removed twice');
  p.remove(relay.link);
  assert.equal(p.online, false);
  assert.notEqual(p.since, onlineSince);
});
