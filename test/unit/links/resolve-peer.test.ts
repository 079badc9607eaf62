/**
 * resolvePeer: names are chosen by the nodes themselves, fingerprints are the machines. A peer named
 * like another peer's fingerprint must never receive what was meant for that machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolvePeer } from '../../../src-main/links/resolve-peer.js';
import type { ReadonlyPeerEntry } from '../../../src-main/links/ports.js';
import { typedNameProblem } from '../../../src-main/core/names.js';

const c = 'c'.repeat(64);
const d = 'd'.repeat(64);
const entry = (name: string, fingerprint: string) => ({ record: { name, fingerprint } }) as ReadonlyPeerEntry;

test('a whole fingerprint resolves to that machine even when another peer is named by it', () => {
  const agent = { peerEntries: () => [entry('c', c), entry(c, d)] };
  assert.equal(resolvePeer(agent, c).record.fingerprint, c);
  assert.equal(resolvePeer(agent, c.toUpperCase().match(/../g)!.join(':')).record.fingerprint, c);
  assert.equal(resolvePeer(agent, 'c').record.fingerprint, c);
  assert.equal(resolvePeer(agent, d).record.fingerprint, d);
});

test("a name that is also the start of another peer's fingerprint is refused as ambiguous", () => {
  const agent = { peerEntries: () => [entry('c', c), entry('cccc', d)] };
  assert.throws(
    () => resolvePeer(agent, 'cccc'),
    /is the name of one peer .* and the start of another's fingerprint/,
  );
  assert.equal(resolvePeer(agent, 'cccccccc').record.fingerprint, c);
});

test('a name typed here may hold spaces and any script, but not be blank, padded or invisible', () => {
  assert.equal(typedNameProblem('My Laptöp'), undefined);
  assert.equal(typedNameProblem('   '), 'is blank');
  assert.equal(typedNameProblem(' x '), 'starts or ends with a space');
  assert.match(typedNameProblem('a\u200bb') ?? '', /invisible characters/);
});

test('a name is found in another case or Unicode normalization; the exact spelling wins', () => {
  const nfc = 'Ünïcödé';
  const agent = { peerEntries: () => [entry('laptop', c), entry(nfc, d)] };
  assert.equal(resolvePeer(agent, 'LAPTOP').record.fingerprint, c);
  assert.equal(resolvePeer(agent, nfc.normalize('NFD')).record.fingerprint, d);
  // Two peers an older release let read the same: the spelling typed picks one, another is ambiguous.
  const both = { peerEntries: () => [entry('b', c), entry('B', d)] };
  assert.equal(resolvePeer(both, 'B').record.fingerprint, d);
  assert.equal(resolvePeer(both, 'b').record.fingerprint, c);
});

test('a name that could be either of two peers is refused, naming both', () => {
  const both = { peerEntries: () => [entry('Bob', c), entry('BOB', d)] };
  assert.throws(
    () => resolvePeer(both, 'bob'),
    /^ClawError: 'bob' could be 'Bob' or 'BOB'; type the name as it is spelled$/,
  );
});

test('this node, named by its name or fingerprint, is said to be this node; a peer of that name still wins', () => {
  const a = 'a'.repeat(64);
  const agent = { peerEntries: () => [entry('c', c)], self: () => ({ name: 'Laptop', fingerprint: a }) };
  for (const ref of ['laptop', 'aaaaaaaa', a.toUpperCase()]) {
    assert.throws(
      () => resolvePeer(agent, ref),
      (err: Error & { code?: string }) =>
        err.code === 'PEER_NOT_FOUND' &&
        err.message.startsWith(`'${ref}' is this node, not one of its peers; `),
    );
  }
  assert.throws(() => resolvePeer(agent, 'zz'), /no peer named 'zz'; /);
  const named = { ...agent, peerEntries: () => [entry('laptop', d)] };
  assert.equal(resolvePeer(named, 'laptop').record.fingerprint, d);
});
