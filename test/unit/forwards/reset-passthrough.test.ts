/**
 * A TCP reset crosses a forward as a reset, both ways (splice.ts): the bytes sent before it arrive,
 * then the other end sees ECONNRESET, not a clean end that would make a cut-off transfer look whole.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { handleTcpForwardConnection } from '../../../src-main/forwards/tcp-forward.js';
import { frontEnd, memoryExit } from './fixtures.js';
import { until } from '../../helpers/wait.js';
import { failTest } from '../../helpers/unawaited.js';

const cleanups: (() => unknown)[] = [];
after(() => cleanups.forEach((c) => c()));

async function listening(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => server.close());
  return (server.address() as { port: number }).port;
}

/** A TCP forward on a local port to `targetPort` through an in-memory exit peer "b". */
async function forwardTo(targetPort: number): Promise<number> {
  const exit = memoryExit();
  cleanups.push(exit.close);
  const fe = frontEnd(exit.dialer);
  const listener = createServer((socket) => {
    handleTcpForwardConnection(socket, { ...fe.ctx, via: 'b', host: '127.0.0.1', port: targetPort }).catch(
      failTest('handleTcpForwardConnection'),
    );
  });
  return listening(listener);
}

/** Everything `socket` receives, and how it ended: 'end' (FIN) or the error code (ECONNRESET). */
function outcome(socket: Socket): Promise<{ got: string; how: string }> {
  let got = '';
  socket.on('data', (c: Buffer) => (got += c.toString()));
  return new Promise((resolve) => {
    socket.once('end', () => resolve({ got, how: 'end' }));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve({ got, how: err.code ?? err.message }));
  });
}

// Each reset is sent only once the bytes before it have arrived at the far end: a reset discards what
// the receiving kernel has not handed to the program yet, so a reset sent after a fixed pause loses
// them whenever the forward is slower than the pause (a busy machine), which is TCP, not the forward.

test('the target resets after some bytes: the client gets them, then a reset', async () => {
  let target: Socket | undefined;
  const rude = createServer((s) => {
    target = s;
    s.write('partial');
  });
  const port = await forwardTo(await listening(rude));
  const client = connect(port, '127.0.0.1');
  let got = '';
  client.on('data', (c: Buffer) => (got += c.toString()));
  const ended = outcome(client);
  await until('the bytes before the reset at the client', () => got === 'partial');
  target!.resetAndDestroy();
  assert.deepEqual(await ended, { got: 'partial', how: 'ECONNRESET' });
});

test('the client resets: the target gets its bytes, then a reset', async () => {
  let got = '';
  let seen: Promise<{ got: string; how: string }> | undefined;
  const target = createServer((s) => {
    s.on('data', (c: Buffer) => (got += c.toString()));
    seen = outcome(s);
  });
  const port = await forwardTo(await listening(target));
  const client = connect(port, '127.0.0.1');
  client.on('error', () => undefined);
  client.write('abc');
  await until('the bytes before the reset at the target', () => got === 'abc');
  client.resetAndDestroy();
  assert.deepEqual(await seen, { got: 'abc', how: 'ECONNRESET' });
});
