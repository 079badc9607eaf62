/**
 * How main reaches its agent (src-main/electron/agent-client.ts over api/control-client.ts), against a
 * real control server with a handler in memory: a subscription is in place before the next call is
 * handled, a later listener gets the newest status, another node's refusal keeps its code, and a
 * terminal stream asks for viewer ACKs (the window acknowledges output) and carries bytes both ways.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { StatusEvent } from '../../../src-main/api/contract.js';
import type { ServedApi } from '../../../src-main/api/contract-registry.js';
import { agentContract } from '../../helpers/agent-contract.js';
import { startControlServer } from '../../../src-main/api/control-server.js';
import type { StreamUpgradeHandlers } from '../../../src-main/api/stream-upgrade.js';
import type { ViewerChannel } from '../../../src-main/api/viewer-channel.js';
import { ClawError, isClawError } from '../../../src-main/core/errors.js';
import { connectAgentClient } from '../../../src-main/electron/agent-client.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { until } from '../../helpers/wait.js';

const STATUS = { status: { name: 'desk' } } as unknown as StatusEvent;

function memoryAgent() {
  const listeners = new Set<(event: string, data: unknown) => void>();
  const emit = (event: string, data: unknown) => listeners.forEach((l) => l(event, data));
  const handler: ServedApi = {
    contract: agentContract,
    call(method) {
      // A change made by a call is announced at once, as the agent does.
      if (method === 'forward.add') {
        emit('changed', {});
        return Promise.resolve({ name: 'web' } as never);
      }
      return Promise.reject(
        new ClawError('STREAM_REJECTED', 'far refused: permission denied', { refusal: 'PERMISSION_DENIED' }),
      );
    },
    onEvent(listener) {
      const l = listener as (event: string, data: unknown) => void;
      listeners.add(l);
      // Every new subscriber gets the status once, as agent-api.ts's hub does.
      queueMicrotask(() => l('status', STATUS));
      return () => void listeners.delete(l);
    },
  };
  return { handler };
}

test('events, refusals and a terminal stream through the control socket', async () => {
  const home = tempDir('cb-agent-client-');
  const path = join(home, 'agent.sock');
  const opened: ViewerChannel[] = [];
  const upgrades: StreamUpgradeHandlers = {
    'terminal.open': () =>
      Promise.resolve({
        result: { id: '0123456789abcdef', path: 'direct', remote: '127.0.0.1:1', pty: true },
        attach: (channel) => {
          opened.push(channel);
          channel.onData((bytes) => channel.write(Buffer.concat([Buffer.from('echo:'), bytes])));
          channel.resume();
          channel.write(Buffer.from('hello'));
        },
        cancel: () => undefined,
      }),
  };
  const server = await startControlServer(path, memoryAgent().handler, upgrades);
  const client = await connectAgentClient(path, home);
  try {
    const first: string[] = [];
    client.onEvent((event) => first.push(event));
    // Subscribed on the request connection: the change this call causes is not missed.
    await client.call('forward.add', { local: '8080', via: 'b', remote: '127.0.0.1:80' });
    await until("first.includes('changed')", () => first.includes('changed'));
    assert.deepEqual([...first].sort(), ['changed', 'status']);

    const later: [string, unknown][] = [];
    client.onEvent((event, data) => later.push([event, data]));
    await until('later.length === 1', () => later.length === 1);
    assert.deepEqual(later, [['status', STATUS]]);

    await assert.rejects(
      client.call('peers.remove', { peer: 'far' }),
      (err) =>
        isClawError(err, 'STREAM_REJECTED') &&
        err.refusal === 'PERMISSION_DENIED' &&
        err.message === 'far refused: permission denied',
    );

    const stream = await client.openStream('terminal.open', { peer: 'b', cols: 80, rows: 24 });
    assert.deepEqual(stream.result, {
      id: '0123456789abcdef',
      path: 'direct',
      remote: '127.0.0.1:1',
      pty: true,
    });
    const got: Buffer[] = [];
    stream.channel.onData((b) => got.push(Buffer.from(b)));
    stream.channel.resume();
    stream.channel.write(Buffer.from('typed'));
    await until("Buffer.concat(got).toString().includes('echo:typed')", () =>
      Buffer.concat(got).toString().includes('echo:typed'),
    );
    assert.ok(Buffer.concat(got).toString().startsWith('hello'), 'the first bytes came with the reply');
    assert.equal(opened[0]?.viewerAcks, true, 'the agent waits for the window to acknowledge output');
    assert.equal(stream.channel.viewerAcks, true);
    stream.channel.close();
  } finally {
    client.close();
    await server.close();
  }
});
