/**
 * `clawbridge agent` keeps V8's compilers off until work lasts (ADR 0076), and a burst of messages is
 * such work: a program pipelining a thousand sends (the client library's one `messages.sendMany`) turns
 * them on as it begins (core/work-hooks.ts). Before, the agent waited for busy spans in a row to add up,
 * which a burst of messages ends before: every burst ran on the interpreter from start to end.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { MESSAGES_IN_A_BURST } from '../../src-main/messages/message-burst.js';
import { SPARKPLUG_LINE, startTracedAgent, TURBOFAN_LINE } from '../helpers/traced-agent.js';
import { until } from '../helpers/wait.js';

test('an agent taking a burst of a thousand messages turns its compilers on (ADR 0076, work announced)', async () => {
  const agent = await startTracedAgent('agent-burst');
  try {
    const { client } = agent;
    // A saved peer that is not online: the messages wait in the outbox, as they do for a peer away.
    await client.call('peers.add', { fingerprint: randomBytes(32).toString('hex'), name: 'away' });
    const messages = Array.from({ length: MESSAGES_IN_A_BURST }, (_, i) => ({ text: `job ${i}` }));
    const sent = await client.call('messages.sendMany', { peer: 'away', messages });
    assert.equal(sent.queued.length, MESSAGES_IN_A_BURST);
    // The burst's own work is what the compilers take: nothing more is asked of the agent.
    await until(
      'a function compiled by TurboFan or Sparkplug',
      () => agent.linesSinceStart().some((l) => TURBOFAN_LINE.test(l) || SPARKPLUG_LINE.test(l)),
      30_000,
    );
  } finally {
    await agent.stop();
  }
});
