/**
 * Fixtures for forward tests: an exit peer over an in-memory mux pair running the real tcp-connect
 * service (permission check included), loopback TCP servers, a raw TCP client that reads exact byte
 * counts, and a logger whose lines the test can read.
 */
import type { Duplex } from 'node:stream';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { ServiceRegistry } from '../../../src-main/services/services.js';
import type { Permission } from '../../../src-main/state/settings.js';
import { ClawError } from '../../../src-main/core/errors.js';
import { tcpConnectDialer, type Dialer } from '../../../src-main/forwards/dialer.js';
import type { FrontEndContext } from '../../../src-main/forwards/front-end.js';
import type { LookupAll } from '../../../src-main/forwards/destination-check.js';
import { serveTcpConnect, type ConnectSocket } from '../../../src-main/forwards/tcp-connect-service.js';
import { TCP_CONNECT_SERVICE } from '../../../src-main/forwards/tcp-connect-protocol.js';
import { muxPair } from '../mux/mux-fixtures.js';
import type { OpenOptions } from '../../../src-main/mux/mux.js';
import type { StreamResumes } from '../../../src-main/forwards/stream-resumes.js';
import { failTest } from '../../helpers/unawaited.js';

/** A pino logger that keeps every line's message (and level) in memory. */
/** A log line as pino wrote it: its level, message and fields. */
export type LogLine = { level: number; msg: string } & Record<string, unknown>;

export function memoryLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as LogLine);
      }
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

export interface ExitOptions {
  /** What the exit peer ("b") allows the opener ("a"); default ['forward']. */
  allow?: Permission[];
  forwardTo?: string[];
  /** The exit's resolver (default: the system's); tests pass a fake so no real name is looked up. */
  lookup?: LookupAll;
  /** The exit's net.connect (default: the real one). */
  connect?: ConnectSocket;
  /** One-way delay of the in-memory link, in ms (default 0). */
  latencyMs?: number;
  /** Halves of resumable streams at the exit; absent: a `resume` argument is ignored. */
  resumes?: StreamResumes;
}

/**
 * Node "a" dialing through exit peer "b" over an in-memory link. Only the peer name "b" exists; any
 * other name fails like resolvePeer does.
 */
export function memoryExit(opts: ExitOptions = {}): {
  dialer: Dialer;
  /** Opens a bare tcp-connect stream from "a" (what the dialer does before it reads the result). */
  open: (args: { host: string; port: number; resume?: string }, opts?: OpenOptions) => Promise<Duplex>;
  exitLog: ReturnType<typeof memoryLogger>;
  close: () => void;
} {
  const registry = new ServiceRegistry();
  const exitLog = memoryLogger();
  registry.register(TCP_CONNECT_SERVICE, {
    permission: 'forward',
    noun: 'forwards',
    admits: 'connection',
    kind: 'tcp-exit',
    handle: (req, served) => {
      serveTcpConnect(
        {
          name: 'b',
          log: exitLog.log,
          limitsFor: () => opts.forwardTo,
          lookup: opts.lookup,
          connect: opts.connect,
          resumes: opts.resumes,
        },
        req,
        served,
      ).catch(failTest('serveTcpConnect'));
    },
  });
  const pair = muxPair({
    link: { latencyMs: opts.latencyMs ?? 0 },
    b: {
      onStream: (req) =>
        registry.dispatch(
          'b',
          { fingerprint: 'a'.repeat(64), name: 'a', allow: opts.allow ?? ['forward'] },
          req,
        ),
    },
  });
  // Both muxes take early data, as two current agents do: the front ends' first bytes go with the OPEN.
  const dialer = tcpConnectDialer(async (peer, args, early) => {
    if (peer !== 'b')
      throw new ClawError('PEER_NOT_FOUND', `no peer named '${peer}'; \`clawbridge peers\` lists them`);
    return pair.ma.open(TCP_CONNECT_SERVICE, args, early ? { early } : {});
  });
  const open = (args: { host: string; port: number; resume?: string }, opts?: OpenOptions) =>
    pair.ma.open(TCP_CONNECT_SERVICE, args, opts);
  return { dialer, open, exitLog, close: () => pair.close() };
}

/** A front-end context over `dialer`, with counters and notices the test can read. */
export function frontEnd(
  dialer: Dialer,
  name = 'test',
): {
  ctx: FrontEndContext;
  counts: { bytesIn: number; bytesOut: number };
  notices: string[];
  lines: { level: number; msg: string }[];
} {
  const counts = { bytesIn: 0, bytesOut: 0 };
  const notices: string[] = [];
  const { log, lines } = memoryLogger();
  return {
    ctx: {
      name,
      noun: 'forward',
      dialer,
      log,
      counters: { bytesIn: (n) => (counts.bytesIn += n), bytesOut: (n) => (counts.bytesOut += n) },
      // As the forward manager words the notice.
      problem: (m, _fields, quiet) => {
        if (quiet !== true) notices.push(`forward ${name}: ${m}`);
      },
      opened: () => undefined,
    },
    counts,
    notices,
    lines,
  };
}

/**
 * An echo server on 127.0.0.1:0 that honours half-close: it echoes until the client's FIN, then ends
 * its side (after an optional `suffix`), so a test sees both directions close in order.
 */
export async function echoServer(suffix = ''): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => undefined);
    s.on('data', (c: Buffer) => s.write(c));
    s.on('end', () => s.end(suffix));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port };
}

/** A port on 127.0.0.1 nothing listens on (bound, read, released). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A raw client: connect, then read exactly n bytes or everything until the server's end. */
export class RawClient {
  private buf = Buffer.alloc(0);
  private ended = false;
  private closed = false;
  private waiters: (() => void)[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const socket = connect({ port, host, allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async until(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`RawClient: ${what} not within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  /** Exactly `n` bytes (fails if the connection ends first). */
  async read(n: number, timeoutMs = 5000): Promise<Buffer> {
    await this.until(() => this.buf.length >= n || this.ended || this.closed, `${n} bytes`, timeoutMs);
    if (this.buf.length < n)
      throw new Error(`RawClient: connection ended after ${this.buf.length} of ${n} bytes`);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Everything until the server ends or closes the connection. */
  async readToEnd(timeoutMs = 5000): Promise<Buffer> {
    await this.until(() => this.ended || this.closed, 'end', timeoutMs);
    const out = this.buf;
    this.buf = Buffer.alloc(0);
    return out;
  }

  /** Resolves once the connection is fully closed (by either side). */
  async closedByServer(timeoutMs = 5000): Promise<void> {
    await this.until(() => this.closed || this.ended, 'close', timeoutMs);
  }

  write(data: Uint8Array | string): void {
    this.socket.write(data);
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
