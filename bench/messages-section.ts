/**
 * The messages section of `npm run bench` (issue 54 item 6), measured in one run on 127.0.0.1 with a
 * pair of real agents over direct (bench/cli-agents.ts) and, beside them, a local `mosquitto`:
 * - `msg-10k` and `mqtt-10k`, in alternating turns (issue 83): 10,000 messages of 200 bytes a → b, all
 *   sent at once through the client library (`clawbridge/client`, as a program pipelines them: the
 *   library carries one tick's sends in `messages.sendMany` requests of up to 1,000), timed until
 *   every send was answered and b's listener had all 10,000 in order; and the same through mosquitto
 *   with its own C clients at QoS 1 (bench/messages-mosquitto.ts: `persistence false`, timed until
 *   mosquitto_pub had every PUBACK and mosquitto_sub printed every line). Without mosquitto or its
 *   clients the row says so and the rest runs;
 * - `msg-listen`: one message at a time from a's client library to a `msg listen --json` process on b
 *   (as a person's script reads it), from the send to the line on its stdout;
 * - `msg-ask` and `term-true`: cold CLI processes in turns, `msg ask b TEXT` against a `msg serve
 *   --topic T -- cat` process on b, and `term b -- true`.
 * Every loop is bounded in count and time; every process is ended by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connectAgent, type AgentClient } from '../src-main/messages/client/agent-client.js';
import { CLI, startAgentPair, type AgentPair } from './cli-agents.js';
import { withDeadline } from './measure.js';
import { cpuSeconds } from './udp-drops.js';
import type { MessagesFigures, RateFigures, TimeFigures } from './messages-report.js';
import { clientsMissing, mosquittoTurn, startMosquitto, type Broker } from './messages-mosquitto.js';
import { endOnAbort, killByPid, launch, runToEnd, type Launched } from './processes.js';

export { mosquittoBinary } from './messages-mosquitto.js';

/** Messages per throughput turn, and their body size in bytes (issue 54 item 6). */
export const BULK_COUNT = 10_000;
export const BODY_BYTES = 200;
/** Turns of each throughput row, alternating (the median is judged). */
export const BULK_TURNS = 4;
/** Messages of the uncounted first turn of each throughput row (module loading, JIT, the link's first bytes). */
export const BULK_WARMUP_COUNT = 1_000;
/** Longest one throughput turn may take, in ms. */
const BULK_TURN_MAX_MS = 120_000;
/** Messages timed by `msg-listen` (after MSG_LISTEN_WARMUP uncounted), and its bounds. */
export const LISTEN_COUNT = 1_000;
const LISTEN_WARMUP = 20;
const LISTEN_ONE_MAX_MS = 5_000;
const LISTEN_ROW_MAX_MS = 120_000;
/** Cold runs of each of `msg ask` and `term b -- true` (after COLD_WARMUP uncounted), in turns. */
export const COLD_RUNS = 15;
const COLD_WARMUP = 2;
/** One cold command that takes longer than this fails its row, in ms. */
const COLD_ONE_MAX_MS = 20_000;
/**
 * CPU seconds (user + system) of this process — both client libraries, or the lines of mosquitto_sub —
 * and of its children waited for (mosquitto_pub and mosquitto_sub once they exited), from /proc/self/stat.
 */
function selfCpu(): { own: number; children: number } {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // USER_HZ is 100 on every Linux the bench runs on.
  return { own: (Number(f[11]) + Number(f[12])) / 100, children: (Number(f[13]) + Number(f[14])) / 100 };
}

const body = (i: number) => `${String(i).padStart(8, '0')} ${'m'.repeat(BODY_BYTES - 9)}`;

/** Writes and fdatasyncs probed to time this disk's flush, before the section. */
const FLUSH_PROBES = 50;

/** The median time of one 256-byte write + fdatasync in the temp folder, in ms: what each durable step waits for. */
export function flushMs(): number {
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-flush-'));
  const fd = openSync(join(dir, 'probe'), 'w');
  const samples: number[] = [];
  try {
    const chunk = Buffer.alloc(256, 0x61);
    for (let i = 0; i < FLUSH_PROBES; i++) {
      const t0 = performance.now();
      writeSync(fd, chunk);
      fdatasyncSync(fd);
      samples.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  samples.sort((x, y) => x - y);
  return samples[samples.length >> 1]!;
}

/**
 * One Clawbridge turn: `count` sends at once through a's client library to b, whose listener (the
 * library's `listen`) checks each message is the next in order. Resolves with the ms from the first send
 * until every send was answered (durable in a's outbox: mosquitto_pub's PUBACKs) and b's listener had
 * all `count` in order (mosquitto_sub's N lines); `phases` gets when each of those, and a's last
 * `delivered` (all durable in b's inbox), came. Both boxes are emptied for the next turn, untimed.
 */
async function clawbridgeTurn(
  a: AgentClient,
  b: AgentClient,
  turn: number,
  count: number,
  phases: Record<string, number>,
  ended: () => void,
): Promise<number> {
  const topic = `bulk-${turn}`;
  let got = 0;
  let outOfOrder: string | undefined;
  let t0 = performance.now();
  let resolveAll!: () => void;
  const all = new Promise<void>((resolve) => (resolveAll = resolve));
  const listening = b.listen({ topic }, (m) => {
    const expected = body(got);
    if (m.text !== expected) outOfOrder ??= `message ${got + 1} was ${JSON.stringify(m.text?.slice(0, 12))}…`;
    if (++got === count) {
      phases.listened = performance.now() - t0;
      resolveAll();
    }
  });
  await listening.ready;
  a.followEvents();
  t0 = performance.now();
  try {
    const sent = await withDeadline(
      Promise.all([
        Promise.all(Array.from({ length: count }, (_, i) => a.send('b', body(i), { topic }))).then((ms) => {
          phases.queued = performance.now() - t0;
          return ms;
        }),
        all,
      ]).then(([ms]) => ms),
      BULK_TURN_MAX_MS,
      `clawbridge turn (${got} listened)`,
    );
    const ms = performance.now() - t0;
    if (outOfOrder !== undefined) throw new Error(`b's listener: ${outOfOrder}`);
    const ids = sent.map((m) => m.id);
    await a.waitFor(ids, 'delivered', BULK_TURN_MAX_MS);
    phases.delivered = performance.now() - t0;
    ended();
    await listening.stop();
    // The inbox holds 10,000 per peer, the outbox as many pending: both emptied for the next turn.
    for (let i = 0; i < ids.length; i += 1_000) {
      const chunk = ids.slice(i, i + 1_000);
      await Promise.all([a.delete(chunk), b.delete(chunk)]);
    }
    return ms;
  } finally {
    await listening.stop();
  }
}

/** The figures of one throughput row: each counted turn's messages/s, or why none ran. */
function rateOf(ms: number[], count: number, failed: string | undefined): RateFigures {
  const perS = ms.map((x) => count / (x / 1000));
  return failed !== undefined && perS.length === 0 ? { perS, skipped: failed } : { perS };
}

/** Alternating turns of both throughput rows (which goes first swaps every turn). */
export async function bulkRows(
  pair: AgentPair,
  log: (line: string) => void,
  notes: string[],
): Promise<{ clawbridge: RateFigures; delivered: RateFigures; mosquitto: RateFigures; what: string }> {
  const clawbridgeMs: number[] = [];
  const deliveredMs: number[] = [];
  const mosquittoMs: number[] = [];
  const phases: string[] = [];
  const mosquittoTurns: string[] = [];
  const cpuTurns: string[] = [];
  let what = 'mosquitto (mosquitto_pub -q 1 -l, mosquitto_sub -q 1 -C N)';
  let broker: Broker | null = null;
  let mosquittoSkipped = clientsMissing();
  if (mosquittoSkipped === undefined) {
    try {
      broker = await startMosquitto();
      if (broker === null) mosquittoSkipped = 'mosquitto not installed';
      else
        what = `mosquitto ${broker.version} (its C clients: mosquitto_pub -q 1 -l, mosquitto_sub -q 1 -C N)`;
    } catch (err) {
      mosquittoSkipped = `mosquitto did not start: ${(err as Error).message}`;
    }
  }
  const [a, b] = await Promise.all([connectAgent({ home: pair.homeA }), connectAgent({ home: pair.homeB })]);
  let clawbridgeFailed: string | undefined;
  const mosquittoOnce = async (turn: number, count: number, label: string) => {
    if (broker === null || mosquittoSkipped !== undefined) return;
    log(`  mqtt-10k ${label}…`);
    try {
      const cpu0 = (cpuSeconds(broker.pid) ?? NaN) + selfCpu().children;
      const ms = await mosquittoTurn(broker, turn, count, body, BULK_TURN_MAX_MS);
      const cpu = (cpuSeconds(broker.pid) ?? NaN) + selfCpu().children - cpu0;
      if (turn > 0) {
        mosquittoMs.push(ms);
        mosquittoTurns.push(`${Math.round(ms)} ms, CPU ${cpu.toFixed(2)} s`);
      }
    } catch (err) {
      mosquittoSkipped = `failed: ${(err as Error).message}`;
    }
  };
  const clawbridgeOnce = async (turn: number, count: number, label: string) => {
    if (clawbridgeFailed !== undefined) return;
    log(`  msg-10k ${label}…`);
    try {
      const phase: Record<string, number> = {};
      const cpuOf = () => [cpuSeconds(pair.pids.a) ?? NaN, cpuSeconds(pair.pids.b) ?? NaN, selfCpu().own];
      const cpu0 = cpuOf();
      let cpu: number[] = [];
      // Read once a saw every delivered, before the boxes are emptied.
      const ms = await clawbridgeTurn(a, b, turn, count, phase, () => {
        cpu = cpuOf().map((x, i) => x - cpu0[i]!);
      });
      if (turn === 0) return;
      cpuTurns.push(`a ${cpu[0]!.toFixed(2)} + b ${cpu[1]!.toFixed(2)} + clients ${cpu[2]!.toFixed(2)} s`);
      clawbridgeMs.push(ms);
      if (phase.delivered !== undefined) deliveredMs.push(phase.delivered);
      phases.push(
        Object.entries(phase)
          .sort(([, x], [, y]) => x - y)
          .map(([k, v]) => `${k} ${Math.round(v)} ms`)
          .join(', '),
      );
    } catch (err) {
      clawbridgeFailed = `failed: ${(err as Error).message}`;
    }
  };
  try {
    // Turn 0 is the uncounted warm-up of both (BULK_WARMUP_COUNT messages); then they alternate who goes first.
    for (let turn = 0; turn <= BULK_TURNS; turn++) {
      const count = turn === 0 ? BULK_WARMUP_COUNT : BULK_COUNT;
      const label = turn === 0 ? `warm-up (${BULK_WARMUP_COUNT})` : `turn ${turn}`;
      if (turn % 2 === 0) {
        await mosquittoOnce(turn, count, label);
        await clawbridgeOnce(turn, count, label);
      } else {
        await clawbridgeOnce(turn, count, label);
        await mosquittoOnce(turn, count, label);
      }
    }
  } finally {
    a.close();
    b.close();
    await broker?.stop();
  }
  if (clawbridgeFailed) notes.push(`msg-10k ${clawbridgeFailed}`);
  if (phases.length > 0) {
    notes.push(
      `msg-10k turns, from the first send: all sends answered (queued), b's listener had all in order (listened), a saw every delivered: ${phases.map((p) => `(${p})`).join('; ')}; CPU of each turn until the last delivered ${cpuTurns.join('; ')}; mqtt-10k turns (CPU: broker + mosquitto_pub + mosquitto_sub) ${mosquittoTurns.join('; ') || 'none'}`,
    );
  }
  return {
    clawbridge: rateOf(clawbridgeMs, BULK_COUNT, clawbridgeFailed),
    delivered: rateOf(deliveredMs, BULK_COUNT, clawbridgeFailed),
    mosquitto: rateOf(mosquittoMs, BULK_COUNT, mosquittoSkipped),
    what,
  };
}

/**
 * `msg listen --json` on b as a process; resolves each line's message ID to whoever waits for it, with
 * when the line was read (performance.now()): it may come before the send's answer (ADR 0066).
 */
function startListener(
  pair: AgentPair,
  topic: string,
): { proc: ChildProcess; next(id: string): Promise<number> } {
  const proc = spawn(
    process.execPath,
    [CLI, 'msg', 'listen', '--json', '--topic', topic, '--home', pair.homeB],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  endOnAbort(proc);
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-2000)));
  const waiting = new Map<string, { resolve(at: number): void; reject(err: Error): void }>();
  const seen = new Map<string, number>();
  proc.once('exit', () => {
    for (const w of waiting.values()) w.reject(new Error(`msg listen exited: ${stderr.trim()}`));
  });
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const at = performance.now();
    const id = (JSON.parse(line) as { id: string }).id;
    const w = waiting.get(id);
    if (w) w.resolve(at);
    else seen.set(id, at);
  });
  return {
    proc,
    next: (id) => {
      const at = seen.get(id);
      if (at !== undefined) {
        seen.delete(id);
        return Promise.resolve(at);
      }
      return withDeadline(
        new Promise<number>((resolve, reject) => waiting.set(id, { resolve, reject })),
        LISTEN_ONE_MAX_MS,
        'the listener printing the message',
      ).finally(() => waiting.delete(id));
    },
  };
}

/**
 * `msg-listen`: each sample is from the send call until both its answer (durable in a's outbox) and its
 * line came; `answeredMs` and `lineMs` get each of the two apart, for the notes.
 */
async function listenRow(pair: AgentPair, answeredMs: number[], lineMs: number[]): Promise<TimeFigures> {
  const topic = 'latency';
  const listener = startListener(pair, topic);
  const a = await connectAgent({ home: pair.homeA });
  const samples: number[] = [];
  const ids: string[] = [];
  const deadline = performance.now() + LISTEN_ROW_MAX_MS;
  try {
    for (let i = 0; i < LISTEN_WARMUP + LISTEN_COUNT && performance.now() < deadline; i++) {
      // The ID is the agent's: the line is waited for by it once the send answered (or was seen before).
      const t0 = performance.now();
      const sent = await a.send('b', body(i), { topic });
      const answered = performance.now() - t0;
      const lineAt = await listener.next(sent.id);
      const ms = performance.now() - t0;
      ids.push(sent.id);
      if (i >= LISTEN_WARMUP) {
        samples.push(ms);
        answeredMs.push(answered);
        lineMs.push(lineAt - t0);
      }
    }
    for (let i = 0; i < ids.length; i += 1_000) await a.delete(ids.slice(i, i + 1_000));
    return { samplesMs: samples };
  } finally {
    a.close();
    await killByPid(listener.proc);
  }
}

async function coldRows(
  pair: AgentPair,
  log: (line: string) => void,
): Promise<{ ask: TimeFigures; termTrue: TimeFigures }> {
  const topic = 'echo';
  const serve: Launched = launch(process.execPath, [
    CLI,
    'msg',
    'serve',
    '--topic',
    topic,
    '--home',
    pair.homeB,
    '--',
    'cat',
  ]);
  const node = process.execPath;
  const contenders = [
    {
      name: 'msg-ask',
      args: [CLI, 'msg', 'ask', 'b', 'ping', '--topic', topic, '--timeout', '10s', '--home', pair.homeA],
      check: (out: string) => out.trim() === 'ping',
      samples: [] as number[],
      failed: undefined as string | undefined,
    },
    {
      name: 'term-true',
      args: [CLI, 'term', 'b', '--home', pair.homeA, '--', 'true'],
      check: () => true,
      samples: [] as number[],
      failed: undefined as string | undefined,
    },
  ];
  try {
    log(`  msg-ask and term-true, ${COLD_RUNS} cold runs each in turns…`);
    for (let turn = 0; turn < COLD_WARMUP + COLD_RUNS; turn++) {
      for (const c of contenders.filter((x) => x.failed === undefined)) {
        try {
          const t0 = performance.now();
          const out = await runToEnd(node, c.args, COLD_ONE_MAX_MS, `clawbridge ${c.name}`);
          const ms = performance.now() - t0;
          if (!c.check(out)) throw new Error(`unexpected output ${JSON.stringify(out.slice(0, 80))}`);
          if (turn >= COLD_WARMUP) c.samples.push(ms);
        } catch (err) {
          c.failed = `failed: ${(err as Error).message}${serve.proc.exitCode !== null ? ` (msg serve exited: ${serve.stderr()})` : ''}`;
        }
      }
    }
  } finally {
    await killByPid(serve.proc);
  }
  const figures = (c: (typeof contenders)[number]): TimeFigures =>
    c.failed && c.samples.length === 0 ? { samplesMs: [], skipped: c.failed } : { samplesMs: c.samples };
  return { ask: figures(contenders[0]!), termTrue: figures(contenders[1]!) };
}

/**
 * The section's rows that `--only` can pick alone (bench/only.ts): `msg-10k` with `mqtt-10k`, `msg-listen`,
 * and `msg-ask` with `term-true`; `messages` (or `msg`) picks all three.
 */
export const MESSAGE_ROWS = ['msg-10k', 'msg-listen', 'msg-ask'] as const;
export type MessageRow = (typeof MESSAGE_ROWS)[number];

/**
 * Measures the section (the rows `wanted` picks; every row by default): starts its own agent pair over
 * direct, ends it (and mosquitto) before returning. A row not picked reads "not measured".
 */
export async function measureMessages(
  log: (line: string) => void,
  wanted: (row: MessageRow) => boolean = () => true,
): Promise<{ figures: MessagesFigures; notes: string[] }> {
  const notes: string[] = [];
  log('messages: starting agents a and b over direct…');
  const pair = await startAgentPair('direct');
  try {
    const flush = flushMs();
    notes.push(
      `this disk's write + fdatasync (what each durable step waits for): median ${flush.toFixed(2)} ms of ${FLUSH_PROBES}, before the rows; msg-listen's sample waits for one (a's outbox, the send's answer; since ADR 0066 the line waits for no sync, b's inbox record is written while the listener prints), msg-ask's for the question in a's outbox and the reply's read mark in a's inbox (the rest is written while the messages travel)`,
    );
    const t0 = performance.now();
    const bulk = wanted('msg-10k')
      ? await bulkRows(pair, log, notes)
      : { clawbridge: { perS: [] }, delivered: { perS: [] }, mosquitto: { perS: [] }, what: 'mosquitto' };
    if (wanted('msg-10k'))
      log(`  throughput turns done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    let listen: TimeFigures = { samplesMs: [] };
    const answeredMs: number[] = [];
    const lineMs: number[] = [];
    try {
      if (wanted('msg-listen')) {
        log('  msg-listen…');
        listen = await listenRow(pair, answeredMs, lineMs);
      }
      const mid = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
      const answered = mid(answeredMs);
      const line = mid(lineMs);
      if (answered !== undefined && line !== undefined) {
        notes.push(
          `msg-listen: a's send was answered (the message durable in a's outbox) p50 ${answered.toFixed(2)} ms after the call, the listener's line came p50 ${line.toFixed(2)} ms after it (the message leaves a, and reaches b's listeners, while each box's write runs: ADR 0066); a sample waits for both`,
        );
      }
    } catch (err) {
      listen = { samplesMs: [], skipped: `failed: ${(err as Error).message}` };
    }
    const cold = wanted('msg-ask')
      ? await coldRows(pair, log)
      : { ask: { samplesMs: [] }, termTrue: { samplesMs: [] } };
    return {
      figures: {
        count: BULK_COUNT,
        bodyBytes: BODY_BYTES,
        clawbridge: bulk.clawbridge,
        delivered: bulk.delivered,
        mosquitto: bulk.mosquitto,
        mosquittoWhat: bulk.what,
        listen,
        ask: cold.ask,
        termTrue: cold.termTrue,
      },
      notes,
    };
  } finally {
    await pair.stop();
  }
}
