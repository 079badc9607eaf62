/**
 * The agent's parts start and stop as one ordered list (compose-agent.ts, core/lifecycle.ts): a start
 * that fails part-way stops what had started, and a stop asked for twice is one stop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { pino } from 'pino';
import { composeAgent } from '../../../src-main/app/compose-agent.js';
import { parseHostPort } from '../../../src-main/core/host-port.js';
import { testIdentity } from '../../helpers/identities.js';
import { memoryState } from '../../helpers/memory-state.js';

/** True when something accepts TCP connections at `address` (`host:port`). */
async function accepting(address: string): Promise<boolean> {
  const { host, port } = parseHostPort(address);
  const socket = connect({ host, port });
  try {
    await once(socket, 'connect');
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

test('a start that fails at the own relay closes the direct listener it had opened', async (t) => {
  // The own relay's port is taken, so its start fails after the direct listener's succeeded.
  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => taken.close());
  const { port } = taken.address() as { port: number };
  const { state } = memoryState({
    listen: '127.0.0.1:0',
    lan: false,
    actAsRelay: true,
    relayListen: `127.0.0.1:${port}`,
  });
  const agent = composeAgent({
    identity: await testIdentity('life'),
    state,
    logger: pino({ level: 'silent' }),
  });
  // The listener is up before the own relay fails (start order: listener, then own relay).
  await assert.rejects(agent.start(), /cannot act as relay on 127\.0\.0\.1:\d+: it is already in use/);
  const listening = agent.local.listenAddress;
  assert.ok(listening, 'the direct listener had started');
  assert.equal(await accepting(listening), false, 'the direct listener was closed by the failed start');
  assert.equal(agent.ownRelay, undefined);
  // Nothing is left to stop.
  await agent.stop();
});

test("an agent's stop asked for twice is one stop", async () => {
  const { state } = memoryState({ listen: '127.0.0.1:0', lan: false });
  const agent = composeAgent({
    identity: await testIdentity('life2'),
    state,
    logger: pino({ level: 'silent' }),
  });
  await agent.start();
  const address = agent.local.listenAddress!;
  assert.equal(await accepting(address), true);
  const first = agent.stop();
  assert.equal(agent.stop(), first);
  await first;
  assert.equal(await accepting(address), false);
});
