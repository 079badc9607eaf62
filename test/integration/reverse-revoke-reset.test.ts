/**
 * A revoked reverse connection is reset, not drained: b listens for a's reverse forward, a's target
 * streams without end, and a client on b's port reads it. `peers deny a listen` on b cuts the client
 * at once with a TCP reset (ECONNRESET, never a clean end), so what was queued for it on b or in the
 * mux is not delivered after the owner took the grant away; a's target is cut as well.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { controlConnection } from '../helpers/control-connection.js';
import { cli, stopAll } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';
import { ok, startPair } from './forward-helpers.js';
import { freePort } from '../helpers/ports.js';

after(stopAll);

/**
 * How long after the deny returns the client may still be open, in ms: the cut comes from the deny,
 * not from the transfer ending (its target writes until cut); how soon is printed, not asserted.
 */
const CUT_WITHIN_MS = 5_000;

const CHUNK = Buffer.alloc(64 * 1024, 0x61);

test('peers deny a listen resets the reverse connection its client reads', { timeout: 120_000 }, async () => {
  // a's target: writes as fast as it is read, until it is cut.
  let targetCut: string | undefined;
  const target = createServer((s: Socket) => {
    s.on('error', (err: NodeJS.ErrnoException) => (targetCut = err.code ?? err.message));
    s.on('close', () => (targetCut ??= 'closed'));
    const pump = () => {
      while (!s.destroyed && s.write(CHUNK));
    };
    s.on('drain', pump);
    pump();
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  after(() => target.close());
  const targetPort = (target.address() as { port: number }).port;

  const pair = await startPair();
  await ok(['peers', 'allow', 'a', 'listen', '--home', pair.homeB]);
  const port = await freePort();
  const added = await cli([
    'forward',
    'add',
    '--reverse',
    '--via',
    'b',
    '--listen',
    String(port),
    '--to',
    `127.0.0.1:${targetPort}`,
    '--name',
    'rev',
    '--home',
    pair.homeA,
  ]);
  assert.equal(added.code, 0, added.stderr);

  const client = connect(port, '127.0.0.1');
  let received = 0;
  let ended: 'reset' | 'clean end' | 'closed' | undefined;
  let endedAt = 0;
  client.on('data', (c: Buffer) => (received += c.length));
  client.on('end', () => (ended ??= 'clean end'));
  client.on('error', (err: NodeJS.ErrnoException) => {
    ended ??= err.code === 'ECONNRESET' ? 'reset' : 'closed';
  });
  client.on('close', () => {
    ended ??= 'closed';
    endedAt = Date.now();
  });
  await until('bytes flowing to the client', () => received > 4 * 1024 * 1024, 20_000);

  const api = await controlConnection(pair.homeB);
  after(() => api.close());
  await api.call('peers.deny', { peer: 'a', permission: 'listen' });
  const denied = Date.now();
  const atDeny = received;
  await until('the client cut', () => endedAt > 0, 30_000);
  const ms = endedAt - denied;
  console.log(`# client cut ${ms} ms after the deny, ${received - atDeny} bytes after it`);
  assert.equal(ended, 'reset', 'a revoked connection ends with a reset, not a clean end');
  assert.ok(ms <= CUT_WITHIN_MS, `the client was still open ${ms} ms after the deny`);
  await until('a’s target cut too', () => targetCut !== undefined, 30_000);
  assert.equal(targetCut, 'ECONNRESET', 'a resets its target too');
});
