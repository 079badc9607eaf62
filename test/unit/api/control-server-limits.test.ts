/**
 * Control socket limits (docs/security.md "Listener limits"): connections are capped, the one over the
 * cap is told why, and a client that does not read its replies is dropped once they pass a bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import {
  MAX_CONTROL_CONNECTIONS,
  MAX_IN_FLIGHT_REQUESTS,
  MAX_REPLY_BACKLOG,
  startControlServer,
  TOO_MANY_CONTROL_CONNECTIONS,
} from '../../../src-main/api/control-server.js';
import { ControlClient } from '../../../src-main/api/control-client.js';
import type { ServedApi } from '../../../src-main/api/contract-registry.js';
import { agentContract } from '../../helpers/agent-contract.js';
import { controlSocketPath } from '../../../src-main/home/home-dir.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { within } from '../../helpers/relay-harness.js';
import { until } from '../../helpers/wait.js';

const handler: ServedApi = {
  contract: agentContract,
  call: (method) => Promise.resolve({ method } as never),
  onEvent: () => () => undefined,
};

function open(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path, () => resolve(s));
    s.once('error', reject);
  });
}

test('at most MAX_CONTROL_CONNECTIONS are open; one more is told why, and a freed slot serves again', async () => {
  const home = tempDir('cb-ctl-');
  const path = controlSocketPath(home);
  const server = await startControlServer(path, handler);
  const held: Socket[] = [];
  for (let i = 0; i < MAX_CONTROL_CONNECTIONS; i++) held.push(await open(path));

  const extra = await ControlClient.connect(path, home);
  await assert.rejects(extra.call('status', {}), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'NO_AGENT');
    assert.equal(err.message, TOO_MANY_CONTROL_CONNECTIONS);
    return true;
  });

  held.pop()!.destroy();
  const client = await until('a connection admitted once one closed', async () => {
    const c = await ControlClient.connect(path, home);
    try {
      await c.call('status', {});
      return c;
    } catch (err) {
      c.close();
      throw err;
    }
  });
  assert.deepEqual(await client.call('status', {}), { method: 'status' });
  client.close();
  for (const s of held) s.destroy();
  await server.close();
});

test('a client whose unread replies pass MAX_REPLY_BACKLOG is disconnected', async () => {
  const big = 'x'.repeat(1024 * 1024);
  let called = 0;
  const bigReplies: ServedApi = {
    contract: agentContract,
    call: () => (called++, Promise.resolve({ big } as never)),
    onEvent: () => () => undefined,
  };
  const path = controlSocketPath(tempDir('cb-ctl-'));
  const server = await startControlServer(path, bigReplies);
  const s = await open(path);
  s.pause(); // reads nothing while the replies are made
  // All handed out before the first reply is written, so the read pause alone cannot stop them.
  const requests = MAX_IN_FLIGHT_REQUESTS;
  s.write(
    Array.from({ length: requests }, (_, i) => JSON.stringify({ id: i + 1, method: 'status', params: {} }))
      .map((l) => l + '\n')
      .join(''),
  );
  // Every request handled; the server writes each reply as its answer resolves, before the next turn.
  await until('every request handed to the API', () => called === requests);
  await new Promise((r) => setImmediate(r));
  let bytes = 0;
  const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
  s.on('data', (c: Buffer) => (bytes += c.length));
  s.on('error', () => undefined);
  s.resume();
  await within('the server to drop the client', closed, 10_000);
  const replyBytes = big.length + 40;
  assert.ok(bytes < requests * replyBytes, `got ${bytes} bytes: every reply, the client was not dropped`);
  // What was queued when it was dropped, plus one reply and what the kernel held.
  assert.ok(bytes <= MAX_REPLY_BACKLOG + 2 * replyBytes, `got ${bytes} bytes`);
  await server.close();
});
