/**
 * `peers route` (peer-api.ts setRoute) naming this node, as target or hop, by its name or its
 * fingerprint: refused as this node, not as "no peer named …", and nothing is saved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { composeAgent } from '../../../src-main/agent/compose-agent.js';
import { addPeer, setRoute } from '../../../src-main/agent/peer-api.js';
import { NodeState } from '../../../src-main/agent/node-state.js';
import { testIdentity } from '../../helpers/identities.js';
import { tempDir } from '../../helpers/temp-dir.js';

async function nodeA() {
  const identity = await testIdentity('route-self-a');
  const state = NodeState.open(tempDir('cb-route-self-'));
  state.setOptions({ name: 'a' });
  const agent = composeAgent({ identity, state, logger: pino({ level: 'silent' }) });
  agent.links.start();
  addPeer(agent, { fingerprint: (await testIdentity('route-self-b')).fingerprint, name: 'b', allow: [] });
  addPeer(agent, { fingerprint: (await testIdentity('route-self-c')).fingerprint, name: 'c', allow: [] });
  return { agent, self: identity.fingerprint };
}

const refused = (message: string) => (err: Error & { code?: string }) =>
  err.code === 'BAD_ARGUMENT' && err.message === message;

test('this node as a hop, by name or fingerprint, is refused as itself and nothing is saved', async () => {
  const { agent, self } = await nodeA();
  assert.throws(
    () => setRoute(agent, 'c', ['b', 'a']),
    refused("'a' is this node, which cannot be a hop of its own route"),
  );
  assert.throws(
    () => setRoute(agent, 'c', [self.slice(0, 12).toUpperCase()]),
    refused(`'${self.slice(0, 12).toUpperCase()}' is this node, which cannot be a hop of its own route`),
  );
  assert.equal(agent.state.peers().find((p) => p.name === 'c')?.route, undefined);
});

test('this node as the route’s peer is refused as itself; an unknown name is still not a peer', async () => {
  const { agent } = await nodeA();
  assert.throws(
    () => setRoute(agent, 'A', ['b']),
    refused("'A' is this node, which cannot be the peer a route reaches"),
  );
  assert.throws(
    () => setRoute(agent, 'c', ['zz']),
    (err: Error & { code?: string }) =>
      err.code === 'PEER_NOT_FOUND' && /no peer named 'zz'/.test(err.message),
  );
  assert.deepEqual(setRoute(agent, 'c', ['b']).route, ['b']);
});
