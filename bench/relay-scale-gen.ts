/**
 * One load generator of bench/relay-scale.ts: simulated nodes on a relay, each our own RelayClient
 * (src-main/transport/relay-client.ts) with a real identity, so each does the real registration
 * (TLS with a pinned certificate, CHALLENGE, signed HELLO, AUTH_OK) and the real heartbeats (a
 * WebSocket ping every pingIntervalMs, answering the relay's). Node `i` dials from 127.0.x.y
 * (addressOf), at most `perAddress` nodes per address, so the relay's per-IP limits stay as shipped.
 *
 * Ops: `load` registers nodes [from, to) and keeps them; `flow` opens one circuit from each listed node
 * to its partner and moves data for a while; `register-probe` and `circuit-probe` time one more node
 * registering and one more circuit opening; `usage` answers this process's RSS and CPU time.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Circuit } from '../src-main/transport/circuit.js';
import { RelayClient } from '../src-main/transport/relay-client.js';
import { serveParent } from './child.js';
import { IDENTITY_CACHE } from './identities.js';
import type { BenchIdentity } from './relay-node.js';

/** How long one node may take to register before it counts as failed, in ms. */
const REGISTER_TIMEOUT_MS = 30_000;
/** Attempts per node when an attempt times out. */
const REGISTER_ATTEMPTS = 3;
/** Failed registrations after which `load` stops trying: whatever stopped them is the answer. */
const MAX_FAILURES = 64;
/** Bytes per circuit send in `flow`: the largest frame a link sends in bulk (mux frames are ≤ 64 KiB). */
const FLOW_CHUNK_BYTES = 64 * 1024;
/**
 * Bytes a flow sender keeps unacknowledged per circuit: a link's credit window bounds what it has in
 * flight the same way. Without one, a sender queued megabytes on its relay socket and its heartbeat
 * pings waited behind them until its client gave the relay up (docs/performance.md, "Relay scale").
 */
const FLOW_WINDOW_BYTES = 256 * 1024;
/** What a receiver sends back for each frame. */
const ACK = Buffer.alloc(1);

/** The address node slot `slot` dials from: 127.0.1.1, 127.0.1.2, … (250 per third octet). */
export function addressOf(slot: number): string {
  return `127.0.${1 + Math.floor(slot / 250)}.${1 + (slot % 250)}`;
}

interface SimNode {
  client: RelayClient;
  /** Bytes received on circuits others opened to it. */
  received: number;
}

const nodes = new Map<number, SimNode>();
let identities: BenchIdentity[] | undefined;

function identity(i: number): { certDer: Uint8Array; keyPem: ReturnType<typeof createPrivateKey> } {
  identities ??= JSON.parse(readFileSync(IDENTITY_CACHE, 'utf8')) as BenchIdentity[];
  const id = identities[i];
  if (!id) throw new Error(`no identity ${i} in ${IDENTITY_CACHE}`);
  return {
    certDer: new Uint8Array(new X509Certificate(id.certPem).raw),
    keyPem: createPrivateKey(id.keyPem),
  };
}

interface Target {
  url: string;
  fingerprint: string;
}

/** Starts node `i` from `address`; resolves with its time to AUTH_OK in ms, or rejects with why not. */
function register(t: Target, i: number, address: string): Promise<{ node: SimNode; ms: number }> {
  const client = new RelayClient({
    url: t.url,
    pinnedFingerprint: t.fingerprint,
    identity: identity(i),
    localAddress: address,
  });
  const node: SimNode = { client, received: 0 };
  client.on('incoming', (circuit) => {
    circuit.onFrame((frame) => {
      node.received += frame.length;
      // Each frame is acknowledged, as a link's credit windows do (see flow).
      circuit.send(ACK);
    });
  });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`no AUTH_OK within ${REGISTER_TIMEOUT_MS} ms`)),
      REGISTER_TIMEOUT_MS,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      offState();
      offError();
      client.stop();
      reject(err);
    };
    const offError = client.on('error', (err) => fail(err));
    const offState = client.on('state', (state) => {
      if (state !== 'connected') return;
      clearTimeout(timer);
      offState();
      offError();
      resolve({ node, ms: performance.now() - t0 });
    });
    client.start();
  });
}

interface LoadArgs extends Target {
  from: number;
  to: number;
  /** Node index → address slot: floor(i / perAddress). */
  perAddress: number;
  concurrency: number;
}

async function load(
  a: LoadArgs,
): Promise<{ registered: number; failures: string[]; timeouts: number; ms: number }> {
  const t0 = performance.now();
  const failures: string[] = [];
  let timeouts = 0;
  let next = a.from;
  const worker = async () => {
    while (next < a.to && failures.length < MAX_FAILURES) {
      const i = next++;
      // A node that timed out (a starved machine, not the relay refusing it) tries again, as a real
      // client would; a refusal (a close code) is an answer and counts as failed at once.
      for (let attempt = 1; ; attempt++) {
        try {
          const { node } = await register(a, i, addressOf(Math.floor(i / a.perAddress)));
          nodes.set(i, node);
          timeouts += attempt - 1;
          break;
        } catch (err) {
          const message = (err as Error).message;
          if (attempt < REGISTER_ATTEMPTS && /within/.test(message)) continue;
          failures.push(`node ${i}: ${message}`);
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: a.concurrency }, worker));
  return { registered: nodes.size, failures, timeouts, ms: performance.now() - t0 };
}

/** Registers nodes `from`.. one at a time, each stopped once registered: one more node, `count` times. */
async function registerProbe(a: Target & { from: number; count: number; slot: number }): Promise<number[]> {
  const times: number[] = [];
  for (let k = 0; k < a.count; k++) {
    // A new address every 25 probes: each address's 60 attempts a minute stay as shipped.
    const { node, ms } = await register(a, a.from + k, addressOf(a.slot + Math.floor(k / 25)));
    times.push(ms);
    node.client.stop();
  }
  return times;
}

/** Opens a circuit from node `a` to node `b` (both here) `count` times, closing each: OPEN to OPEN_OK. */
async function circuitProbe(a: { from: number; to: number; count: number }): Promise<number[]> {
  const src = nodes.get(a.from);
  const dst = nodes.get(a.to);
  if (!src || !dst) throw new Error(`circuit probe: node ${a.from} or ${a.to} is not registered here`);
  const times: number[] = [];
  for (let k = 0; k < a.count; k++) {
    const t0 = performance.now();
    const circuit = await src.client.openCircuit(dst.client.nodeId, REGISTER_TIMEOUT_MS);
    times.push(performance.now() - t0);
    circuit.close();
  }
  return times;
}

/**
 * Each listed pair [i, j] opens a circuit i → j and i sends on it as fast as the relay takes it (send
 * until false, then wait for drain); j counts. Bytes received are counted over `seconds` after
 * `warmSeconds`, then every circuit closes.
 */
async function flow(a: {
  pairs: [number, number][];
  seconds: number;
  warmSeconds: number;
}): Promise<{ bytes: number; ms: number; circuits: number; failures: string[] }> {
  const chunk = Buffer.alloc(FLOW_CHUNK_BYTES, 0x5a);
  const failures: string[] = [];
  let running = true;
  const opened = await Promise.all(
    a.pairs.map(async ([i, j]) => {
      const src = nodes.get(i);
      const dst = nodes.get(j);
      if (!src || !dst) throw new Error(`flow: node ${i} or ${j} is not registered here`);
      try {
        return await src.client.openCircuit(dst.client.nodeId, REGISTER_TIMEOUT_MS);
      } catch (err) {
        failures.push(`circuit ${i}→${j}: ${(err as Error).message}`);
        return undefined;
      }
    }),
  );
  const circuits = opened.filter((c): c is Circuit => c !== undefined);
  // A circuit the relay closes mid-flow (DESTINATION_FULL, a slow consumer) stops its sender: said.
  let cut = 0;
  let cutWhy = '';
  for (const c of circuits) {
    c.onClose((err) => {
      if (!running || !err) return;
      cut += 1;
      cutWhy ||= err.message;
    });
  }
  for (const c of circuits) {
    let inFlight = 0;
    const pump = () => {
      while (running && !c.closed && inFlight < FLOW_WINDOW_BYTES) {
        inFlight += chunk.length;
        if (!c.send(chunk)) break;
      }
    };
    c.onFrame(() => {
      inFlight -= chunk.length;
      pump();
    });
    c.onDrain(pump);
    pump();
  }
  const receivers = a.pairs.map(([, j]) => nodes.get(j)!);
  const total = () => receivers.reduce((s, n) => s + n.received, 0);
  await new Promise((r) => setTimeout(r, a.warmSeconds * 1000));
  const b0 = total();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, a.seconds * 1000));
  const bytes = total() - b0;
  const ms = performance.now() - t0;
  running = false;
  for (const c of circuits) c.close();
  if (cut > 0) failures.push(`${cut} circuits cut while data flowed: ${cutWhy}`);
  return { bytes, ms, circuits: circuits.length, failures };
}

serveParent(async (req) => {
  switch (req.op) {
    case 'load':
      return load(req as unknown as LoadArgs);
    case 'register-probe':
      return registerProbe(req as unknown as Target & { from: number; count: number; slot: number });
    case 'circuit-probe':
      return circuitProbe(req as unknown as { from: number; to: number; count: number });
    case 'flow':
      return flow(req as unknown as { pairs: [number, number][]; seconds: number; warmSeconds: number });
    case 'connected': {
      let n = 0;
      for (const node of nodes.values()) if (node.client.state === 'connected') n++;
      return n;
    }
    case 'usage': {
      const u = process.cpuUsage();
      return { rss: process.memoryUsage.rss(), cpuMs: (u.user + u.system) / 1000 };
    }
    case 'stop-all':
      for (const node of nodes.values()) node.client.stop();
      nodes.clear();
      return null;
    default:
      throw new Error(`unknown op ${req.op}`);
  }
});
