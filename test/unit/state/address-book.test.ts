/**
 * A peer's address book (address-book.ts): what the user gave is never dropped for what the peer
 * announces (issue 27); where it listens now replaces an old port on that host (a `:0` listener moves on
 * every restart); other networks' addresses stay; the book never grows past its cap; dialing goes best
 * first. And learnPeerAddresses (peer-addresses.ts) forgets a stale dial failure on a new announcement.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  dialOrder,
  learnAddresses,
  markWorked,
  MAX_PEER_ADDRESSES,
  seenAddresses,
  type KnownAddress,
} from '../../../src-main/state/address-book.js';
import { Observations } from '../../../src-main/state/observations.js';
import { learnPeerAddresses } from '../../../src-main/links/peer-addresses.js';
import { PathRetrier } from '../../../src-main/links/peer-connector.js';
import type { ReadonlyPeerEntry } from '../../../src-main/links/ports.js';
import { parseHostPort } from '../../../src-main/core/host-port.js';

const hello = (list: string[]): KnownAddress[] => list.map((address) => ({ address, from: ['hello'] }));
const addressesOf = (book: readonly KnownAddress[]) => book.map((e) => e.address);

test('a restart on a new port replaces the old port on that host; other hosts are kept', () => {
  const known = hello(['192.168.1.20:7475', '127.0.0.1:40001', '[::1]:40001']);
  assert.deepEqual(addressesOf(learnAddresses(known, ['127.0.0.1:40777', '[::1]:40777'], 'hello')), [
    '192.168.1.20:7475',
    '127.0.0.1:40777',
    '[::1]:40777',
  ]);
});

test('a given address on the announced host stays, and is dialed before the announced one', () => {
  // The case: a port forwarded on the peer's router, and a hello announcing the peer's own port.
  const given = learnAddresses([], ['127.0.0.1:7000'], 'given');
  const book = learnAddresses(given, ['127.0.0.1:40777'], 'hello');
  assert.deepEqual(book, [
    { address: '127.0.0.1:7000', from: ['given'] },
    { address: '127.0.0.1:40777', from: ['hello'] },
  ]);
  assert.deepEqual(dialOrder(book), ['127.0.0.1:7000', '127.0.0.1:40777']);
  // Announcing again a hundred times on new ports never drops it.
  let again: KnownAddress[] = book;
  for (let port = 40000; port < 40100; port++) again = learnAddresses(again, [`127.0.0.1:${port}`], 'hello');
  assert.deepEqual(addressesOf(again), ['127.0.0.1:7000', '127.0.0.1:40099']);
});

test('an address both given and announced keeps both sources; announced elsewhere it stays given', () => {
  const both = learnAddresses(learnAddresses([], ['10.0.0.5:7475'], 'hello'), ['10.0.0.5:7475'], 'given');
  assert.deepEqual(both, [{ address: '10.0.0.5:7475', from: ['given', 'hello'] }]);
  const moved = learnAddresses(both, ['10.0.0.5:9999'], 'hello');
  assert.deepEqual(moved[0], { address: '10.0.0.5:7475', from: ['given'] });
});

test('what worked last is dialed first; then given, hello, lan, seen; newest first within one', () => {
  let book = learnAddresses([], ['10.0.0.9:1'], 'seen');
  book = learnAddresses(book, ['10.0.0.8:1'], 'lan');
  book = learnAddresses(book, ['10.0.0.6:1', '10.0.0.7:1'], 'hello');
  book = learnAddresses(book, ['10.0.0.5:1'], 'given');
  assert.deepEqual(dialOrder(book), ['10.0.0.5:1', '10.0.0.7:1', '10.0.0.6:1', '10.0.0.8:1', '10.0.0.9:1']);
  book = markWorked(book, '10.0.0.8:1', new Date('2026-11-01T00:00:00Z'));
  book = markWorked(book, '10.0.0.9:1', new Date('2026-11-02T00:00:00Z'));
  assert.deepEqual(dialOrder(book).slice(0, 2), ['10.0.0.9:1', '10.0.0.8:1']);
  assert.equal(book.find((e) => e.address === '10.0.0.9:1')?.lastWorked, '2026-11-02T00:00:00.000Z');
});

test("seen: the host a peer's link came from, with the ports it listens on, unless it announced that host", () => {
  assert.deepEqual(seenAddresses('203.0.113.7:51234', ['192.168.1.20:7475']), ['203.0.113.7:7475']);
  assert.deepEqual(seenAddresses('[2001:db8::1]:5000', ['10.0.0.1:7475']), ['[2001:db8::1]:7475']);
  assert.deepEqual(seenAddresses('192.168.1.20:51234', ['192.168.1.20:7475']), []);
  assert.deepEqual(seenAddresses('not an address', ['10.0.0.1:7475']), []);
  // A dual-stack listener's view of an IPv4 peer is that IPv4 host, not another address.
  assert.deepEqual(seenAddresses('[::ffff:192.168.1.20]:51234', ['192.168.1.20:7475']), []);
  assert.deepEqual(seenAddresses('[::ffff:203.0.113.7]:51234', ['192.168.1.20:7475']), ['203.0.113.7:7475']);
});

const address = fc
  .tuple(
    fc.constantFrom('10.0.0.1', '10.0.0.2', '127.0.0.1', '::1', 'host.lan'),
    fc.integer({ min: 1, max: 6 }),
  )
  .map(([h, p]) => (h.includes(':') ? `[${h}]:${p}` : `${h}:${p}`));
const source = fc.constantFrom('given' as const, 'hello' as const, 'lan' as const, 'seen' as const);

test('property: given addresses survive (up to 8), announced ones are all there, no duplicates, at most the cap', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.uniqueArray(address, { maxLength: 8 }), source), { maxLength: 30 }),
      (steps) => {
        let book: KnownAddress[] = [];
        const given = new Set<string>();
        for (const [list, from] of steps) {
          book = learnAddresses(book, list, from);
          if (from === 'given') list.forEach((a) => given.add(a));
          const addresses = addressesOf(book);
          assert.ok(book.length <= MAX_PEER_ADDRESSES, 'book.length <= MAX_PEER_ADDRESSES');
          assert.equal(new Set(addresses).size, addresses.length);
          for (const a of list) assert.ok(addresses.includes(a), `${a} just learned from ${from}`);
          if (from === 'hello') {
            const hosts = new Set(list.map((a) => parseHostPort(a).host));
            for (const e of book) {
              if (list.includes(e.address) || !hosts.has(parseHostPort(e.address).host)) continue;
              assert.ok(!e.from.includes('hello') && !e.from.includes('lan'), `${e.address} moved away`);
            }
          }
          assert.deepEqual(new Set(dialOrder(book)), new Set(addresses));
        }
        if (given.size <= 8) for (const a of given) assert.ok(addressesOf(book).includes(a), `given ${a}`);
      },
    ),
  );
});

test('a changed announcement forgets the direct path’s last dial failure; the same one keeps it', () => {
  const retrier = new PathRetrier(
    'direct',
    () => Promise.resolve(undefined),
    () => false,
    () => undefined,
    () => undefined,
  );
  retrier.lastError = 'connect ECONNREFUSED 127.0.0.1:40001';
  retrier.lastErrorAt = 1;
  const fp = 'f'.repeat(64);
  const trust = new Observations();
  trust.learn(fp, ['127.0.0.1:40001'], 'hello');
  const before = trust.addresses(fp);
  const entry = {
    record: { fingerprint: fp, addresses: [] } as unknown as ReadonlyPeerEntry['record'],
    announcedAddresses: ['127.0.0.1:40001'] as readonly string[] | undefined,
    direct: retrier,
  };
  learnPeerAddresses(trust, entry, ['127.0.0.1:40001']);
  assert.equal(retrier.lastError, 'connect ECONNREFUSED 127.0.0.1:40001', 'nothing new: the failure stands');
  assert.equal(trust.addresses(fp), before, 'nothing new: nothing changed');
  // The peer restarted with `agent --no-direct`: it announces no listener now.
  learnPeerAddresses(trust, entry, []);
  assert.equal(retrier.lastError, undefined);
  assert.equal(retrier.lastErrorAt, undefined);
  assert.deepEqual(entry.announcedAddresses, []);
  retrier.stop();
});
