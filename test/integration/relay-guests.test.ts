/**
 * A relay's guests (RelayServerOptions.authorize → 'guest', as a node acting as relay lets a browser
 * in; relay-clients/own-relay.ts): a guest opens circuits only to the nodes guestMayReach allows, by
 * node ID or through a rendezvous alias they listen on; nobody else opens one to it; it listens on no
 * alias; and a node the relay does not let in at all is refused at the door.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { generateIdentity } from '../../src-main/crypto/identity.js';
import { encodeRelayFrame, type RelayFrame } from '../../src-main/protocol/relay-frames.js';
import { RelayCloseCode } from '../../src-main/protocol/relay-close-codes.js';
import { rendezvousAlias } from '../../src-main/protocol/rendezvous.js';
import { RawClient, startTestRelay } from '../helpers/relay-harness.js';

const clients: RawClient[] = [];
after(() => {
  for (const c of clients) c.ws.terminate();
});

async function authed(url: string, identity: Awaited<ReturnType<typeof generateIdentity>>) {
  const c = await RawClient.connect(url);
  clients.push(c);
  await c.authenticate(identity);
  const ok = await c.next();
  assert.equal(ok.type, 'auth-ok');
  return c;
}

/** OPENs `target` from `c` and returns the answer: OPEN_OK or the CLOSE refusing it. */
async function open(c: RawClient, circuitId: number, target: string): Promise<RelayFrame> {
  c.send(encodeRelayFrame({ type: 'open', circuitId, target }));
  return c.next();
}

test('a guest reaches only whom the relay allows it, listens on nothing, and is reached by no one else', async () => {
  const [owner, other, guest, stranger] = await Promise.all([
    generateIdentity('owner'),
    generateIdentity('other'),
    generateIdentity('guest'),
    generateIdentity('stranger'),
  ]);
  const relay = await startTestRelay({
    authorize: (id) =>
      id === owner.fingerprint || id === other.fingerprint
        ? true
        : id === guest.fingerprint
          ? 'guest'
          : false,
    guestMayReach: (_guest, peer) => peer === owner.fingerprint,
  });
  try {
    const o = await authed(relay.url, owner);
    const x = await authed(relay.url, other);
    const g = await authed(relay.url, guest);

    // The stranger: refused at the door.
    const s = await RawClient.connect(relay.url);
    clients.push(s);
    await s.authenticate(stranger);
    assert.equal((await s.closedWith()).code, RelayCloseCode.NOT_AUTHORIZED);

    // To the owner: carried.
    assert.equal((await open(g, 1, owner.fingerprint)).type, 'open-ok');
    assert.equal((await o.next()).type, 'incoming');
    // To another node on the relay, online: refused as not authorized (not as offline).
    const toOther = await open(g, 2, other.fingerprint);
    assert.equal(toOther.type === 'close' && toOther.code, RelayCloseCode.NOT_AUTHORIZED);
    // From another node to the guest: refused too.
    const fromOther = await open(x, 1, guest.fingerprint);
    assert.equal(fromOther.type === 'close' && fromOther.code, RelayCloseCode.NOT_AUTHORIZED);

    // Through a rendezvous alias the owner listens on: carried; one another node listens on: refused.
    o.send(encodeRelayFrame({ type: 'listen-tag', tag: 'K7QX', listen: true }));
    x.send(encodeRelayFrame({ type: 'listen-tag', tag: 'M2RT', listen: true }));
    // The guest's own LISTEN is ignored: a circuit to its alias finds no one.
    g.send(encodeRelayFrame({ type: 'listen-tag', tag: '9WZA', listen: true }));
    const viaOwner = await open(g, 3, rendezvousAlias('K7QX'));
    assert.equal(viaOwner.type, 'open-ok');
    const viaOther = await open(g, 4, rendezvousAlias('M2RT'));
    assert.equal(viaOther.type === 'close' && viaOther.code, RelayCloseCode.NOT_AUTHORIZED);
    const toGuestAlias = await open(x, 2, rendezvousAlias('9WZA'));
    assert.equal(toGuestAlias.type === 'close' && toGuestAlias.code, RelayCloseCode.PEER_OFFLINE);
  } finally {
    await relay.close();
  }
});

test('the relay lets a node in as a guest when it asks whether one listens on an alias', async () => {
  const [owner, joiner] = await Promise.all([generateIdentity('owner'), generateIdentity('joiner')]);
  const relay = await startTestRelay({
    // As an agent acting as relay: a node it does not know only while the owner has a code open.
    authorize: (id, listening) =>
      id === owner.fingerprint ? true : listening(owner.fingerprint) ? 'guest' : false,
    guestMayReach: (_guest, peer, byAlias) => peer === owner.fingerprint && byAlias,
  });
  try {
    const o = await authed(relay.url, owner);
    const early = await RawClient.connect(relay.url);
    clients.push(early);
    await early.authenticate(joiner);
    assert.equal((await early.closedWith()).code, RelayCloseCode.NOT_AUTHORIZED, 'no code open: refused');

    o.send(encodeRelayFrame({ type: 'listen-tag', tag: 'K7QX', listen: true }));
    const j = await authed(relay.url, joiner);
    assert.equal((await open(j, 1, rendezvousAlias('K7QX'))).type, 'open-ok');
    const direct = await open(j, 2, owner.fingerprint);
    assert.equal(direct.type === 'close' && direct.code, RelayCloseCode.NOT_AUTHORIZED, 'not by node ID');
  } finally {
    await relay.close();
  }
});
