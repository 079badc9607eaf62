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
  const listener = createServer(
    (socket) =>
      void handleTcpForwardConnection(socket, { ...fe.ctx, via: 'b', host: '127.0.0.1', port: targetPort }),
  );
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

test('the target resets after some bytes: the client gets them, then a reset', async () => {
  const rude = createServer((s) => {
    s.write('partial', () => setTimeout(() => s.resetAndDestroy(), 50));
  });
  const port = await forwardTo(await listening(rude));
  const client = connect(port, '127.0.0.1');
  assert.deepEqual(await outcome(client), { got: 'partial', how: 'ECONNRESET' });
});

test('the client resets: the target gets its bytes, then a reset', async () => {
  let seen: Promise<{ got: string; how: string }> | undefined;
  const target = createServer((s) => {
    seen = outcome(s);
  });
  const port = await forwardTo(await listening(target));
  const client = connect(port, '127.0.0.1');
  client.on('error', () => undefined);
  client.write('abc', () => setTimeout(() => client.resetAndDestroy(), 100));
  await until('the target reached', () => seen);
  assert.deepEqual(await seen, { got: 'abc', how: 'ECONNRESET' });
});
