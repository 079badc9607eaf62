/**
 * A peer's saved direct addresses after a hello (peer-addresses.ts mergePeerAddresses): where it listens
 * now comes last, an old port on a host it announces again is dropped (a `:0` listener moves on every
 * restart), other networks' addresses stay, and the list never grows past its cap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  learnPeerAddresses,
  MAX_PEER_ADDRESSES,
  mergePeerAddresses,
} from '../../../src-main/agent/peer-addresses.js';
import { PathRetrier } from '../../../src-main/agent/peer-connector.js';
import type { PeerEntry } from '../../../src-main/agent/ports.js';
import { parseHostPort } from '../../../src-main/core/host-port.js';

test('a restart on a new port replaces the old port on that host; other hosts are kept', () => {
  const known = ['192.168.1.20:7475', '127.0.0.1:40001', '[::1]:40001'];
  assert.deepEqual(mergePeerAddresses(known, ['127.0.0.1:40777', '[::1]:40777']), [
    '192.168.1.20:7475',
    '127.0.0.1:40777',
    '[::1]:40777',
  ]);
});

test('restarting a hundred times on random ports keeps one address per host', () => {
  let known: string[] = [];
  for (let port = 40000; port < 40100; port++) known = mergePeerAddresses(known, [`127.0.0.1:${port}`]);
  assert.deepEqual(known, ['127.0.0.1:40099']);
});

test('an address announced again moves to the end; nothing is duplicated', () => {
  assert.deepEqual(mergePeerAddresses(['10.0.0.5:7475', '10.0.0.6:7475'], ['10.0.0.5:7475']), [
    '10.0.0.6:7475',
    '10.0.0.5:7475',
  ]);
});

const address = fc
  .oneof(
    fc.tuple(
      fc.constantFrom('10.0.0.1', '10.0.0.2', '127.0.0.1', '::1', 'host.lan'),
      fc.integer({ min: 1, max: 6 }),
    ),
  )
  .map(([h, p]) => (h.includes(':') ? `[${h}]:${p}` : `${h}:${p}`));

test('property: announced addresses all stay, no moved port survives, no duplicates, at most the cap', () => {
  fc.assert(
    fc.property(
      fc.array(address, { maxLength: 40 }),
      fc.uniqueArray(address, { maxLength: 8 }),
      (known, announced) => {
        const merged = mergePeerAddresses(known, announced);
        assert.ok(merged.length <= MAX_PEER_ADDRESSES);
        assert.equal(new Set(merged).size, merged.length);
        assert.deepEqual(merged.slice(merged.length - announced.length), announced);
        const hosts = new Set(announced.map((a) => parseHostPort(a).host));
        for (const a of merged) {
          assert.ok(announced.includes(a) || (known.includes(a) && !hosts.has(parseHostPort(a).host)), a);
        }
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
  const saved: string[][] = [];
  const trust = {
    setAddresses: (_fp: string, addresses: string[]) => {
      saved.push(addresses);
      return undefined;
    },
  };
  const entry = {
    record: { fingerprint: 'f'.repeat(64), addresses: ['127.0.0.1:40001'] } as PeerEntry['record'],
    announcedAddresses: ['127.0.0.1:40001'] as readonly string[] | undefined,
    direct: retrier,
  };
  learnPeerAddresses(trust, entry, ['127.0.0.1:40001']);
  assert.equal(retrier.lastError, 'connect ECONNREFUSED 127.0.0.1:40001', 'nothing new: the failure stands');
  // The peer restarted with `agent --no-direct`: it announces no listener now.
  learnPeerAddresses(trust, entry, []);
  assert.equal(retrier.lastError, undefined);
  assert.equal(retrier.lastErrorAt, undefined);
  assert.deepEqual(entry.announcedAddresses, []);
  retrier.stop();
});
