/**
 * Rows over a direct connection to bench/peer-child.ts: `raw-tcp` (node:net), `raw-tls` (node:tls, TLS
 * 1.3, both sides presenting certificates as our direct link does) and `direct` (our listenDirect /
 * dialDirect Link with our Mux on top). Setup: TCP connect; TCP + TLS handshake; TCP + TLS + preamble
 * + mux OPEN/ACCEPT of the first stream.
 */
import { connect as tcpConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { Identity } from '../src-main/crypto/identity.js';
import { Mux } from '../src-main/mux/mux.js';
import { dialDirect } from '../src-main/transport/direct.js';
import { startChild, type BenchChild } from './child.js';
import { measurePath, timed, type PathUnderTest } from './path.js';
import { BENCH_MUX_OPTIONS } from './serve.js';
import { benchIdentity } from './relay-node.js';
import type { BenchResult } from './table.js';

/** Stream-open timeout for the bench's mux streams, in ms. */
const OPEN_TIMEOUT_MS = 10_000;

function tcpStream(port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port }, () => {
      socket.off('error', reject);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function tlsStream(port: number, client: Identity): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      {
        host: '127.0.0.1',
        port,
        cert: client.certPem,
        key: client.keyPem,
        minVersion: 'TLSv1.3',
        maxVersion: 'TLSv1.3',
        // The bench pins nothing here: raw-tls is the cost of TLS itself, not of our checks.
        rejectUnauthorized: false,
      },
      () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(socket);
      },
    );
    socket.once('error', reject);
  });
}

async function withPeer(
  name: string,
  start: Record<string, unknown>,
  connect: (child: BenchChild, info: { port: number }) => Promise<PathUnderTest>,
): Promise<BenchResult> {
  const child = startChild('./peer-child.ts');
  try {
    const info = await child.request<{ port: number }>('start', start);
    return await measurePath(name, await connect(child, info));
  } finally {
    await child.stop();
  }
}

export function measureRawTcp(): Promise<BenchResult> {
  return withPeer('raw-tcp', { kind: 'tcp' }, async (_child, { port }) => {
    const first = await timed(() => tcpStream(port));
    first.value.destroy();
    return { open: () => tcpStream(port), setupMs: first.ms, close: () => undefined };
  });
}

export function measureRawTls(server: Identity, client: Identity): Promise<BenchResult> {
  return withPeer('raw-tls', { kind: 'tls', identity: benchIdentity(server) }, async (_child, { port }) => {
    const first = await timed(() => tlsStream(port, client));
    first.value.destroy();
    return { open: () => tlsStream(port, client), setupMs: first.ms, close: () => undefined };
  });
}

export function measureDirect(server: Identity, client: Identity): Promise<BenchResult> {
  const start = { kind: 'direct', identity: benchIdentity(server), clientFingerprint: client.fingerprint };
  return withPeer('direct', start, async (_child, { port }) => {
    const first = await timed(async () => {
      const link = await dialDirect({
        identity: client,
        address: `127.0.0.1:${port}`,
        expectedPeer: server.fingerprint,
      });
      const mux = new Mux(link, BENCH_MUX_OPTIONS);
      const stream = await mux.open('bench', {}, { timeoutMs: OPEN_TIMEOUT_MS });
      return { mux, stream };
    });
    const { mux, stream } = first.value;
    stream.destroy();
    return {
      open: () => mux.open('bench', {}, { timeoutMs: OPEN_TIMEOUT_MS }),
      setupMs: first.ms,
      close: () => mux.close('bench done'),
    };
  });
}
