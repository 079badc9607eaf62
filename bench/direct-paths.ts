/**
 * Rows over a direct connection to bench/peer-child.ts: `raw-tcp` (node:net), `raw-tls` (node:tls, TLS
 * 1.3, both sides presenting certificates as our direct link does) and `direct` (our listenDirect /
 * dialDirect Link with our Mux on top). Setup: TCP connect; TCP + TLS handshake; TCP + TLS + preamble
 * + mux OPEN/ACCEPT of the first stream. raw-tls and direct are prepared here and measured side by side
 * with `ssh -L` (agent-paths.ts), the row `direct` is compared with.
 */
import { connect as tcpConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { Identity } from '../src-main/crypto/identity.js';
import { Mux } from '../src-main/mux/mux.js';
import { dialDirect } from '../src-main/transport/direct.js';
import { startChild } from './child.js';
import { measurePath, timed, type PathUnderTest } from './path.js';
import { BENCH_MUX_OPTIONS } from './serve.js';
import { benchIdentity } from './relay-node.js';
import type { NamedPath } from './side-by-side.js';
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

/**
 * Starts a peer child serving `start`, connects to it, and returns the path; closing the path also ends
 * the child. Prepared paths are measured side by side with the ones they are compared with (run.ts).
 */
async function preparePeerPath(
  name: string,
  start: Record<string, unknown>,
  connect: (port: number) => Promise<PathUnderTest>,
): Promise<NamedPath> {
  const child = startChild('./peer-child.ts');
  try {
    const { port } = await child.request<{ port: number }>('start', start);
    const path = await connect(port);
    return {
      name,
      ...path,
      close: async () => {
        await path.close();
        await child.stop();
      },
    };
  } catch (err) {
    await child.stop();
    throw err;
  }
}

export async function measureRawTcp(): Promise<BenchResult> {
  const path = await preparePeerPath('raw-tcp', { kind: 'tcp' }, async (port) => {
    const first = await timed(() => tcpStream(port));
    first.value.destroy();
    return { open: () => tcpStream(port), setupMs: first.ms, close: () => undefined };
  });
  return measurePath(path.name, path);
}

export function prepareRawTls(server: Identity, client: Identity): Promise<NamedPath> {
  return preparePeerPath('raw-tls', { kind: 'tls', identity: benchIdentity(server) }, async (port) => {
    const first = await timed(() => tlsStream(port, client));
    first.value.destroy();
    return { open: () => tlsStream(port, client), setupMs: first.ms, close: () => undefined };
  });
}

export function prepareDirect(server: Identity, client: Identity): Promise<NamedPath> {
  const start = { kind: 'direct', identity: benchIdentity(server), clientFingerprint: client.fingerprint };
  return preparePeerPath('direct', start, async (port) => {
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
