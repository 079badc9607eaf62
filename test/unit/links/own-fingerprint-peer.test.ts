/** A config.json edited to list the node itself as a peer: the agent skips that entry and says so. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { composeAgent } from '../../../src-main/app/compose-agent.js';
import { NodeState } from '../../../src-main/state/node-state.js';
import { testIdentity } from '../../helpers/identities.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { agentVocabulary } from '../../helpers/agent-contract.js';

test('a peer entry with this node’s own fingerprint is ignored with a notice', async () => {
  const identity = await testIdentity('own-peer');
  const home = tempDir('cb-own-peer-');
  const peer = (name: string, fingerprint: string) => ({
    name,
    fingerprint,
    addedAt: new Date().toISOString(),
  });
  writeFileSync(
    join(home, 'config.json'),
    JSON.stringify({
      listen: null,
      lan: false,
      peers: [peer('me', identity.fingerprint), peer('b', 'b'.repeat(64))],
    }),
  );
  const agent = composeAgent({
    identity,
    state: NodeState.open(home, undefined, agentVocabulary),
    logger: pino({ level: 'silent' }),
  });
  const notices: string[] = [];
  agent.notices.events.on('notice', (n) => notices.push(n.message));
  await agent.start();
  try {
    assert.deepEqual(
      agent.links.peerEntries().map((e) => e.record.name),
      ['b'],
    );
    assert.ok(
      notices.some((n) => /lists this node itself as peer 'me'; ignored/.test(n)),
      notices.join('\n'),
    );
  } finally {
    await agent.stop();
  }
});
