/**
 * A TCP forward's first client bytes go with the stream's OPEN (mux/early-data.ts, ADR 0024): they reach
 * the target before the exit's ACCEPT could have come back, and the forward counts them.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { handleTcpForwardConnection } from '../../../src-main/forwards/tcp-forward.js';
import { frontEnd, memoryExit } from './fixtures.js';
import { failTest } from '../../helpers/unawaited.js';

const cleanups: (() => unknown)[] = [];
after(() => cleanups.forEach((c) => c()));

async function listening(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => server.close());
  return (server.address() as { port: number }).port;
}

test('the client’s first bytes are sent with the OPEN, reach the target in order and are counted', async () => {
  const received: Buffer[] = [];
  let targetSide: Socket | undefined;
  const target = createServer((s) => {
    targetSide = s;
    s.on('data', (c: Buffer) => {
      received.push(c);
      if (Buffer.concat(received).toString() === 'hello world') s.end('hi back');
    });
  });
  const exit = memoryExit();
  cleanups.push(exit.close);
  const fe = frontEnd(exit.dialer);
  let dialed = 0;
  let early = 0;
  let openSent!: () => void;
  const sentWithOpen = new Promise<void>((r) => (openSent = r));
  const dialer = {
    connect: (...args: Parameters<typeof exit.dialer.connect>) => {
      dialed++;
      // The early source is the client's socket.
      const opts = args[3];
      assert.ok(opts?.early, 'the forward offers its client as the early source');
      const [peer, host, p] = args;
      return exit.dialer.connect(peer, host, p, {
        ...opts,
        sentEarly: (n) => {
          early += n;
          opts.sentEarly?.(n);
          openSent();
        },
      });
    },
  };
  const targetPort = await listening(target);
  // Served a moment after the connection, so "hello" is already there (as a request right after the
  // handshake usually is): it must go with the OPEN, before the exit's ACCEPT can come back.
  const listener = createServer((socket) => {
    setTimeout(() => {
      handleTcpForwardConnection(socket, {
        ...fe.ctx,
        dialer,
        via: 'b',
        host: '127.0.0.1',
        port: targetPort,
      }).catch(failTest('handleTcpForwardConnection'));
    }, 30);
  });
  const port = await listening(listener);
  const client = connect(port, '127.0.0.1');
  client.write('hello');
  // The rest only once the OPEN has gone with "hello" (waiting a fixed time instead failed on a
  // loaded machine: the forward had not begun when " world" came, and both went with the OPEN).
  const noOpen = setTimeout(() => openSent(), 10_000);
  await sentWithOpen;
  clearTimeout(noOpen);
  assert.equal(early, 5, 'no bytes went with the OPEN within 10 s');
  client.write(' world');
  let got = '';
  client.on('data', (c: Buffer) => (got += c.toString()));
  await new Promise((r) => client.once('end', r));
  assert.equal(got, 'hi back');
  assert.equal(Buffer.concat(received).toString(), 'hello world');
  assert.equal(dialed, 1);
  assert.equal(early, 5, '"hello" went with the OPEN, " world" after the ACCEPT');
  assert.equal(fe.counts.bytesOut, 11, 'early bytes are counted like the rest');
  // The client's FIN goes through, and the target's connection closes cleanly (no reset left for the
  // teardown to cause after the test).
  client.end();
  await new Promise((r) => targetSide!.once('close', r));
  client.destroy();
});
