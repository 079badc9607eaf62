import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { firstEcho, socksStream, tcpStream } from '../../../bench/streams.js';
import { serveBenchStream } from '../../../bench/serve.js';

/** Servers started by a test, closed at the end. */
const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

async function listen(onSocket: (s: Socket) => void): Promise<number> {
  const server = createServer(onSocket);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/**
 * A one-connection-at-a-time SOCKS5 server for the tests: answers the greeting with `method`, the
 * CONNECT with `reply` (and `extra` bytes after it), records the requested target, then serves the
 * bench protocol itself (echo/sink) as if it were the target.
 */
function fakeSocks(method: number, reply: number, requested: string[], extra = Buffer.alloc(0)) {
  return (socket: Socket) => {
    let buf = Buffer.alloc(0);
    let stage = 0;
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (stage === 0 && buf.length >= 2 + buf[1]!) {
        buf = buf.subarray(2 + buf[1]!);
        stage = 1;
        socket.write(Buffer.of(5, method));
      }
      // VER CMD RSV ATYP=1 a.b.c.d PORT: 10 bytes for IPv4.
      if (stage === 1 && buf.length >= 10) {
        requested.push(`${buf.subarray(4, 8).join('.')}:${buf.readUInt16BE(8)}`);
        stage = 2;
        socket.off('data', onData);
        socket.write(Buffer.concat([Buffer.of(5, reply, 0, 1, 0, 0, 0, 0, 0, 0), extra]));
        if (reply === 0) serveBenchStream(socket);
        else socket.end();
      }
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
  };
}

describe('bench client streams', () => {
  it('tcpStream connects and firstEcho gets a byte back from the bench server', async () => {
    const port = await listen((s) => serveBenchStream(s));
    await firstEcho(() => tcpStream(port));
  });

  it('socksStream asks for the target and hands over a working stream', async () => {
    const requested: string[] = [];
    const port = await listen(fakeSocks(0, 0, requested));
    await firstEcho(() => socksStream(port, 4321));
    assert.deepEqual(requested, ['127.0.0.1:4321']);
  });

  it('socksStream reports a refused CONNECT with its reply code', async () => {
    const port = await listen(fakeSocks(0, 5, []));
    await assert.rejects(socksStream(port, 1), /answered CONNECT with SOCKS reply 5/);
  });

  it('socksStream reports a proxy that wants authentication', async () => {
    const port = await listen(fakeSocks(0xff, 0, []));
    await assert.rejects(socksStream(port, 1), /refused no-authentication/);
  });

  it('socksStream refuses bytes after the reply (they would be lost)', async () => {
    const port = await listen(fakeSocks(0, 0, [], Buffer.from('x')));
    await assert.rejects(socksStream(port, 1), /bytes after its SOCKS reply/);
  });

  it('tcpStream rejects when nothing listens', async () => {
    const port = await listen(() => undefined);
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    await assert.rejects(tcpStream(port), /ECONNREFUSED/);
  });
});
