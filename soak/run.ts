/**
 * `npm run soak -- --minutes N` (default 60): a relay and two agents (soak/topology.ts) under
 * continuous load for N minutes — 100 concurrent byte-checked streams through a forward, forwards and
 * terminals opened and closed, and in every cycle of 3 minutes (or the whole run when shorter) the
 * direct path blackholed and restored, the relay restarted, and the serving agent killed (-9) and
 * restarted. Prints, per minute, each process's RSS and open fds (/proc/PID), the driver's event-loop
 * delay, the agents' `status` latency and the bytes checked. Exits 1 on any corrupt byte, any stream
 * or check lost outside a disruption window (soak/traffic.ts says how each is judged; a direct path
 * cut excuses no stream, since streams resume on the relay), or growth past
 * the bounds below between minute 2 (1 in runs under 3 minutes) and the end.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { runCli } from '../bench/cli-agents.js';
import { ControlClient } from '../src-main/api/control-client.js';
import { controlSocketPath } from '../src-main/home/home-dir.js';
import { inBackground } from '../src-main/core/background.js';
import { growthProblems, type MinuteSample, type ProcSample } from './growth.js';
import { createPlace, freePort, Topology } from './topology.js';
import { echoOnce, newTally, startEcho, streamPool, type Explained } from './traffic.js';

/** Concurrent byte-checked streams. */
const STREAMS = 100;
/** One disruption cycle, in ms (shorter runs squeeze all three disruptions into the run). */
const CYCLE_MS = 3 * 60_000;
/** How long the direct path stays blackholed, in ms. */
const CUT_MS = 15_000;
/** The disruption that blackholes the direct path. */
const PATH_CUT = 'direct path cut';
/** How long b stays dead after kill -9, in ms. */
const B_DOWN_MS = 3_000;
/**
 * After a disruption ends, how long streams may still end because of it, in ms: link judged dead,
 * reconnect backoff, the stream's resume deadline.
 */
const GRACE_MS = 45_000;
/** Pause between two forward or terminal churn rounds, in ms (each runs ~3 CLI processes). */
const CHURN_EVERY_MS = 15_000;
/** One churn step's deadline, in ms. */
const CHURN_TIMEOUT_MS = 30_000;
/** How often the agents' `status` latency is sampled, in ms. */
const STATUS_EVERY_MS = 5_000;

function parseMinutes(argv: string[]): number {
  const i = argv.indexOf('--minutes');
  const m = i >= 0 ? Number(argv[i + 1]) : 60;
  if (!Number.isFinite(m) || m < 1 || m > 24 * 60) throw new Error('--minutes takes 1..1440');
  return m;
}

function sampleProc(pid: number | undefined): ProcSample | undefined {
  if (!pid) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { pid, rssMiB: kb / 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined; // between a kill and the restart
  }
}

/** One `status` call over a's or b's control socket, in ms (Infinity when it failed). */
async function statusLatency(home: string): Promise<number> {
  const t0 = performance.now();
  let client: ControlClient | undefined;
  try {
    client = await ControlClient.connect(controlSocketPath(home), home);
    await client.call('status', {}, 10_000);
    return performance.now() - t0;
  } catch {
    return Infinity;
  } finally {
    client?.close();
  }
}

async function main(): Promise<number> {
  const minutes = parseMinutes(process.argv.slice(2));
  const runMs = minutes * 60_000;
  const cycleMs = Math.min(CYCLE_MS, runMs);
  const place = createPlace();
  console.log(
    `soak: ${minutes} min, ${STREAMS} streams, ` +
      (place.shared ? `shared loopback (${place.shared})` : `b in its own network namespace`),
  );
  const echo = await startEcho(place.hostAddr);
  const topo = await Topology.start(place).catch((err: unknown) => {
    place.destroy();
    throw err;
  });
  // Ctrl-C or a test's timeout still ends every process and removes the namespace.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`soak: ${signal}, stopping`);
      inBackground(
        topo.stop().finally(() => {
          place.destroy();
          process.exit(1);
        }),
        console,
        'soak: stopping',
      );
    });
  }
  const windows: { what: string; from: number; to: number }[] = [];
  const explained: Explained = (from, to) =>
    windows.find((w) => w.from <= to && from <= w.to + GRACE_MS)?.what;
  // A forwarded connection moves to the relay when the direct path dies (ADR 0023): a cut excuses no
  // stream of the pool. A relay restart (streams that moved there move back) and b's kill (its exit
  // sockets die with it) still do.
  const explainedForStreams: Explained = (from, to) =>
    windows.find((w) => w.what !== PATH_CUT && w.from <= to && from <= w.to + GRACE_MS)?.what;
  const tally = newTally();
  const checks = { ok: 0, cut: 0, failed: [] as string[] };
  let failures: string[] = [];
  try {
    const fwdPort = await freePort('127.0.0.1');
    const onA = (args: string[]) => runCli([...args, '--home', topo.homeA]);
    await onA([
      'forward',
      'add',
      '--via',
      'b',
      '--local',
      String(fwdPort),
      '--remote',
      `${place.hostAddr}:${echo.port}`,
    ]);
    // The forward carries bytes before the load starts: a refused first stream would count as lost.
    await echoOnce(fwdPort, randomBytes(1024), 30_000);
    const t0 = performance.now();
    const until = t0 + runMs;
    const disrupt = async (what: string, act: () => Promise<void>) => {
      const w = { what, from: performance.now(), to: Infinity };
      windows.push(w);
      try {
        await act();
      } catch (err) {
        failures.push(`${what} failed: ${(err as Error).message}`);
      } finally {
        w.to = performance.now();
      }
    };
    // The disruptions, once per cycle, at fixed fractions of it; each is awaited, so none overlap.
    const disruptions = (async () => {
      for (let c = t0; c < until; c += cycleMs) {
        const at = async (frac: number) => {
          const t = c + frac * cycleMs;
          if (t >= until) return false;
          await new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));
          return true;
        };
        if (await at(0.2))
          await disrupt(PATH_CUT, async () => {
            topo.freezeDirect(true);
            await new Promise((r) => setTimeout(r, CUT_MS));
            topo.freezeDirect(false);
          });
        if (await at(0.45)) await disrupt('relay restart', () => topo.restartRelay());
        if (await at(0.7)) await disrupt('agent b kill -9', () => topo.killAndRestartB(B_DOWN_MS));
      }
    })();
    // Forwards and terminals opened and closed; a failure inside a disruption window is a cut.
    const churn = (async () => {
      for (let round = 0; performance.now() < until; round++) {
        const started = performance.now();
        const step = async (what: string, run: () => Promise<void>) => {
          const from = performance.now();
          try {
            await Promise.race([
              run(),
              new Promise((_, rej) => setTimeout(() => rej(new Error('timed out')), CHURN_TIMEOUT_MS)),
            ]);
            checks.ok++;
          } catch (err) {
            if (explained(from, performance.now())) checks.cut++;
            else checks.failed.push(`${what}: ${(err as Error).message.split('\n')[0]}`);
          }
        };
        const port = await freePort('127.0.0.1');
        const name = `churn-${round}`;
        await step('forward open/check/close', async () => {
          await onA([
            'forward',
            'add',
            '--via',
            'b',
            '--local',
            String(port),
            '--remote',
            `${place.hostAddr}:${echo.port}`,
            '--name',
            name,
          ]);
          try {
            await echoOnce(port, randomBytes(64 * 1024), 20_000);
          } finally {
            await onA(['forward', 'rm', name]).catch(() => undefined);
          }
        });
        await step('terminal open/echo/close', async () => {
          const token = `soak-${round}-${randomBytes(4).toString('hex')}`;
          // --home before `--`: after it, every word is the remote command's.
          const out = await runCli(['term', 'b', '--home', topo.homeA, '--', 'echo', token]);
          if (!out.includes(token)) throw new Error(`term printed ${JSON.stringify(out.slice(0, 80))}`);
        });
        await new Promise((r) => setTimeout(r, Math.max(0, started + CHURN_EVERY_MS - performance.now())));
      }
    })();
    // Per-minute report.
    const loop = monitorEventLoopDelay({ resolution: 20 });
    loop.enable();
    const samples: MinuteSample[] = [];
    let statusMax = { a: 0, b: 0 };
    const statusTimer = setInterval(() => {
      // statusLatency says a failed call as Infinity; only a close that throws can land here.
      inBackground(
        Promise.all([statusLatency(topo.homeA), statusLatency(topo.homeB)]).then(([a, b]) => {
          statusMax = { a: Math.max(statusMax.a, a), b: Math.max(statusMax.b, b) };
        }),
        console,
        'soak: a status sample',
      );
    }, STATUS_EVERY_MS);
    let lastBytes = 0;
    const fmt = (s: ProcSample | undefined) => (s ? `${s.rssMiB.toFixed(0)} MiB/${s.fds} fds` : 'down');
    const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(0)} ms` : 'failed');
    const reporter = (async () => {
      for (let minute = 1; minute <= minutes; minute++) {
        await new Promise((r) => setTimeout(r, Math.max(0, t0 + minute * 60_000 - performance.now())));
        const s = {
          minute,
          a: sampleProc(topo.a?.proc.pid),
          b: sampleProc(topo.b?.proc.pid),
          relay: sampleProc(topo.relay?.proc.pid),
        };
        samples.push(s);
        console.log(
          `min ${String(minute).padStart(3)}: a ${fmt(s.a)}, b ${fmt(s.b)}, relay ${fmt(s.relay)}; ` +
            `loop p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms max ${(loop.max / 1e6).toFixed(0)} ms; ` +
            `status a ${ms(statusMax.a)} b ${ms(statusMax.b)}; ` +
            `checked ${((tally.bytesChecked - lastBytes) / 2 ** 20).toFixed(0)} MiB ` +
            `(streams ok ${tally.completed} cut ${tally.cut} [${tally.cutUnstarted} before a byte] lost ${tally.lost} corrupt ${tally.corrupt}; ` +
            `churn ok ${checks.ok} cut ${checks.cut} failed ${checks.failed.length})`,
        );
        lastBytes = tally.bytesChecked;
        loop.reset();
        statusMax = { a: 0, b: 0 };
      }
    })();
    await Promise.all([
      streamPool(STREAMS, fwdPort, until, explainedForStreams, tally),
      disruptions,
      churn,
      reporter,
    ]);
    clearInterval(statusTimer);
    loop.disable();
    failures = [
      ...failures,
      ...growthProblems(samples, minutes >= 3 ? 2 : 1),
      ...tally.problems,
      ...checks.failed.slice(0, 10),
    ];
    if (tally.corrupt + tally.lost > 0) failures.push(`${tally.corrupt} corrupt, ${tally.lost} lost streams`);
    if (tally.completed === 0) failures.push('no stream completed');
    console.log(
      `total: ${(tally.bytesChecked / 2 ** 30).toFixed(2)} GiB checked byte-exact; streams completed ` +
        `${tally.completed}, cut by a disruption ${tally.cut} (${tally.cutUnstarted} of them before their first byte), lost ${tally.lost}, corrupt ${tally.corrupt}; ` +
        `churn ok ${checks.ok}, cut ${checks.cut}, failed ${checks.failed.length}`,
    );
  } finally {
    await topo.stop();
    echo.server.close();
    place.destroy();
  }
  for (const f of failures) console.error(`FAIL: ${f}`);
  console.log(failures.length ? 'soak FAILED' : 'soak passed');
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
