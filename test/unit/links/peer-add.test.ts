/**
 * `peers add` (peer-api.ts addPeer): a fingerprint that is already a peer under another name is refused
 * with a line that names the peer and the flag, unless `rename` is given; adding a known peer again
 * keeps its permissions (unless given) and what was learned about it; `relay` sets its home relay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { composeAgent } from '../../../src-main/app/compose-agent.js';
import { addPeer } from '../../../src-main/app/peer-api.js';
import { NodeState } from '../../../src-main/state/node-state.js';
import { paramsSchema, agentVocabulary } from '../../helpers/agent-contract.js';
import { testIdentity } from '../../helpers/identities.js';
import { tempDir } from '../../helpers/temp-dir.js';

async function agentWithPeer() {
  const agent = composeAgent({
    identity: await testIdentity('rename-a'),
    state: NodeState.open(tempDir('cb-peer-add-'), undefined, agentVocabulary),
    logger: pino({ level: 'silent' }),
  });
  // Links follow the node state once started: a peer added is tracked (nothing to dial here).
  agent.links.start();
  const fp = (await testIdentity('rename-b')).fingerprint;
  addPeer(agent, { fingerprint: fp, name: 'b', allow: ['terminal'] });
  return { agent, fp };
}

test('adding a known fingerprint under another name is refused without rename', async () => {
  const { agent, fp } = await agentWithPeer();
  assert.throws(
    () => addPeer(agent, { fingerprint: fp, name: 'c' }),
    (err: Error & { code?: string }) =>
      err.code === 'BAD_ARGUMENT' &&
      err.message === `${fp.slice(0, 8)} is already the peer 'b'; add --rename to call it 'c'`,
  );
  assert.deepEqual(
    agent.state.peers().map((p) => p.name),
    ['b'],
  );
  // The same name again is fine (updates, no rename).
  assert.equal(addPeer(agent, { fingerprint: fp, name: 'b' }).name, 'b');
});

test('with rename it is renamed and keeps what it was allowed', async () => {
  const { agent, fp } = await agentWithPeer();
  const peer = addPeer(agent, { fingerprint: fp, name: 'c', rename: true });
  assert.equal(peer.name, 'c');
  assert.deepEqual(peer.allow, ['terminal']);
  assert.deepEqual(
    agent.state.peers().map((p) => [p.name, p.fingerprint]),
    [['c', fp]],
  );
});

test('the contract accepts rename as an optional boolean', () => {
  const schema = paramsSchema('peers.add');
  assert.equal(schema.safeParse({ fingerprint: 'ab', name: 'c', rename: true }).success, true);
  assert.equal(schema.safeParse({ fingerprint: 'ab', name: 'c', rename: 'yes' }).success, false);
});

test('adding a known peer again keeps its certificate, forward limits and home relay', async () => {
  const { agent, fp } = await agentWithPeer();
  const home = { url: 'wss://r2.example:7474', fingerprint: 'ab'.repeat(32), token: 'T' };
  // As an invite saves it (pairing-joiner.ts).
  agent.state.addPeer({ ...agent.state.peer(fp)!, homeRelay: home });
  agent.state.setForwardTo(fp, ['127.0.0.1:22']);
  addPeer(agent, { fingerprint: fp, name: 'c', rename: true, address: '10.0.0.9:7475' });
  const saved = agent.state.peer(fp)!;
  assert.equal(saved.name, 'c');
  assert.deepEqual(saved.homeRelay, home);
  assert.deepEqual(saved.forwardTo, ['127.0.0.1:22']);
  assert.deepEqual(saved.allow, ['terminal']);
  assert.deepEqual(saved.addresses, [{ address: '10.0.0.9:7475', from: ['given'] }]);
});

test('relay sets the home relay, pinned for wss://; a token saved for the same URL is kept', async () => {
  const { agent, fp } = await agentWithPeer();
  const pin = 'cd'.repeat(32);
  addPeer(agent, { fingerprint: fp, name: 'b', relay: 'wss://r2.example:7474', relayFingerprint: pin });
  assert.deepEqual(agent.state.peer(fp)!.homeRelay, { url: 'wss://r2.example:7474', fingerprint: pin });
  agent.state.addPeer({ ...agent.state.peer(fp)!, homeRelay: { url: 'ws://r3.example:7474', token: 'T' } });
  addPeer(agent, { fingerprint: fp, name: 'b', relay: 'ws://r3.example:7474' });
  assert.deepEqual(agent.state.peer(fp)!.homeRelay, { url: 'ws://r3.example:7474', token: 'T' });
  addPeer(agent, { fingerprint: fp, name: 'b', relay: 'ws://r4.example:7474' });
  assert.deepEqual(agent.state.peer(fp)!.homeRelay, { url: 'ws://r4.example:7474' });
  // A token for the peer's relay, given with it; '' removes it.
  addPeer(agent, { fingerprint: fp, name: 'b', relay: 'ws://r4.example:7474', relayToken: 'T4' });
  assert.deepEqual(agent.state.peer(fp)!.homeRelay, { url: 'ws://r4.example:7474', token: 'T4' });
  addPeer(agent, { fingerprint: fp, name: 'b', relay: 'ws://r4.example:7474/', relayToken: '' });
  assert.deepEqual(agent.state.peer(fp)!.homeRelay, { url: 'ws://r4.example:7474/' });
});

test('a bad relay is refused with what is wrong, and nothing is saved', async () => {
  const { agent, fp } = await agentWithPeer();
  const cases: [Partial<Parameters<typeof addPeer>[1]>, RegExp, string?][] = [
    [
      { relay: 'https://r2.example' },
      /--relay must be a ws:\/\/ or wss:\/\/ URL, got 'https:\/\/r2\.example'/,
    ],
    [{ relay: 'r2.example:7474' }, /--relay must be a ws:\/\/ or wss:\/\/ URL/],
    [
      { relay: 'ws://r2.example', relayFingerprint: 'ab'.repeat(32) },
      /a ws:\/\/ relay has no certificate to pin/,
    ],
    [{ relay: 'wss://r2.example', relayFingerprint: 'xyz' }, /hex digits/, 'BAD_FINGERPRINT'],
    [
      { relayFingerprint: 'ab'.repeat(32) },
      /--relay-fingerprint and --relay-token are for the peer's relay: add --relay URL/,
    ],
    [{ relayToken: 't' }, /are for the peer's relay: add --relay URL/],
  ];
  for (const [over, message, code = 'BAD_ARGUMENT'] of cases) {
    assert.throws(
      () => addPeer(agent, { fingerprint: fp, name: 'b', ...over }),
      (err: Error & { code?: string }) => err.code === code && message.test(err.message),
      JSON.stringify(over),
    );
  }
  assert.equal(agent.state.peer(fp)!.homeRelay, undefined);
});
