/**
 * A command naming this node (here `peers route`, through the agent's own peer directory), as target
 * or hop, by its name or fingerprint: told it is this node, not "no peer named …", and nothing is saved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { composeAgent } from '../../../src-main/app/compose-agent.js';
import { addPeer, setRoute } from '../../../src-main/app/peer-api.js';
import { NodeState } from '../../../src-main/state/node-state.js';
import { testIdentity } from '../../helpers/identities.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { agentVocabulary } from '../../helpers/agent-contract.js';

async function nodeA() {
  const identity = await testIdentity('route-self-a');
  const state = NodeState.open(tempDir('cb-route-self-'), undefined, agentVocabulary);
  state.setOptions({ name: 'a' });
  const agent = composeAgent({ identity, state, logger: pino({ level: 'silent' }) });
  agent.links.start();
  addPeer(agent, { fingerprint: (await testIdentity('route-self-b')).fingerprint, name: 'b', allow: [] });
  addPeer(agent, { fingerprint: (await testIdentity('route-self-c')).fingerprint, name: 'c', allow: [] });
  return { agent, self: identity.fingerprint };
}

const thisNode = (ref: string) => (err: Error & { code?: string }) =>
  err.code === 'PEER_NOT_FOUND' && err.message.startsWith(`'${ref}' is this node, not one of its peers; `);

test('this node as a hop, by name or fingerprint, is said to be this node and nothing is saved', async () => {
  const { agent, self } = await nodeA();
  assert.throws(() => setRoute(agent, 'c', ['b', 'a']), thisNode('a'));
  const prefix = self.slice(0, 12).toUpperCase();
  assert.throws(() => setRoute(agent, 'c', [prefix]), thisNode(prefix));
  assert.equal(agent.state.peers().find((p) => p.name === 'c')?.route, undefined);
});

test('this node as the route’s peer is said to be this node; an unknown name is still not a peer', async () => {
  const { agent } = await nodeA();
  assert.throws(() => setRoute(agent, 'A', ['b']), thisNode('A'));
  assert.throws(() => setRoute(agent, 'c', ['zz']), /no peer named 'zz'/);
  assert.deepEqual(setRoute(agent, 'c', ['b']).route, ['b']);
});
