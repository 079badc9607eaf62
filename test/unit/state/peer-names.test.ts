/**
 * Peer names that would read as another peer's are refused, or get a suffix when a node brings its
 * own name (peer-names.ts): another case, another Unicode normalization, the start of a fingerprint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nameKey, peerNameClash, uniquePeerName } from '../../../src-main/state/peer-names.js';
import { MAX_NODE_NAME_BYTES } from '../../../src-main/core/names.js';

const fp = (n: number) => n.toString(16).padStart(64, '0');
const NFC = 'Ünïcödé-日本語';
const NFD = NFC.normalize('NFD');

test('a name that reads as another peer’s is refused, with the spelling that is there', () => {
  const peers = [
    { name: 'b', fingerprint: fp(1) },
    { name: NFC, fingerprint: fp(2) },
    { name: 'laptop', fingerprint: '3cf78c6b' + '0'.repeat(56) },
  ];
  assert.equal(peerNameClash(peers, 'c', fp(9)), undefined);
  assert.match(peerNameClash(peers, 'b', fp(9)) ?? '', /^a peer named 'b' already exists \(00000000\)/);
  assert.match(peerNameClash(peers, 'B', fp(9)) ?? '', /^a peer named 'B' already exists as 'b' /);
  assert.notEqual(NFC, NFD);
  assert.match(peerNameClash(peers, NFD, fp(9)) ?? '', /already exists as 'Ünïcödé-日本語'/);
  assert.match(
    peerNameClash(peers, '3cf78c6b', fp(9)) ?? '',
    /^'3cf78c6b' is the start of the fingerprint of peer 'laptop' \(3cf7…0000\)/,
  );
  assert.match(peerNameClash(peers, '3CF7:8C6B', fp(9)) ?? '', /start of the fingerprint/);
  // A peer keeps (or re-cases) its own name; hex that starts no fingerprint is a name like any other.
  assert.equal(peerNameClash(peers, 'B', fp(1)), undefined);
  assert.equal(peerNameClash(peers, 'beef', fp(9)), undefined);
});

test('a new peer gets a unique local name', () => {
  const peers = [
    { name: 'office', fingerprint: fp(1) },
    { name: 'Office-2', fingerprint: fp(2) },
  ];
  assert.equal(uniquePeerName(peers, 'laptop', fp(3)), 'laptop');
  assert.equal(uniquePeerName(peers, 'OFFICE', fp(3)), 'OFFICE-3');
  assert.equal(uniquePeerName(peers, 'office', fp(1)), 'office', 'a peer keeps its own name');
  // A suffix on the longest name still fits.
  const long = 'x'.repeat(MAX_NODE_NAME_BYTES);
  const got = uniquePeerName([{ name: long, fingerprint: fp(1) }], long, fp(3));
  assert.equal(got, `${'x'.repeat(MAX_NODE_NAME_BYTES - 2)}-2`);
});

test('property: the name picked never clashes, fits, and two names clash exactly when their keys match', () => {
  const name = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() === s && s !== '');
  fc.assert(
    fc.property(fc.array(name, { maxLength: 6 }), name, (names, wanted) => {
      const peers = names.map((n, i) => ({ name: n, fingerprint: fp(i + 1) }));
      const picked = uniquePeerName(peers, wanted, fp(99));
      assert.equal(peerNameClash(peers, picked, fp(99)), undefined);
      assert.ok(
        Buffer.byteLength(picked) <= Math.max(MAX_NODE_NAME_BYTES, Buffer.byteLength(wanted)),
        'Buffer.byteLength(picked) <= Math.max(MAX_NODE_NAME_BYTES, Buffer.byteLength(wanted))',
      );
      for (const p of peers) {
        if (nameKey(p.name) === nameKey(wanted))
          assert.notEqual(peerNameClash(peers, wanted, fp(99)), undefined);
      }
    }),
    { numRuns: 300 },
  );
});
