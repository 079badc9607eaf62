/**
 * The `route` path in PeerLinks (ADR 0017): on a peer reached through its route, only the route carries
 * streams and makes the peer online, whatever links the peer dialed itself; on any other peer a routed
 * link that arrives is used only when neither direct nor relay is up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerLinks } from '../../../src-main/links/peer-links.js';
import type { Link, PathKind } from '../../../src-main/transport/link.js';
import type { Mux } from '../../../src-main/mux/mux.js';

const LOW = '0'.repeat(64);
const HIGH = 'f'.repeat(64);

function up(links: PeerLinks, path: PathKind): Link {
  const link = { path, initiator: true, closed: false, remote: path } as unknown as Link;
  links.offer(path, { link, mux: { close() {} } as unknown as Mux, since: new Date() });
  links.confirm(link);
  return link;
}

test('a routed peer is active and online through its route alone', () => {
  let routed = true;
  const links = new PeerLinks(LOW, HIGH, () => routed);
  // Read through a function: assert.equal narrows `links.active` to undefined for the compiler.
  const active = () => links.active;
  up(links, 'direct');
  assert.equal(active(), undefined, 'a direct link the peer dialed carries none of our streams');
  assert.equal(links.online, false);
  const route = up(links, 'route');
  assert.equal(active()?.path, 'route');
  assert.equal(links.online, true);
  links.remove(route);
  assert.equal(links.online, false);
  // The route cleared: the direct link is the path again.
  routed = false;
  assert.equal(active()?.path, 'direct');
});

test('without a route of its own, a peer is reached direct, then relay, then over its routed link', () => {
  const links = new PeerLinks(LOW, HIGH);
  const route = up(links, 'route');
  assert.equal(links.active?.path, 'route');
  const relay = up(links, 'relay');
  assert.equal(links.active?.path, 'relay');
  up(links, 'direct');
  assert.equal(links.active?.path, 'direct');
  assert.ok(relay && route, 'relay && route');
});
