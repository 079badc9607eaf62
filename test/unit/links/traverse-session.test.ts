/**
 * What a `traverse` peer can make this node do (links/traversal.ts): it aims a simultaneous open only
 * at hosts a relay could have seen (never loopback, link-local, unspecified, multicast or broadcast),
 * and every open, offered or answered, counts against the peer's budget, which a new relay link does
 * not refill (the budget is the caller's: here a counter standing for PeerLinkSet's limiter).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateIdentity } from '../../../src-main/crypto/identity.js';
import { MAX_PUNCHES_PER_PEER, type TraversalState } from '../../../src-main/links/traversal.js';
import { isPunchTarget, punchTargets } from '../../../src-main/transport/nat/punch-targets.js';
import { traverseFixture } from './traverse-fixture.js';
import { until } from '../../helpers/wait.js';

const identity = await generateIdentity('traverse-test');

function session(
  coordinator: boolean,
  budget: { left: number },
  state: TraversalState = { punchAttempts: 0 },
) {
  return traverseFixture(identity, coordinator, budget, { state });
}

const candidates = (hosts: string[]) => ({ t: 'candidates', nat: 'preserves-port', mapped: null, hosts });
const answers = (heard: Record<string, unknown>[]) => heard.filter((m) => m.t === 'connect').length;

test('only addresses a relay could have seen are targets', () => {
  for (const host of [
    '127.0.0.1',
    '127.9.9.9',
    '::1',
    '0.0.0.0',
    '::',
    '169.254.1.1',
    'fe80::1',
    '224.0.0.251',
    '239.1.1.1',
    'ff02::1',
    '255.255.255.255',
    '::ffff:127.0.0.1',
    'example.com',
    '',
  ])
    assert.equal(isPunchTarget(host), false, host);
  for (const host of [
    '11.1.0.2',
    '203.0.113.9',
    '192.168.1.20',
    '100.64.3.2',
    '2001:db8::7',
    '::ffff:11.1.0.2',
  ])
    assert.equal(isPunchTarget(host), true, host);
  assert.deepEqual(punchTargets(['127.0.0.1', '11.1.0.2', 'ff02::1']), ['11.1.0.2']);
});

test('an offer from a peer that names only loopback or multicast hosts is not answered, and costs no budget', async () => {
  const budget = { left: MAX_PUNCHES_PER_PEER };
  const far = session(false, budget);
  far.say(candidates(['127.0.0.1', '::1', '224.0.0.1', '0.0.0.0']));
  far.say({ t: 'connect', port: 40_000 });
  await until('the candidates told', () => far.heard.some((m) => m.t === 'candidates'));
  await new Promise((r) => setImmediate(r));
  assert.equal(answers(far.heard), 0);
  assert.equal(budget.left, MAX_PUNCHES_PER_PEER);
  far.s.destroy();
});

test('an answer takes from the budget; a spent budget answers nothing, on a new link too', async () => {
  const budget = { left: 1 };
  const first = session(false, budget);
  first.say(candidates(['11.2.0.2']));
  first.say({ t: 'connect', port: 40_000 });
  await until('an answer', () => answers(first.heard) === 1);
  assert.equal(budget.left, 0);
  first.s.destroy();

  const second = session(false, budget);
  second.say(candidates(['11.2.0.2']));
  second.say({ t: 'connect', port: 40_001 });
  await until('the candidates told', () => second.heard.some((m) => m.t === 'candidates'));
  await new Promise((r) => setImmediate(r));
  assert.equal(answers(second.heard), 0, 'no fresh budget with a new link');
  second.s.destroy();
});

test('a coordinator with the budget spent offers nothing and says why', async () => {
  const far = session(true, { left: 0 });
  far.say(candidates(['11.2.0.2']));
  await until('the reason', () => far.state.gaveUp);
  assert.match(far.state.gaveUp!, /simultaneous opens with this peer in 10 min/);
  assert.equal(answers(far.heard), 0);
  far.s.destroy();
});
