/**
 * `npm run bench:hops [-- --keys N]`: where a keystroke's time goes along a route of two hops
 * (issue 30's `chain-echo` rows). The four agents of chain-echo (bench/chain-agents.ts); `term d`
 * (a → b → c → d) and `term b` (direct) type keys 100 ms apart in turns of 10, as the echo rows do,
 * while tcpdump timestamps every TLS record on loopback: each hop's pass (record in → record out),
 * the far end's turnaround, the whole trip (bench/hop-report.ts). Beside it, from /proc/PID/schedstat,
 * each agent's CPU per wake-up when idle and its CPU and wake-ups per key: a pass costs what a
 * wake-up of the process costs, which this shows apart from the bytes. Needs Linux, root (for
 * tcpdump on lo) and `ss`; not part of `npm run bench`, whose rows it explains.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startChain, type ChainNode } from './chain-agents.js';
import { CLI } from './cli-agents.js';
import {
  keyPasses,
  parseTcpdumpLine,
  passLines,
  portOwners,
  type Segment,
  type TypedKey,
} from './hop-report.js';
import { killByPid } from './processes.js';
import { openEchoTerminal, TERM_ECHO_BLOCK, TERM_KEY_GAP_MS, type EchoTerminal } from './terminal-echo.js';
import { percentile } from './table.js';

/** Keys per session unless --keys says otherwise. */
const DEFAULT_KEYS = 100;
/** How long the idle agents are watched for their cost per wake-up, in ms. */
const IDLE_MS = 10_000;
/** Time for tcpdump to start capturing before the first key, in ms. */
const CAPTURE_START_MS = 1_000;

const log = (line: string) => process.stderr.write(`${line}\n`);

function keysArgument(argv: readonly string[]): number {
  const i = argv.indexOf('--keys');
  if (i < 0) return DEFAULT_KEYS;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < TERM_ECHO_BLOCK || n > 2_000) {
    throw new Error(`--keys needs a whole number from ${TERM_ECHO_BLOCK} to 2000, got ${argv[i + 1]}`);
  }
  return n;
}

/** CPU time (ns) and wake-ups (runs) of a process's main thread, from /proc/PID/schedstat. */
function schedstat(pid: number): { cpuNs: number; runs: number } {
  const [cpu, , runs] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
  return { cpuNs: cpu!, runs: runs! };
}

function sample(nodes: readonly ChainNode[]): Map<string, { cpuNs: number; runs: number }> {
  return new Map(nodes.map((n) => [n.name, schedstat(n.pid)]));
}

function needTools(): void {
  if (process.platform !== 'linux') throw new Error('bench:hops reads /proc and needs Linux');
  if (process.getuid?.() !== 0) throw new Error('bench:hops runs tcpdump on lo and needs root');
  for (const tool of ['tcpdump', 'ss']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error(`bench:hops needs ${tool} (apt-get install ${tool === 'ss' ? 'iproute2' : tool})`);
    }
  }
}

/** The routed session and the direct one type in turns; each key is kept with when it was written. */
async function typeInTurns(
  sessions: readonly (readonly [string, EchoTerminal, boolean])[],
  keys: number,
): Promise<{ echoes: Map<string, number[]>; typed: TypedKey[] }> {
  const echoes = new Map(sessions.map(([name]) => [name, [] as number[]]));
  const typed: TypedKey[] = [];
  for (let block = 0; block < keys / TERM_ECHO_BLOCK; block++) {
    for (const [name, term, routed] of sessions) {
      for (let i = 0; i < TERM_ECHO_BLOCK; i++) {
        const started = performance.now();
        // tcpdump stamps segments with the epoch clock; this is that clock, to the microsecond.
        const at = performance.timeOrigin + started;
        const echoMs = await term.key('x');
        echoes.get(name)!.push(echoMs);
        typed.push({ routed, at, echoMs });
        const wait = TERM_KEY_GAP_MS - (performance.now() - started);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    }
  }
  return { echoes, typed };
}

async function main(): Promise<void> {
  const keys = keysArgument(process.argv.slice(2));
  needTools();
  const chain = await startChain(log);
  const nodes = [chain.a, chain.b, chain.c, chain.d];
  const terms: EchoTerminal[] = [];
  try {
    const routed = await openEchoTerminal(chain.a.home, CLI, 'd');
    terms.push(routed);
    const direct = await openEchoTerminal(chain.a.home, CLI, 'b');
    terms.push(direct);
    const owner = portOwners(
      execFileSync('ss', ['-tnpH'], { encoding: 'utf8' }),
      new Map(nodes.map((n) => [n.pid, n.name])),
    );
    log(`watching the idle agents for ${IDLE_MS / 1000} s…`);
    const idle0 = sample(nodes);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const idle1 = sample(nodes);
    // Every link of the chain has an agent's listening port at one end (either end may have dialled).
    const listen = nodes.map((n) => n.address.split(':').at(-1)!);
    const filter = `tcp and (${listen.map((p) => `port ${p}`).join(' or ')})`;
    const tcpdump = spawn('tcpdump', ['-i', 'lo', '-nn', '-tt', '-l', filter], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const segments: Segment[] = [];
    let pending = '';
    tcpdump.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const s = parseTcpdumpLine(line);
        if (s) segments.push(s);
      }
    });
    await new Promise((r) => setTimeout(r, CAPTURE_START_MS));
    log(`typing ${keys} keys into term d (via b → c) and ${keys} into term b, in turns…`);
    const busy0 = sample(nodes);
    const t0 = performance.now();
    const { echoes, typed } = await typeInTurns(
      [
        ['term d (2 hops)', routed, true],
        ['term b (direct)', direct, false],
      ],
      keys,
    );
    const typingMs = performance.now() - t0;
    const busy1 = sample(nodes);
    await new Promise((r) => setTimeout(r, 200));
    await killByPid(tcpdump);

    console.log(`Where a key's time goes on the route a → b → c → d (p50 / p90 of ${keys} keys, from`);
    console.log('packet timestamps on lo; a pass is a TLS record in to the record it sends on):');
    for (const line of passLines(keyPasses(segments, owner, typed))) console.log(line);
    for (const [name, xs] of echoes) {
      console.log(`  echo seen by the user, ${name}: p50 ${percentile(xs, 50).toFixed(2)} ms`);
    }
    console.log('');
    console.log('CPU of each agent (its main thread, /proc/PID/schedstat):');
    for (const n of nodes) {
      const i0 = idle0.get(n.name)!;
      const i1 = idle1.get(n.name)!;
      const b0 = busy0.get(n.name)!;
      const b1 = busy1.get(n.name)!;
      const idleRuns = i1.runs - i0.runs;
      const idleNsPerMs = (i1.cpuNs - i0.cpuNs) / IDLE_MS;
      const idleRunsPerMs = idleRuns / IDLE_MS;
      const perWake = idleRuns > 0 ? (i1.cpuNs - i0.cpuNs) / idleRuns / 1e6 : Number.NaN;
      // What the keys cost beyond the idle timers that ran meanwhile, per key of the two sessions.
      const keyCpu = (b1.cpuNs - b0.cpuNs - idleNsPerMs * typingMs) / (2 * keys) / 1e6;
      const keyRuns = (b1.runs - b0.runs - idleRunsPerMs * typingMs) / (2 * keys);
      console.log(
        `  ${n.name}: idle ${idleRuns} wake-ups in ${IDLE_MS / 1000} s at ${perWake.toFixed(2)} ms each;` +
          ` per key typed (either session) ${keyCpu.toFixed(2)} ms in ${keyRuns.toFixed(1)} wake-ups`,
      );
    }
  } finally {
    await Promise.all(terms.map((t) => t.close()));
    await chain.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`bench:hops: ${(err as Error).message}`);
  process.exitCode = 1;
});
