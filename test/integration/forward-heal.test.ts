/**
 * A saved forward whose port is taken when the agent starts heals by itself (issue "The first hour"):
 * `forward list` shows the retry, the agent prints one readable line (not a JSON log line), and once
 * the blocker goes the forward listens again within 30 s and carries a connection.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { createServer } from 'node:net';
import type { ForwardInfo } from '../../src-main/forwards/forwards-contract.js';
import { agentCall, cliJson, stopAll } from '../helpers/processes.js';
import { fileServer, ok, startAgent, startPair, waitForPath } from './forward-helpers.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

after(stopAll);

function getLength(port: number, path: string): Promise<{ status: number; length: number }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: 20_000 }, (res) => {
      let length = 0;
      res.on('data', (c: Buffer) => (length += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, length }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
  });
}

test(
  'a forward whose port was taken at start comes up by itself once the port is free',
  { timeout: 120_000 },
  async () => {
    const pair = await startPair();
    const file = await fileServer(64 * 1024);
    after(() => file.server.close());
    const home = ['--home', pair.homeA];
    const port = await freePort();
    await ok([
      'forward',
      'add',
      '--name',
      'web',
      '--local',
      String(port),
      '--via',
      'b',
      '--remote',
      `127.0.0.1:${file.port}`,
      ...home,
    ]);
    await pair.a.stop();

    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    after(() => void (blocker.listening && blocker.close()));
    pair.a = await startAgent(pair.homeA, { name: 'a' });
    const [listed] = await cliJson<ForwardInfo[]>(['forward', 'list', ...home]);
    assert.equal(listed?.state, 'error');
    assert.match(
      listed?.error ?? '',
      new RegExp(`^address 127\\.0\\.0\\.1:${port} in use; retrying every 30 s at most$`),
    );
    assert.ok(listed?.retryAt && Date.parse(listed.retryAt) > Date.now() - 5_000, 'retryAt is set');
    await until(
      'the readable notice',
      () =>
        pair.a
          .stderr()
          .includes(`clawbridge: forward web: 127.0.0.1:${port} is in use; retrying every 30 s at most\n`) ||
        undefined,
      5_000,
    );
    assert.doesNotMatch(pair.a.stderr(), /"level"/, 'no JSON log line for the taken port');

    await new Promise<void>((r) => blocker.close(() => r()));
    const closedAt = Date.now();
    await until(
      'the forward listening again',
      async () => (await agentCall(pair.homeA, 'forward.list', {}))[0]?.state === 'listening',
      30_000,
    );
    assert.ok(Date.now() - closedAt < 30_000, 'Date.now() - closedAt < 30_000');
    await waitForPath(pair.homeA, 'b', 'direct');
    const got = await getLength(port, '/file');
    assert.deepEqual(got, { status: 200, length: file.size });
    const [after1] = await cliJson<ForwardInfo[]>(['forward', 'list', ...home]);
    assert.equal(after1?.connections, 1);
    assert.equal(after1?.error, undefined);
    assert.equal(after1?.retryAt, undefined);
  },
);
