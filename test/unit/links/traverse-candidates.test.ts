/**
 * What a paired peer's `traverse` candidates can make this node do (links/traversal.ts,
 * transport/nat/punch-targets.ts): every address it names, host or mapped, passes the target rules one
 * by one (a bad one is dropped and counted, the stream and the good ones stay), and a mapped address
 * new from the peer is learned, and so dialed, only within the peer's budget: a peer that names
 * another one on every line gets a bounded number of dials, not one per line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateIdentity } from '../../../src-main/crypto/identity.js';
import { MAX_PUNCHES_PER_PEER } from '../../../src-main/links/traversal.js';
import { mappedTarget, screenCandidates } from '../../../src-main/transport/nat/punch-targets.js';
import { traverseFixture } from './traverse-fixture.js';
import { until } from '../../helpers/wait.js';

const identity = await generateIdentity('traverse-candidates');

function session(budget: { left: number }) {
  const learned: string[] = [];
  // The answering side: it never offers, so only what candidates do is seen here.
  const far = traverseFixture(identity, false, budget, {
    own: {
      facts: () => ({ nat: 'changes-port', mapped: false }),
      mappedAddress: () => undefined,
      publicHosts: () => ['11.1.0.2'],
      onChanged: () => () => undefined,
    },
    learnMapped: (address) => learned.push(address),
  });
  return { ...far, learned };
}

const candidates = (mapped: unknown, hosts: unknown[] = []) => ({
  t: 'candidates',
  nat: 'preserves-port',
  mapped,
  hosts,
});

test('the target rules: a mapped address is an IP literal a relay could have seen, with a port', () => {
  for (const bad of [
    '127.0.0.1:7475',
    '127.0.0.2:9',
    '[::1]:7475',
    '0.0.0.0:1',
    '169.254.1.1:80',
    '224.0.0.1:5',
    'router.example:7475',
    '203.0.113.9:0',
    '203.0.113.9',
    5,
    null,
  ])
    assert.equal(mappedTarget(bad), undefined, String(bad));
  assert.equal(mappedTarget('203.0.113.9:7475'), '203.0.113.9:7475');
  assert.equal(mappedTarget('[2001:db8::7]:7475'), '[2001:db8::7]:7475');
  assert.deepEqual(screenCandidates(['11.2.0.2', 'x', 7, '127.0.0.1', '11.2.0.2'], '127.0.0.1:1'), {
    hosts: ['11.2.0.2'],
    mapped: null,
    dropped: 4,
  });
});

test('a loopback mapped address is never learned (so never dialed), and the stream goes on', async () => {
  const budget = { left: MAX_PUNCHES_PER_PEER };
  const far = session(budget);
  for (let i = 0; i < 50; i++) far.say(candidates(i % 2 ? '127.0.0.1:7475' : '127.0.0.2:9999'));
  await until('the lines read', () => (far.state.droppedCandidates ?? 0) === 50);
  assert.deepEqual(far.learned, []);
  assert.equal(budget.left, MAX_PUNCHES_PER_PEER, 'a refused address costs no budget');
  assert.equal(far.s.destroyed, false, 'the stream stays open');
  far.s.destroy();
});

test('one bad candidate among good ones is dropped and counted; the good ones stand and the stream stays', async () => {
  const far = session({ left: MAX_PUNCHES_PER_PEER });
  far.say(candidates('not an address', ['not-an-ip', 42, '11.2.0.2', '::1']));
  await until('the candidates read', () => far.state.peer !== undefined);
  assert.deepEqual(far.state.peer!.hosts, ['11.2.0.2']);
  assert.equal(far.state.peer!.mappedAddress, null);
  assert.equal(far.state.droppedCandidates, 4);
  far.say(candidates('203.0.113.9:7475', ['11.2.0.3']));
  await until('the next line read', () => far.state.peer?.hosts[0] === '11.2.0.3');
  assert.deepEqual(far.learned, ['203.0.113.9:7475']);
  assert.equal(far.s.destroyed, false);
  far.s.destroy();
});

test('a peer naming a new mapped address on every line gets at most its budget of them learned', async () => {
  const budget = { left: MAX_PUNCHES_PER_PEER };
  const far = session(budget);
  for (let i = 0; i < 200; i++) far.say(candidates(i % 2 ? '203.0.113.1:7475' : '203.0.113.2:7476'));
  far.say(candidates(null, ['11.9.9.9']));
  await until('the lines read', () => far.state.peer?.hosts[0] === '11.9.9.9');
  assert.equal(far.learned.length, MAX_PUNCHES_PER_PEER);
  assert.equal(budget.left, 0);
  assert.ok((far.state.droppedCandidates ?? 0) >= 90, 'the refused ones are counted');
  // The same address told again is no news: nothing learned, nothing spent, nothing dropped.
  const same = session({ left: MAX_PUNCHES_PER_PEER });
  for (let i = 0; i < 20; i++) same.say(candidates('203.0.113.1:7475'));
  await until('the lines read', () => same.state.peer !== undefined);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(same.learned, ['203.0.113.1:7475']);
  far.s.destroy();
  same.s.destroy();
});
