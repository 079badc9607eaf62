/**
 * Relay memory: RSS growth per idle connection. The relay runs alone in a child process
 * (bench/relay-child.ts); this process opens N connections, waits while they sit idle, and asks the
 * child for its RSS after GC. Our relay's connections authenticate first (CHALLENGE → signed HELLO →
 * AUTH_OK, one identity each), so what is measured is an idle *authenticated* node; the bare relay's are
 * plain unpaired WebSockets. KiB per connection = (RSS_N − RSS_0) / N, RSS_0 taken after a warm-up.
 */
import { spawnSync } from 'node:child_process';
import { WebSocket } from 'ws';
import { signIdentity } from '../src-main/crypto/signature.js';
import { decodeRelayFrame, encodeRelayFrame, RELAY_AUTH_CONTEXT } from '../src-main/protocol/relay-frames.js';
import { startChild } from './child.js';
import { nodeIdentities, type NodeCredential } from './identities.js';
import type { MemoryResult } from './table.js';

/** Connection counts at which RSS is read. */
export const MEMORY_STEPS = [1000, 10_000] as const;
/**
 * Connections opened before RSS_0 and kept open to the end, so code paths, pools and the heap's first
 * growth exist before the baseline. Kept open, not closed: memory they freed would be reused by the
 * counted connections and make them look cheaper. With 50 (closed) the 1k step read 14.8–18.7 KiB per
 * connection over four runs while the 10k step read 8.3–8.6: ~8 MB of one-time heap growth spread
 * over the first thousand. Closing 500 instead read 6.5–9.1 at 1k, below the 10k step: that reuse.
 */
const WARMUP_CONNECTIONS = 500;
/** Connection attempts in flight at once. */
const CONNECT_CONCURRENCY = 64;
/** Idle time before each RSS reading, in ms (no timers of the relay fire this soon). */
const IDLE_MS = 2_000;
/** One connection (and its authentication) must be done within this, in ms. */
const CONNECT_TIMEOUT_MS = 10_000;
/** File descriptors kept free for everything else in this process. */
const FD_HEADROOM = 256;

export interface MemoryOutcome {
  results: MemoryResult[];
  notes: string[];
}

type Connector = (index: number) => Promise<WebSocket>;

function openWs(url: string): WebSocket {
  return new WebSocket(url, { perMessageDeflate: false });
}

/** Connects and authenticates as the node of `cred`, resolving on AUTH_OK. */
function authenticatedNode(url: string, cred: NodeCredential): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = openWs(url);
    const timer = setTimeout(() => fail(new Error('relay authentication timed out')), CONNECT_TIMEOUT_MS);
    const fail = (err: Error) => {
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    ws.on('error', fail);
    ws.on('close', (code, reason) =>
      fail(new Error(`relay closed the connection: ${code} ${reason.toString()}`)),
    );
    ws.on('message', (data: Buffer) => {
      const frame = decodeRelayFrame(data);
      if (frame.type === 'challenge') {
        const signature = signIdentity(cred.key, RELAY_AUTH_CONTEXT, data);
        ws.send(encodeRelayFrame({ type: 'hello', certDer: cred.certDer, signature, token: '' }));
      } else if (frame.type === 'auth-ok') {
        clearTimeout(timer);
        ws.removeAllListeners();
        ws.on('error', () => undefined);
        resolve(ws);
      }
    });
  });
}

/** An unpaired bare-relay client: open is all there is. */
function bareClient(url: string, index: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = openWs(`${url}/idle-${index}`);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('bare relay connect timed out'));
    }, CONNECT_TIMEOUT_MS);
    ws.once('error', reject);
    ws.once('open', () => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      resolve(ws);
    });
  });
}

/** Opens connections `from`..`to`-1 with bounded concurrency. */
async function openMany(connect: Connector, from: number, to: number, into: WebSocket[]): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) into.push(await connect(next++));
  };
  await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, to - from) }, worker));
}

/** The soft limit on open files, as a child shell sees it (it inherits ours). */
function openFileLimit(): number {
  const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return r.stdout.trim() === 'unlimited' ? Number.POSITIVE_INFINITY : Number.isFinite(n) ? n : 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measureOne(
  name: 'relay' | 'bare-relay',
  steps: readonly number[],
  connector: (url: string) => Connector,
): Promise<MemoryResult[]> {
  const child = startChild('./relay-child.ts');
  const sockets: WebSocket[] = [];
  const warm: WebSocket[] = [];
  try {
    const { url } = await child.request<{ url: string }>('start', {
      kind: name === 'relay' ? 'clawbridge' : 'bare',
    });
    const connect = connector(url);
    // Warm-up uses the last indexes, which the steps below never reach, so no node ID is reused.
    const max = steps[steps.length - 1] ?? 0;
    await openMany(connect, max, max + WARMUP_CONNECTIONS, warm);
    await sleep(IDLE_MS);
    const rss0 = await child.request<number>('rss');
    const results: MemoryResult[] = [];
    for (const n of steps) {
      await openMany(connect, sockets.length, n, sockets);
      await sleep(IDLE_MS);
      const rss = await child.request<number>('rss');
      results.push({ name, connections: n, kibPerConnection: (rss - rss0) / n / 1024 });
    }
    return results;
  } finally {
    for (const ws of [...warm, ...sockets]) ws.terminate();
    await child.stop();
  }
}

const unmeasured = (name: string, steps: readonly number[]): MemoryResult[] =>
  steps.map((connections) => ({ name, connections, kibPerConnection: null }));

/** How long the whole measurement may take in its child, in ms (identities on a cold cache included). */
const MEASURE_TIMEOUT_MS = 300_000;

/**
 * Measures our relay and the bare relay at MEMORY_STEPS, from a child process of its own
 * (bench/relay-memory-child.ts): the 10k identities and WebSocket clients never enter the bench's own
 * heap, which reads every later row's downloads. Measured from the bench's process, they left it a
 * heap whose collections stalled its reads: the `long-fat` section that followed read raw TCP at 50.6
 * MB/s and forward-direct at 0.82× of it, against 59.5 MB/s and 0.97× run alone.
 */
export async function measureRelayMemory(log: (line: string) => void): Promise<MemoryOutcome> {
  const child = startChild('./relay-memory-child.ts');
  try {
    return await child.request<MemoryOutcome>('measure', {}, MEASURE_TIMEOUT_MS);
  } catch (err) {
    log(`relay memory failed: ${(err as Error).message}`);
    const steps = MEMORY_STEPS;
    return {
      results: [...unmeasured('relay', steps), ...unmeasured('bare-relay', steps)],
      notes: [`relay memory failed: ${(err as Error).message}`],
    };
  } finally {
    await child.stop();
  }
}

/** The measurement itself, run in bench/relay-memory-child.ts; `log` lines go to its stderr. */
export async function measureRelayMemoryHere(log: (line: string) => void): Promise<MemoryOutcome> {
  const notes: string[] = [];
  const limit = openFileLimit();
  const steps = MEMORY_STEPS.filter((n) => n + WARMUP_CONNECTIONS + FD_HEADROOM <= limit);
  if (steps.length < MEMORY_STEPS.length) {
    notes.push(
      `relay memory: open-file limit ${limit} allows only ${steps.join(', ') || 'no'} connections; raise it with ulimit -n`,
    );
  }
  if (steps.length === 0) return { results: [], notes };
  const needed = (steps[steps.length - 1] ?? 0) + WARMUP_CONNECTIONS;
  log(`relay memory: preparing ${needed} node identities…`);
  const ids = await nodeIdentities(needed);
  notes.push(`relay memory: ${ids.how}`);
  const results: MemoryResult[] = [];
  try {
    log('relay memory: our relay…');
    results.push(
      ...(await measureOne('relay', steps, (url) => (i) => authenticatedNode(url, ids.credentials[i]!))),
    );
  } catch (err) {
    notes.push(`relay memory (ours) failed: ${(err as Error).message}`);
    results.push(...unmeasured('relay', steps));
  }
  try {
    log('relay memory: bare relay…');
    results.push(...(await measureOne('bare-relay', steps, (url) => (i) => bareClient(url, i))));
  } catch (err) {
    notes.push(`relay memory (bare) failed: ${(err as Error).message}`);
    results.push(...unmeasured('bare-relay', steps));
  }
  return { results, notes };
}
