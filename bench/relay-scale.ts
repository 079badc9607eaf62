/**
 * `npm run bench:relay-scale -- --nodes N [--json]`: how many nodes one relay holds, and what each costs it
 * (issue 56; docs/performance.md §Relay scale).
 *
 * A relay as a user starts it (`clawbridge relay`, wss:// with its self-signed certificate, limits as
 * shipped), and N simulated nodes from a few load generator processes (bench/relay-scale-gen.ts): our
 * RelayClient with real identities, so the real registration and the real heartbeats, each from an
 * address of 127.0.0.0/8 with at most PER_ADDRESS nodes per address, under the shipped connectionsPerIp.
 * The nodes register and stay idle; then:
 *
 * - relay RSS per idle node: (RSS with N − RSS empty) / N, from /proc, as `ps` shows it;
 * - relay CPU % over an idle window: the heartbeats (an idle node pings every 60 s, ADR 0061);
 * - p50/p99 time for one more node to register, and for a circuit to open, with the N connected (and
 *   on a second, empty relay beside it);
 * - bytes/s through 1,000 circuits against 10 circuits (pairs of the idle nodes move data);
 * - a real pair (two `clawbridge agent`s) registering then linking through the loaded relay against
 *   the empty one, with the N idle (before the flows) and again after the flows;
 * - what stopped it if not all N registered (the close code the nodes got, the relay's log, fds).
 *
 * Every process starts with its soft open-file limit raised to the hard one (`ulimit -n $(ulimit -Hn)`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, type BenchChild, type CommandWrap } from './child.js';
import { CLI, startAgentPair } from './cli-agents.js';
import { nodeIdentities } from './identities.js';
import { killByPid, launch, type Launched } from './processes.js';

/** Nodes per source address: under the shipped connectionsPerIp (32). */
const PER_ADDRESS = 30;
/** Share of the nodes registered before the marginal per-node figure's baseline. */
const WARM_SHARE = 0.05;
/** Registrations in flight per generator. */
const CONCURRENCY = 8;
/** Probe nodes (one more node registering) per relay. */
const PROBES = 200;
/** Rounds the probes are taken in, loaded and empty relay in turn. */
const PROBE_ROUNDS = 4;
/** Circuit opens timed per relay. */
const CIRCUIT_PROBES = 200;
/** Seconds of data counted per flow row, after FLOW_WARM_S. */
const FLOW_S = 10;
const FLOW_WARM_S = 3;
/** How long the whole load may take, in ms (15,000 TLS handshakes and signatures on 2 busy cores). */
const LOAD_TIMEOUT_MS = 1_800_000;
const START_TIMEOUT_MS = 30_000;
/** Clock ticks per second of /proc/PID/stat (getconf CLK_TCK; 100 on Linux). */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

interface Args {
  nodes: number;
  circuits: number;
  generators: number;
  idleSeconds: number;
  pairs: number;
  /** `--json`: the report's lines go to stderr and stdout carries one JSON object (bench/run.ts's section). */
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    nodes: 15_000,
    circuits: 1_000,
    generators: 4,
    idleSeconds: 60,
    pairs: 3,
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--json') {
      args.json = true;
      continue;
    }
    const value = Number(argv[i + 1]);
    const key = {
      '--nodes': 'nodes',
      '--circuits': 'circuits',
      '--generators': 'generators',
      '--idle-seconds': 'idleSeconds',
      '--pairs': 'pairs',
    }[flag] as Exclude<keyof Args, 'json'> | undefined;
    if (!key || !Number.isSafeInteger(value) || value < 0) {
      throw new Error(
        `usage: bench/relay-scale.ts [--nodes N] [--circuits N] [--generators N] [--idle-seconds S] [--pairs N] [--json] (bad ${flag})`,
      );
    }
    args[key] = value;
    i++;
  }
  return args;
}

/** Runs `cmd args` with the soft open-file limit raised to the hard one. */
const raisedFdLimit: CommandWrap = (cmd, args) => ({
  cmd: 'sh',
  args: ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"', cmd, ...args],
});

function fdLimits(): { soft: string; hard: string } {
  const r = (flag: string) => spawnSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).stdout.trim();
  return { soft: r('-Sn'), hard: r('-Hn') };
}

const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}
const fdsOf = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const openFilesLimitOf = (pid: number) =>
  /Max open files\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1];

interface Relay {
  url: string;
  fingerprint: string;
  pid: number;
  proc: Launched;
}

async function startRelay(dir: string, name: string): Promise<Relay> {
  const run = raisedFdLimit(process.execPath, [
    CLI,
    'relay',
    '--home',
    join(dir, name),
    '--listen',
    '127.0.0.1:0',
  ]);
  // warn: what the relay says when it refuses nodes (a user's default); info would log every node.
  const proc = launch(run.cmd, run.args, { ...process.env, CLAWBRIDGE_LOG: 'warn' });
  const m = await proc.waitFor(
    /relay listening on (wss:\/\/\S+) fingerprint ([0-9a-f]{64})/,
    START_TIMEOUT_MS,
    name,
  );
  return { url: m[1]!, fingerprint: m[2]!, pid: proc.proc.pid!, proc };
}

/** GET /metrics of a wss:// relay (self-signed: the bench started it, so no check), within `ms`. */
function metricsOf(url: string, ms = 60_000): Promise<string> {
  const u = new URL(url.replace('wss:', 'https:'));
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path: '/metrics', rejectUnauthorized: false, timeout: ms },
      (res) => {
        let body = '';
        res
          .setEncoding('utf8')
          .on('data', (c: string) => (body += c))
          .on('end', () => resolve(body));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`no answer to GET /metrics within ${ms} ms`)));
    req.end();
  });
}

/**
 * /metrics once the relay answers (tries of 5 s, for up to 5 min), and how long that took: after the
 * flows of one 15,000-node run the relay took no connection for ~2 minutes (docs/performance.md).
 */
async function metricsWhenAnswering(url: string): Promise<{ text: string; waitedS: number; tries: number }> {
  const t0 = performance.now();
  for (let tries = 1; ; tries++) {
    try {
      return { text: await metricsOf(url, 5_000), waitedS: (performance.now() - t0) / 1000, tries };
    } catch (err) {
      if (performance.now() - t0 > 300_000) throw err;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: number[]) => quantile(xs, 0.5);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kib = (b: number) => (b / 1024).toFixed(1);
const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
const ms = (x: number) => x.toFixed(1);

function uptimeLine(): string {
  return spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const out = (line: string) => (a.json ? process.stderr : process.stdout).write(`${line}\n`);
  const lim = fdLimits();
  out(
    `relay scale: ${a.nodes} nodes, ${a.circuits} circuits, ${a.generators} generators; open files soft ${lim.soft} hard ${lim.hard} (every process here raises soft to hard)`,
  );
  out(`load before: ${uptimeLine()}`);
  // Identities: N loaded nodes, then PROBES per relay, then 4 circuit-probe nodes.
  const probeBase = a.nodes;
  const ids = await nodeIdentities(a.nodes + 2 * PROBES + 4);
  out(`identities: ${ids.how}`);
  ids.credentials.length = 0; // the generators read the cache themselves

  let figures: Record<string, unknown> = { nodes: a.nodes, registered: 0, ratios: {} };
  const dir = mkdtempSync(join(tmpdir(), 'cb-relay-scale-'));
  const relays: Relay[] = [];
  const gens: BenchChild[] = [];
  try {
    const loaded = await startRelay(dir, 'relay');
    const empty = await startRelay(dir, 'empty-relay');
    relays.push(loaded, empty);
    out(
      `relay ${loaded.url} (pid ${loaded.pid}, open files ${openFilesLimitOf(loaded.pid)}); empty relay beside it ${empty.url}`,
    );
    for (let g = 0; g < a.generators; g++) gens.push(startChild('./relay-scale-gen.ts', [], raisedFdLimit));
    const probeGen = startChild('./relay-scale-gen.ts', [], raisedFdLimit);
    gens.push(probeGen);
    const loadGens = gens.slice(0, a.generators);

    // Two nodes on the empty relay for its circuit probes (the reference for the loaded figures).
    const slotBase = Math.ceil((a.nodes + 4) / PER_ADDRESS) + 10;
    const cpFrom = probeBase + 2 * PROBES;
    await probeGen.request('load', {
      url: empty.url,
      fingerprint: empty.fingerprint,
      from: cpFrom,
      to: cpFrom + 2,
      perAddress: PER_ADDRESS,
      concurrency: 2,
    });
    const pairTimes = { empty: [] as number[], loaded: [] as number[] };
    const pairFailures: string[] = [];
    // A pair that does not link within the helper's 30 s is reported (and counted as that long), not fatal.
    const pairOn = async (r: Relay, into: number[]) => {
      try {
        const pair = await startAgentPair('relay', CLI, {
          relay: { url: r.url, fingerprint: r.fingerprint },
        });
        into.push(pair.readyMs);
        await pair.stop();
      } catch (err) {
        pairFailures.push(`${r === empty ? 'empty' : 'loaded'}: ${(err as Error).message.split('\n')[0]}`);
        into.push(Number.POSITIVE_INFINITY);
      }
    };
    await pairOn(empty, pairTimes.empty);

    await sleep(2_000);
    const rss0 = rssOf(loaded.pid);
    const fds0 = fdsOf(loaded.pid);
    out(`relay empty: RSS ${mib(rss0)} MiB, ${fds0} fds`);

    // Load: each generator its share of [0, N); a share is whole addresses.
    const addresses = Math.ceil(a.nodes / PER_ADDRESS);
    const perGen = Math.ceil(addresses / a.generators) * PER_ADDRESS;
    const tLoad = performance.now();
    const cpu0 = cpuMsOf(loaded.pid);
    type LoadResult = { registered: number; failures: string[]; timeouts: number; ms: number };
    // The first WARM_SHARE of each generator's share first: the relay's code paths, pools and first
    // heap growth exist before the marginal figure's baseline (bench/relay-memory.ts found ~8 MB of
    // one-time growth that spread over few nodes makes each look dearer).
    const span = (k: number) => ({ from: k * perGen, to: Math.min(a.nodes, (k + 1) * perGen) });
    const loadRange = (k: number, from: number, to: number) =>
      loadGens[k]!.request<LoadResult>(
        'load',
        {
          url: loaded.url,
          fingerprint: loaded.fingerprint,
          from,
          to,
          perAddress: PER_ADDRESS,
          concurrency: CONCURRENCY,
        },
        LOAD_TIMEOUT_MS,
      );
    const warmTo = (k: number) =>
      Math.min(span(k).to, span(k).from + Math.ceil((perGen * WARM_SHARE) / PER_ADDRESS) * PER_ADDRESS);
    const warm = await Promise.all(loadGens.map((_, k) => loadRange(k, span(k).from, warmTo(k))));
    const warmed = warm.reduce((s, r) => s + r.registered, 0);
    await sleep(5_000);
    const rssW = rssOf(loaded.pid);
    const results = await Promise.all(loadGens.map((_, k) => loadRange(k, warmTo(k), span(k).to)));
    for (const [k, r] of results.entries()) r.failures.unshift(...warm[k]!.failures);
    const loadS = (performance.now() - tLoad) / 1000;
    const loadCpuS = (cpuMsOf(loaded.pid) - cpu0) / 1000;
    const registered = results.reduce((s, r) => s + r.registered, 0);
    const failures = results.flatMap((r) => r.failures);
    const retried = [...warm, ...results].reduce((s, r) => s + r.timeouts, 0);
    out(
      `registered ${registered} of ${a.nodes} in ${loadS.toFixed(1)} s (${(registered / loadS).toFixed(0)}/s; relay CPU ${loadCpuS.toFixed(1)} s, ${((loadCpuS * 1000) / Math.max(1, registered)).toFixed(2)} ms per node; ${retried} attempts timed out and were retried)`,
    );
    if (failures.length > 0) {
      out(`stopped: ${failures.length} registrations failed; first: ${failures[0]}`);
      out(`  last: ${failures[failures.length - 1]}`);
    }

    // Past the relay's trim after a burst of registrations (10 s after the last, ADR 0054).
    await sleep(15_000);
    const rssN = rssOf(loaded.pid);
    const fdsN = fdsOf(loaded.pid);
    const perNode = (rssN - rss0) / Math.max(1, registered);
    const marginal = (rssN - rssW) / Math.max(1, registered - warmed);
    // The release row (bench/compare-rows.ts): KiB a node from empty, with the nodes it was measured at.
    figures = { nodes: a.nodes, registered, ratios: { 'relay KiB/node': perNode / 1024 } };
    out(
      `relay with ${registered} idle nodes: RSS ${mib(rssN)} MiB, ${fdsN} fds; ${kib(perNode)} KiB per node from empty, ${kib(marginal)} KiB per node past the first ${warmed} (RSS ${mib(rssW)} MiB there) (target ≤ 24)`,
    );

    // Idle: only heartbeats (each idle node pings every 60 s; the relay pings only the quiet, ADR 0061).
    const c0 = cpuMsOf(loaded.pid);
    const e0 = cpuMsOf(empty.pid);
    const t0 = performance.now();
    const gcpu0 = await Promise.all(loadGens.map((g) => g.request<{ cpuMs: number }>('usage')));
    await sleep(a.idleSeconds * 1000);
    const idleMs = performance.now() - t0;
    const idlePct = ((cpuMsOf(loaded.pid) - c0) / idleMs) * 100;
    const emptyPct = ((cpuMsOf(empty.pid) - e0) / idleMs) * 100;
    const gcpu1 = await Promise.all(loadGens.map((g) => g.request<{ cpuMs: number; rss: number }>('usage')));
    const genPct =
      (gcpu1.reduce((s, u) => s + u.cpuMs, 0) - gcpu0.reduce((s, u) => s + u.cpuMs, 0)) /
      (a.idleSeconds * 10);
    const still = (await Promise.all(loadGens.map((g) => g.request<number>('connected')))).reduce(
      (s, n) => s + n,
      0,
    );
    out(
      `idle ${a.idleSeconds} s: relay CPU ${idlePct.toFixed(2)} % of one core (target ≤ 2 %; the empty relay beside it ${emptyPct.toFixed(2)} %); generators ${genPct.toFixed(1)} % for their ${registered} nodes' heartbeats; ${still} nodes still connected; RSS ${mib(rssOf(loaded.pid))} MiB`,
    );
    out(`  ${uptimeLine()}`);

    // A real pair registering then linking with the N idle (issue 56, must-be-true 3): before the
    // flows, so nothing they leave behind counts; loaded and empty relay in turns.
    const idlePairs = { empty: [] as number[], loaded: [] as number[] };
    for (let k = 0; k < Math.max(1, a.pairs); k++) {
      await pairOn(loaded, idlePairs.loaded);
      await pairOn(empty, idlePairs.empty);
    }
    out(
      `real pair registering then linking, ${registered} idle nodes connected: loaded ${idlePairs.loaded.map((x) => ms(x)).join(', ')} ms; empty ${idlePairs.empty.map((x) => ms(x)).join(', ')} ms; median ratio ${(median(idlePairs.loaded) / median(idlePairs.empty)).toFixed(2)}× (target ≤ 1.5×)`,
    );
    out(`  ${uptimeLine()}`);

    // One more node, and one more circuit, while the N are connected.
    await probeGen.request('load', {
      url: loaded.url,
      fingerprint: loaded.fingerprint,
      from: cpFrom + 2,
      to: cpFrom + 4,
      perAddress: PER_ADDRESS,
      concurrency: 2,
    });
    // Loaded and empty relay in turns, PROBE_ROUNDS rounds, so both see the same machine load.
    const loadedRegister: number[] = [];
    const emptyRegister: number[] = [];
    const loadedCircuit: number[] = [];
    const emptyCircuit: number[] = [];
    const perRound = PROBES / PROBE_ROUNDS;
    for (let r = 0; r < PROBE_ROUNDS; r++) {
      for (const [relay, into, from, slot] of [
        [loaded, loadedRegister, probeBase, slotBase],
        [empty, emptyRegister, probeBase + PROBES, slotBase + 20],
      ] as const) {
        into.push(
          ...(await probeGen.request<number[]>(
            'register-probe',
            {
              url: relay.url,
              fingerprint: relay.fingerprint,
              from: from + r * perRound,
              count: perRound,
              slot: slot + r * Math.ceil(perRound / 25),
            },
            300_000,
          )),
        );
      }
      const circuits = CIRCUIT_PROBES / PROBE_ROUNDS;
      loadedCircuit.push(
        ...(await probeGen.request<number[]>(
          'circuit-probe',
          { from: cpFrom + 2, to: cpFrom + 3, count: circuits },
          300_000,
        )),
      );
      emptyCircuit.push(
        ...(await probeGen.request<number[]>(
          'circuit-probe',
          { from: cpFrom, to: cpFrom + 1, count: circuits },
          300_000,
        )),
      );
    }
    const row = (what: string, xs: number[]) =>
      `${what}: p50 ${ms(median(xs))} ms, p99 ${ms(quantile(xs, 0.99))} ms (${xs.length})`;
    out(row(`one more node registers, ${registered} connected`, loadedRegister) + ' (target p99 ≤ 50 ms)');
    out(row('  … on the empty relay', emptyRegister));
    out(row(`a circuit opens, ${registered} connected`, loadedCircuit));
    out(row('  … on the empty relay', emptyCircuit));

    // Flows: pairs of the idle nodes, within each generator, spread over the generators.
    const flowRow = async (circuits: number) => {
      const per = Math.ceil(circuits / a.generators);
      const reqs = loadGens.map((g, k) => {
        const base = k * perGen;
        const n = Math.min(per, circuits - k * per);
        const pairs: [number, number][] = [];
        for (let p = 0; p < n; p++) pairs.push([base + 2 * p, base + 2 * p + 1]);
        return n > 0
          ? g.request<{ bytes: number; ms: number; circuits: number; failures: string[] }>(
              'flow',
              { pairs, seconds: FLOW_S, warmSeconds: FLOW_WARM_S },
              120_000,
            )
          : Promise.resolve(undefined);
      });
      const rs = (await Promise.all(reqs)).filter((r) => r !== undefined);
      const bytes = rs.reduce((s, r) => s + r.bytes, 0);
      const secs = Math.max(...rs.map((r) => r.ms)) / 1000;
      const opened = rs.reduce((s, r) => s + r.circuits, 0);
      const fails = rs.flatMap((r) => r.failures);
      return { rate: bytes / secs, opened, fails };
    };
    const genCpuMs = async () =>
      (await Promise.all(loadGens.map((g) => g.request<{ cpuMs: number }>('usage')))).reduce(
        (sum, u) => sum + u.cpuMs,
        0,
      );
    const flowWithCpu = async (circuits: number) => {
      const r0 = cpuMsOf(loaded.pid);
      const g0 = await genCpuMs();
      const f = await flowRow(circuits);
      const wall = (FLOW_S + FLOW_WARM_S) * 1000;
      const relayPct = ((cpuMsOf(loaded.pid) - r0) / wall) * 100;
      const genPct = (((await genCpuMs()) - g0) / wall) * 100;
      return { ...f, cpu: `relay CPU ${relayPct.toFixed(0)} %, generators ${genPct.toFixed(0)} %` };
    };
    const f10 = await flowWithCpu(10);
    const fN = await flowWithCpu(a.circuits);
    const failed = (f: { fails: string[] }) =>
      f.fails.length ? `; ${f.fails.length} failed: ${f.fails[0]}` : '';
    out(`10 circuits: ${mib(f10.rate)} MiB/s through the relay (${f10.cpu})${failed(f10)}`);
    out(
      `${fN.opened} circuits: ${mib(fN.rate)} MiB/s (${fN.cpu}) = ${(fN.rate / f10.rate).toFixed(2)}× 10 circuits (target ≥ 0.8×)${failed(fN)}`,
    );
    out(`  relay RSS after the flows ${mib(rssOf(loaded.pid))} MiB`);

    // What the flows left queued drains first.
    const connectedNow = async () =>
      (await Promise.all(loadGens.map((g) => g.request<number>('connected')))).reduce((sum, n) => sum + n, 0);
    const rightAfter = await connectedNow();
    await sleep(10_000);
    const after = await connectedNow();
    const cpuBeforeMetrics = cpuMsOf(loaded.pid);
    const answered = await metricsWhenAnswering(loaded.url);
    out(
      `after the flows: ${rightAfter} nodes connected at once, ${after} 10 s later; GET /metrics answered after ${answered.waitedS.toFixed(1)} s (${answered.tries} tries; relay CPU meanwhile ${(((cpuMsOf(loaded.pid) - cpuBeforeMetrics) / 1000 / Math.max(0.001, answered.waitedS)) * 100).toFixed(0)} %; ${await connectedNow()} nodes connected then)`,
    );
    const cuts = answered.text
      .split('\n')
      .filter((l) =>
        /^clawbridge_relay_(disconnects_total|frames_dropped_total|refused_full_total)\{/.test(l),
      );
    out(
      `after the flows: ${after} of ${registered} nodes connected; relay ${cuts.join('; ') || 'cut nobody'}`,
    );
    // A real pair on the loaded relay and on the empty one, alternately.
    for (let k = 0; k < a.pairs; k++) {
      await pairOn(loaded, pairTimes.loaded);
      if (k > 0) await pairOn(empty, pairTimes.empty);
    }
    const ratio = median(pairTimes.loaded) / median(pairTimes.empty);
    out(
      `real pair registering then linking, after the flows: loaded ${pairTimes.loaded.map((x) => ms(x)).join(', ')} ms; empty ${pairTimes.empty.map((x) => ms(x)).join(', ')} ms; median ratio ${ratio.toFixed(2)}× (target ≤ 1.5×)${pairFailures.length ? `; did not link: ${pairFailures.join('; ')}` : ''}`,
    );

    const metrics = await metricsOf(loaded.url);
    const shown = metrics
      .split('\n')
      .filter(
        (l) =>
          /^clawbridge_relay_(nodes|connections|capacity|refused|circuits) /.test(l) ||
          /^clawbridge_relay_(refused|capacity)/.test(l),
      );
    out(`relay /metrics: ${shown.join('; ')}`);
    const warned = loaded.proc.stderr().trim();
    if (warned) out(`relay log (warn): ${warned.split('\n').slice(-5).join(' | ')}`);
    out(
      `fds: relay ${fdsOf(loaded.pid)} of ${openFilesLimitOf(loaded.pid)}; CPU per registration above; ${uptimeLine()}`,
    );
  } finally {
    await Promise.all(gens.map((g) => g.stop()));
    await Promise.all(relays.map((r) => killByPid(r.proc.proc)));
    rmSync(dir, { recursive: true, force: true });
  }
  if (a.json) process.stdout.write(`${JSON.stringify(figures)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`relay scale failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
