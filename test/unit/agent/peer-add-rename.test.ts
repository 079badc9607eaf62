/**
 * `peers add` with a fingerprint that is already a peer under another name: refused with a line that
 * names the peer and the flag, unless `rename` is given (then it is renamed, its permissions kept).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { composeAgent } from '../../../src-main/agent/compose-agent.js';
import { addPeer } from '../../../src-main/agent/peer-api.js';
import { SettingsStore } from '../../../src-main/agent/settings.js';
import { methodParams } from '../../../src-main/api/contract.js';
import { testIdentity } from '../../helpers/identities.js';
import { tempDir } from '../../helpers/temp-dir.js';

async function agentWithPeer() {
  const agent = composeAgent({
    identity: await testIdentity('rename-a'),
    settings: new SettingsStore(tempDir('cb-peer-add-')),
    logger: pino({ level: 'silent' }),
  });
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
    agent.trust.peers().map((p) => p.name),
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
    agent.trust.peers().map((p) => [p.name, p.fingerprint]),
    [['c', fp]],
  );
});

test('the contract accepts rename as an optional boolean', () => {
  const schema = methodParams['peers.add'];
  assert.equal(schema.safeParse({ fingerprint: 'ab', name: 'c', rename: true }).success, true);
  assert.equal(schema.safeParse({ fingerprint: 'ab', name: 'c', rename: 'yes' }).success, false);
});
