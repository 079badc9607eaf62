/**
 * Client streams into a forward under test: a plain TCP connection (ssh -L, `clawbridge forward`) or a
 * SOCKS5 CONNECT (ssh -D, `clawbridge proxy --socks`), using the encoders of src-main/protocol/socks5.ts.
 * Every step has a deadline, so a stuck forward fails its row instead of hanging the bench.
 */
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  AuthMethod,
  decodeReply,
  encodeGreeting,
  encodeRequest,
  SOCKS_VERSION,
  SocksCommand,
  SocksReply,
} from '../src-main/protocol/socks5.js';
import { withDeadline } from './measure.js';
import { MODE_ECHO } from './serve.js';

/** How long a connect, a SOCKS handshake or a first echo may take, in ms. */
export const STREAM_STEP_TIMEOUT_MS = 10_000;

/** A TCP connection to 127.0.0.1:`port` with Nagle off (the ping-pong sends single bytes). */
export function tcpStream(port: number): Promise<Socket> {
  return withDeadline(
    new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(socket);
      });
      socket.once('error', reject);
    }),
    STREAM_STEP_TIMEOUT_MS,
    `connect to 127.0.0.1:${port}`,
  );
}

/**
 * Collects bytes from `socket` until `decode` returns a value. The far end sends nothing after a SOCKS
 * reply until we send, so extra bytes mean a broken proxy.
 */
function readMessage<T>(socket: Socket, decode: (buf: Buffer) => T | undefined, what: string): Promise<T> {
  const reading = new Promise<T>((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      try {
        const value = decode(buf);
        if (value === undefined) return;
        cleanup();
        resolve(value);
      } catch (err) {
        cleanup();
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    };
    const onClose = () => {
      cleanup();
      reject(new Error(`the proxy closed the connection before its ${what}`));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
  });
  return withDeadline(reading, STREAM_STEP_TIMEOUT_MS, `SOCKS ${what}`);
}

/**
 * A SOCKS5 CONNECT through the proxy on 127.0.0.1:`proxyPort` to 127.0.0.1:`targetPort`, no
 * authentication. Resolves once the proxy answered success: from then on the socket is the stream.
 */
export async function socksStream(proxyPort: number, targetPort: number): Promise<Socket> {
  const socket = await tcpStream(proxyPort);
  try {
    socket.write(encodeGreeting([AuthMethod.None]));
    await readMessage(
      socket,
      (buf) => {
        if (buf.length < 2) return undefined;
        if (buf.length > 2 || buf[0] !== SOCKS_VERSION || buf[1] !== AuthMethod.None)
          throw new Error(`the proxy refused no-authentication (answered ${buf.toString('hex')})`);
        return true;
      },
      'method choice',
    );
    socket.write(
      encodeRequest({
        command: SocksCommand.Connect,
        address: { type: 'ipv4', host: '127.0.0.1', port: targetPort },
      }),
    );
    await readMessage(
      socket,
      (buf) => {
        const r = decodeReply(buf);
        if (r.status === 'more') return undefined;
        if (r.status === 'invalid') throw new Error(`bad SOCKS reply: ${r.reason}`);
        if (r.value.reply !== SocksReply.Succeeded)
          throw new Error(`the proxy answered CONNECT with SOCKS reply ${r.value.reply}`);
        if (r.used !== buf.length) throw new Error('the proxy sent bytes after its SOCKS reply');
        return true;
      },
      'reply',
    );
    return socket;
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

/**
 * Opens a stream with `open` and has one byte echoed by the bench server at its far end: the path
 * works end to end (forwards dial their destination lazily, on the first connection). Then closes it.
 */
export async function firstEcho(open: () => Promise<Duplex>): Promise<void> {
  const stream = await open();
  try {
    const echoed = new Promise<void>((resolve, reject) => {
      stream.once('data', () => resolve());
      stream.once('error', reject);
      stream.once('close', () => reject(new Error('the stream closed before the first echo')));
    });
    stream.write(Buffer.of(MODE_ECHO, 0x2a));
    await withDeadline(echoed, STREAM_STEP_TIMEOUT_MS, 'first echo');
  } finally {
    stream.destroy();
  }
}
