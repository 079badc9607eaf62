/**
 * Rows through a relay process (bench/relay-child.ts) to a peer process (bench/peer-child.ts):
 * - `bare-relay`: the baseline ws relay; each stream is one paired WebSocket (createWebSocketStream).
 *   Setup: the WebSocket dial to the relay, which pairs it with the waiting peer.
 * - `relay`: our relay, RelayClient, E2E channel and Mux, as the agent uses them. Both nodes are already
 *   authenticated to the relay (a long-lived connection); setup is circuit OPEN + E2E handshake + the
 *   first mux stream's OPEN/ACCEPT.
 */
import type { Duplex } from 'node:stream';
import type { Identity } from '../src-main/crypto/identity.js';
import { Mux } from '../src-main/mux/mux.js';
import { connectBare } from './bare-relay.js';
import { startChild } from './child.js';
import { measurePath, timed } from './path.js';
import { BENCH_MUX_OPTIONS } from './serve.js';
import { benchIdentity, startRelayNode } from './relay-node.js';
import type { BenchResult } from './table.js';

/** Stream-open timeout for the bench's mux streams, in ms. */
const OPEN_TIMEOUT_MS = 10_000;

export async function measureBareRelay(): Promise<BenchResult> {
  const relay = startChild('./relay-child.ts');
  const peer = startChild('./peer-child.ts');
  try {
    const { url } = await relay.request<{ url: string }>('start', { kind: 'bare' });
    await peer.request('start', { kind: 'bare' });
    let pairs = 0;
    const open = async (): Promise<Duplex> => {
      const key = `pair-${pairs++}`;
      await peer.request('connect-bare', { url, key });
      return (await connectBare(url, key)).stream;
    };
    const key = `pair-${pairs++}`;
    await peer.request('connect-bare', { url, key });
    // Timed from here: the peer already waits at the relay, as a node waits on its relay connection.
    const first = await timed(() => connectBare(url, key));
    first.value.stream.destroy();
    return await measurePath('bare-relay', { open, setupMs: first.ms, close: () => undefined });
  } finally {
    await Promise.all([peer.stop(), relay.stop()]);
  }
}

export async function measureRelay(server: Identity, client: Identity): Promise<BenchResult> {
  const relay = startChild('./relay-child.ts');
  const peer = startChild('./peer-child.ts');
  try {
    const { url } = await relay.request<{ url: string }>('start', { kind: 'clawbridge' });
    await peer.request('start', {
      kind: 'relay',
      url,
      identity: benchIdentity(server),
      clientFingerprint: client.fingerprint,
    });
    const node = await startRelayNode({ url, identity: benchIdentity(client) });
    try {
      const first = await timed(async () => {
        const link = await node.dial(server.fingerprint);
        const mux = new Mux(link, BENCH_MUX_OPTIONS);
        const stream = await mux.open('bench', {}, { timeoutMs: OPEN_TIMEOUT_MS });
        return { mux, stream };
      });
      const { mux, stream } = first.value;
      stream.destroy();
      return await measurePath('relay', {
        open: () => mux.open('bench', {}, { timeoutMs: OPEN_TIMEOUT_MS }),
        setupMs: first.ms,
        close: () => mux.close('bench done'),
      });
    } finally {
      node.stop();
    }
  } finally {
    await Promise.all([peer.stop(), relay.stop()]);
  }
}
