/**
 * `tsx bench/relay-heap.ts [--nodes N] [--no-snapshot]`: what one idle wss:// node costs the relay, by kind, measured
 * deterministically rather than from RSS alone (the shared machine makes RSS noisy). A relay
 * (bench/relay-heap-child.ts: startRelayServer over wss, limits as shipped) takes N, then 2N registered
 * idle nodes from the relay-scale generators (bench/relay-scale-gen.ts: our RelayClient, real TLS and
 * HELLO, 30 nodes per 127.0.x.y). At each step it collects twice and reads process.memoryUsage() and
 * RSS, and writes a heap snapshot; the report is the difference from N to 2N divided by N: RSS, V8
 * heap, external and array buffers, "native" (RSS minus the V8 heap), and the heap by constructor
 * (self size and count per node), so a change shows as bytes a node of one kind of object.
 *
 * Writing a snapshot leaves native memory behind that the next step's RSS counts (~80 KiB a node read
 * at 1,500 → 3,000 nodes): the RSS and native figures are only meaningful with `--no-snapshot`.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startChild, type BenchChild, type CommandWrap } from './child.js';
import { nodeIdentities } from './identities.js';

/** Nodes per source address: under the shipped connectionsPerIp (32). */
const PER_ADDRESS = 30;
/** Nodes registered before the first step, so pools and code exist before it. */
const WARM_NODES = 300;
const GENERATORS = 2;
const CONCURRENCY = 8;
const LOAD_TIMEOUT_MS = 900_000;
/** Heap-snapshot kinds by constructor shown, largest per node first. */
const TOP = 30;

const raisedFdLimit: CommandWrap = (cmd, args) => ({
  cmd: 'sh',
  args: ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"', cmd, ...args],
});

interface Usage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  connections: number;
}

/** Self size and count per `type:name` of a V8 heap snapshot. */
function byConstructor(path: string): Map<string, { size: number; count: number }> {
  const snap = JSON.parse(readFileSync(path, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const f = snap.snapshot.meta.node_fields;
  const width = f.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k));
  const types = snap.snapshot.meta.node_types[0];
  const out = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType!]!]!;
    // Strings and code are grouped by type: their names are their contents.
    const name = ['string', 'concatenated string', 'sliced string', 'code', 'number', 'hidden'].includes(type)
      ? ''
      : snap.strings[snap.nodes[i + iName!]!]!.slice(0, 60);
    const key = `${type}:${name}`;
    const e = out.get(key) ?? { size: 0, count: 0 };
    e.size += snap.nodes[i + iSize!]!;
    e.count += 1;
    out.set(key, e);
  }
  return out;
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--nodes');
  const n = i >= 0 ? Number(process.argv[i + 1]) : 2000;
  const snapshots = !process.argv.includes('--no-snapshot');
  const load = () => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`relay heap: ${WARM_NODES} warm, then ${n} and ${2 * n} idle wss nodes; ${load()}`);
  out(`identities: ${(await nodeIdentities(WARM_NODES + 2 * n)).how}`);
  const dir = mkdtempSync(join(tmpdir(), 'cb-relay-heap-'));
  const relay = startChild('./relay-heap-child.ts', [], raisedFdLimit);
  const gens: BenchChild[] = [];
  try {
    const r = await relay.request<{ url: string; fingerprint: string }>('start');
    for (let g = 0; g < GENERATORS; g++) gens.push(startChild('./relay-scale-gen.ts', [], raisedFdLimit));
    // [from, to) split into whole addresses across the generators.
    const loadTo = async (from: number, to: number) => {
      const per = Math.ceil((to - from) / PER_ADDRESS / GENERATORS) * PER_ADDRESS;
      const results = await Promise.all(
        gens.map((g, k) =>
          g.request<{ registered: number; failures: string[] }>(
            'load',
            {
              url: r.url,
              fingerprint: r.fingerprint,
              from: from + k * per,
              to: Math.min(to, from + (k + 1) * per),
              perAddress: PER_ADDRESS,
              concurrency: CONCURRENCY,
            },
            LOAD_TIMEOUT_MS,
          ),
        ),
      );
      const failed = results.flatMap((x) => x.failures);
      if (failed.length > 0) throw new Error(`${failed.length} registrations failed; first: ${failed[0]}`);
    };
    const step = async (name: string) => {
      // Past the relay's trim after a burst of registrations (10 s after the last, ADR 0054).
      await new Promise((resolve) => setTimeout(resolve, 15_000));
      const path = join(dir, `${name}.heapsnapshot`);
      const u = await relay.request<Usage>('measure', snapshots ? { snapshot: path } : {}, 300_000);
      return {
        u,
        heap: snapshots ? byConstructor(path) : new Map<string, { size: number; count: number }>(),
      };
    };
    // Whole addresses per step, so each step's nodes start on an address of their own.
    const a = Math.ceil(WARM_NODES / PER_ADDRESS) * PER_ADDRESS;
    const b = a + Math.ceil(n / PER_ADDRESS) * PER_ADDRESS;
    const c = b + (b - a);
    await loadTo(0, a);
    await loadTo(a, b);
    const s1 = await step('n');
    await loadTo(b, c);
    const s2 = await step('2n');
    const per = (x: number, y: number) => ((y - x) / (s2.u.connections - s1.u.connections)).toFixed(0);
    out(`connections ${s1.u.connections} → ${s2.u.connections}; ${load()}`);
    out('bytes per node (N → 2N):');
    for (const k of ['rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers'] as const)
      out(`  ${k.padEnd(12)} ${per(s1.u[k], s2.u[k])}`);
    out(`  native (rss − heapTotal) ${per(s1.u.rss - s1.u.heapTotal, s2.u.rss - s2.u.heapTotal)}`);
    const rows = [...new Set([...s1.heap.keys(), ...s2.heap.keys()])].map((key) => {
      const x = s1.heap.get(key) ?? { size: 0, count: 0 };
      const y = s2.heap.get(key) ?? { size: 0, count: 0 };
      const d = s2.u.connections - s1.u.connections;
      return { key, bytes: (y.size - x.size) / d, count: (y.count - x.count) / d };
    });
    rows.sort((p, q) => q.bytes - p.bytes);
    const total = rows.reduce((s, x) => s + x.bytes, 0);
    if (!snapshots) return;
    out(`heap snapshot, self size per node by type:constructor (total ${total.toFixed(0)} B):`);
    for (const x of rows.slice(0, TOP))
      out(`  ${x.bytes.toFixed(0).padStart(6)} B  ${x.count.toFixed(2).padStart(6)} ×  ${x.key}`);
  } finally {
    await Promise.all([relay, ...gens].map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
