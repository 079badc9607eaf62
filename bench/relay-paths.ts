/**
 * Rows through a relay process (bench/relay-child.ts) to a peer process (bench/peer-child.ts), set up
 * here and measured side by side (side-by-side.ts):
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
import { timed } from './path.js';
import { BENCH_MUX_OPTIONS } from './serve.js';
import { benchIdentity, startRelayNode } from './relay-node.js';
import type { NamedPath } from './side-by-side.js';

/** Stream-open timeout for the bench's mux streams, in ms. */
const OPEN_TIMEOUT_MS = 10_000;

/** The bare relay and a peer behind it, ready to measure; `close` ends both processes. */
export async function prepareBareRelay(): Promise<NamedPath> {
  const relay = startChild('./relay-child.ts');
  const peer = startChild('./peer-child.ts');
  const stop = async () => {
    await Promise.all([peer.stop(), relay.stop()]);
  };
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
    return { name: 'bare-relay', open, setupMs: first.ms, close: stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Our relay, a peer node behind it and this process as the other node, ready to measure. */
export async function prepareRelay(server: Identity, client: Identity): Promise<NamedPath> {
  const relay = startChild('./relay-child.ts');
  const peer = startChild('./peer-child.ts');
  let node: Awaited<ReturnType<typeof startRelayNode>> | undefined;
  let mux: Mux | undefined;
  const stop = async () => {
    mux?.close('bench done');
    node?.stop();
    await Promise.all([peer.stop(), relay.stop()]);
  };
  try {
    const { url } = await relay.request<{ url: string }>('start', { kind: 'clawbridge' });
    await peer.request('start', {
      kind: 'relay',
      url,
      identity: benchIdentity(server),
      clientFingerprint: client.fingerprint,
    });
    node = await startRelayNode({ url, identity: benchIdentity(client) });
    const dialed = node;
    const first = await timed(async () => {
      const link = await dialed.dial(server.fingerprint);
      const m = new Mux(link, BENCH_MUX_OPTIONS);
      const stream = await m.open('bench', {}, { timeoutMs: OPEN_TIMEOUT_MS });
      return { m, stream };
    });
    first.value.stream.destroy();
    const opened = first.value.m;
    mux = opened;
    return {
      name: 'relay',
      open: () => opened.open('bench', {}, { timeoutMs: OPEN_TIMEOUT_MS }),
      setupMs: first.ms,
      close: stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
