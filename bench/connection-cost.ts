/**
 * `npm run bench:connections [-- REF] [--rounds N]`: what one new forwarded connection costs, the
 * workload of a browser or a package manager through a forward or a SOCKS proxy (many short
 * connections), apart from the bytes it carries. Each connection is opened to a TCP forward over a
 * direct link on 127.0.0.1, sends one byte, waits for its echo and closes; CONNECTIONS of them back to
 * back make a round. Printed per connection: wall time, the first echo's p50 (connect included) and
 * the CPU time each agent spent (from /proc, so Linux only), medians over the rounds.
 *
 * With REF, the same is measured for the build of git revision REF (bench/build-revision.ts) in the
 * same run, the two builds' rounds alternating, so both see the same machine; the agents' code warms
 * up over the first rounds, equally for both.
 */
import { addForward } from './agent-paths.js';
import { buildRevision } from './build-revision.js';
import { startChild } from './child.js';
import { CLI, startAgentPair, type AgentPair } from './cli-agents.js';
import { firstEcho, tcpStream } from './streams.js';
import { percentile } from './table.js';
import { cpuSeconds } from './udp-drops.js';

/** Connections in one round. */
const CONNECTIONS = 300;
/** Uncounted connections per build before the rounds. */
const WARMUP = 100;
/** Rounds when --rounds is not given. */
const DEFAULT_ROUNDS = 5;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** CPU time (user + system) the process has used, in ms (bench/udp-drops.ts reads /proc for it). */
function cpuMs(pid: number): number {
  const seconds = cpuSeconds(pid);
  if (seconds === null) throw new Error(`cannot read the CPU time of process ${pid} from /proc`);
  return seconds * 1000;
}

interface Contender {
  name: string;
  pair: AgentPair;
  port: number;
  wallMs: number[];
  echoP50Ms: number[];
  cpuA: number[];
  cpuB: number[];
}

async function round(c: Contender): Promise<void> {
  const a0 = cpuMs(c.pair.pids.a);
  const b0 = cpuMs(c.pair.pids.b);
  const t0 = performance.now();
  const echoes: number[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const t = performance.now();
    await firstEcho(() => tcpStream(c.port));
    echoes.push(performance.now() - t);
  }
  c.wallMs.push((performance.now() - t0) / CONNECTIONS);
  c.echoP50Ms.push(percentile(echoes, 50));
  c.cpuA.push((cpuMs(c.pair.pids.a) - a0) / CONNECTIONS);
  c.cpuB.push((cpuMs(c.pair.pids.b) - b0) / CONNECTIONS);
}

function parseArgs(argv: string[]): { ref: string | undefined; rounds: number } {
  let ref: string | undefined;
  let rounds = DEFAULT_ROUNDS;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--rounds') {
      rounds = Number(argv[++i]);
      if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100)
        throw new Error('--rounds takes a whole number from 1 to 100');
    } else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}; usage: [REF] [--rounds N]`);
    else ref = arg;
  }
  return { ref, rounds };
}

async function main(): Promise<void> {
  const { ref, rounds } = parseArgs(process.argv.slice(2));
  const base = ref === undefined ? undefined : buildRevision(ref);
  const sink = startChild('./peer-child.ts');
  const contenders: Contender[] = [];
  try {
    const { port: sinkPort } = await sink.request<{ port: number }>('start', { kind: 'tcp' });
    const builds = base && ref ? [[ref, base.cli] as const] : [];
    for (const [name, cli] of [...builds, ['this checkout', CLI] as const]) {
      log(`starting agents of ${name}…`);
      const pair = await startAgentPair('direct', cli);
      const contender: Contender = { name, pair, port: 0, wallMs: [], echoP50Ms: [], cpuA: [], cpuB: [] };
      contenders.push(contender);
      contender.port = await addForward(pair, sinkPort);
      for (let i = 0; i < WARMUP; i++) await firstEcho(() => tcpStream(contender.port));
    }
    for (let r = 1; r <= rounds; r++) {
      log(`round ${r}/${rounds}…`);
      for (const c of contenders) await round(c);
    }
  } finally {
    for (const c of contenders) await c.pair.stop();
    await sink.stop();
    base?.remove();
  }
  const med = (xs: number[]) => percentile(xs, 50).toFixed(2);
  process.stdout.write(
    `one new connection through a TCP forward (direct link, 127.0.0.1): connect, 1-byte echo, close; ${CONNECTIONS} back to back a round, medians of ${rounds} rounds\n`,
  );
  for (const c of contenders) {
    process.stdout.write(
      `  ${c.name.padEnd(14)} wall ${med(c.wallMs)} ms, first echo p50 ${med(c.echoP50Ms)} ms, CPU agent a ${med(c.cpuA)} ms, agent b ${med(c.cpuB)} ms\n`,
    );
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
