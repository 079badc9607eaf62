/**
 * A path whose socket errors is closed at once, not after a timeout (issue 28 item 2): a TCP proxy this
 * test runs resets its connections (RST) mid-transfer, and the muxes on both ends close with the socket's
 * error within a second — over a direct TLS link and over a relay circuit (E2E link). Measured times are
 * printed.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { isClawError } from '../../src-main/core/errors.js';
import { DEFAULT_DEAD_AFTER_MS } from '../../src-main/mux/constants.js';
import { Mux, type MuxStream } from '../../src-main/mux/mux.js';
import { dialDirect, listenDirect } from '../../src-main/transport/direct.js';
import { secureCircuit } from '../../src-main/transport/e2e-link.js';
import type { Link } from '../../src-main/transport/link.js';
import { testIdentity } from '../helpers/identities.js';
import { connectedClient, nextIncoming, startTestRelay, WAIT_MS } from '../helpers/relay-harness.js';
import { until } from '../helpers/wait.js';

/**
 * "At once": well before the heartbeat would have declared the path dead (DEFAULT_DEAD_AFTER_MS), so
 * the reset closed it; how soon is the scheduler's on a loaded machine (the measured value is printed).
 */
const PROMPT_MS = DEFAULT_DEAD_AFTER_MS / 2;

interface ResettingProxy {
  port: number;
  /** Resets (RST) both sides of every connection the proxy carries. */
  resetAll(): void;
  close(): Promise<void>;
}

/** A TCP proxy on loopback to `targetPort` that can reset what it carries. */
async function resettingProxy(targetPort: number): Promise<ResettingProxy> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    resetAll: () => {
      for (const s of sockets) s.resetAndDestroy();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Muxes on two links, a stream from a to b with bytes flowing (b reads everything). */
async function transferring(la: Link, lb: Link): Promise<{ ma: Mux; mb: Mux; up: MuxStream }> {
  let down: MuxStream | undefined;
  const mb = new Mux(lb, { onStream: (req) => (down = req.accept()) });
  const ma = new Mux(la);
  const up = await ma.open('bulk', {});
  up.on('error', () => undefined);
  const chunk = Buffer.alloc(16 * 1024);
  const more = (): void => {
    while (!up.destroyed && up.write(chunk));
    if (!up.destroyed) up.once('drain', more);
  };
  more();
  down = await until(
    'the transfer to start',
    () => {
      down?.resume();
      return down && down.bytesIn >= 1024 * 1024 && down;
    },
    WAIT_MS,
  );
  down.on('error', () => undefined);
  return { ma, mb, up };
}

/** Resolves with how long after `since` the mux closed, and its error. */
function closeTime(mux: Mux, since: () => number): Promise<{ ms: number; error?: Error }> {
  return new Promise((resolve) =>
    mux.on('close', (error) => resolve({ ms: performance.now() - since(), error })),
  );
}

async function expectPromptClose(what: string, ma: Mux, mb: Mux, reset: () => void): Promise<void> {
  let cut = 0;
  const closes = [closeTime(ma, () => cut), closeTime(mb, () => cut)];
  cut = performance.now();
  reset();
  const [a, b] = await Promise.all(closes);
  console.log(
    `${what}: closed ${Math.round(a!.ms)} ms / ${Math.round(b!.ms)} ms after the reset (dialer / other end)`,
  );
  for (const side of [a!, b!]) {
    assert.ok(isClawError(side.error, 'LINK_CLOSED'), String(side.error));
    assert.ok(side.ms < PROMPT_MS, `${what}: closed after ${side.ms} ms`);
  }
}

test('a direct link whose socket is reset closes at once on both ends', async () => {
  const [ia, ib] = await Promise.all([testIdentity('a'), testIdentity('b')]);
  const accepted: Link[] = [];
  const listener = await listenDirect({
    identity: ib,
    host: '127.0.0.1',
    port: 0,
    admit: () => undefined,
    onLink: (l) => accepted.push(l),
    onRefused: () => undefined,
  });
  cleanups.push(() => listener.close());
  const proxy = await resettingProxy(listener.port);
  cleanups.push(() => proxy.close());
  const la = await dialDirect({
    identity: ia,
    address: `127.0.0.1:${proxy.port}`,
    expectedPeer: ib.fingerprint,
  });
  await until('accepted.length !== 0', () => accepted.length !== 0);
  const { ma, mb } = await transferring(la, accepted[0]!);
  await expectPromptClose('direct', ma, mb, () => proxy.resetAll());
  assert.equal(la.closed, true, 'the link itself is closed');
});

test('a relay link whose connection to the relay is reset closes at once on both ends', async () => {
  const [ia, ib] = await Promise.all([testIdentity('a'), testIdentity('b')]);
  const relay = await startTestRelay();
  cleanups.push(() => relay.close());
  const proxy = await resettingProxy(relay.port);
  cleanups.push(() => proxy.close());
  // a reaches the relay through the proxy; b directly.
  const ca = await connectedClient(`ws://127.0.0.1:${proxy.port}`, ia, { retryDelayMs: () => 60_000 });
  const cb = await connectedClient(relay.url, ib);
  cleanups.push(
    () => ca.stop(),
    () => cb.stop(),
  );
  const incoming = nextIncoming(cb);
  const circuitA = await ca.openCircuit(cb.nodeId, WAIT_MS);
  const circuitB = await incoming;
  const [la, lb] = await Promise.all([
    secureCircuit(circuitA, { identity: ia, expectedPeer: ib.fingerprint }),
    secureCircuit(circuitB, { identity: ib, verifyPeer: () => undefined }),
  ]);
  const { ma, mb } = await transferring(la, lb);
  await expectPromptClose('relay', ma, mb, () => proxy.resetAll());
});
