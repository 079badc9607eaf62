/**
 * The messages section of `npm run bench` (issue 54 item 6), measured in one run on 127.0.0.1 with a
 * pair of real agents over direct (bench/cli-agents.ts) and, beside them, a local `mosquitto`:
 * - `msg-10k` and `mqtt-10k`, in alternating turns: 10,000 messages of 200 bytes a → b, all sent at
 *   once through the client library (`clawbridge/client`, as a program pipelines them: the library
 *   carries one tick's sends in `messages.sendMany` requests of up to 1,000), timed until b's
 *   listener had every one and a saw every `delivered`; and the same through mosquitto (started here
 *   with `persistence true` in a temp folder, ended by its PID) with the `mqtt` package at QoS 1,
 *   timed until every PUBACK came and a subscriber had every one. Without mosquitto on the PATH the
 *   row says so and the rest runs;
 * - `msg-listen`: one message at a time from a's client library to a `msg listen --json` process on b
 *   (as a person's script reads it), from the send to the line on its stdout;
 * - `msg-ask` and `term-true`: cold CLI processes in turns, `msg ask b TEXT` against a `msg serve
 *   --topic T -- cat` process on b, and `term b -- true`.
 * Every loop is bounded in count and time; every process is ended by its PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connectAgent, type AgentClient } from '../src-main/messages/client/agent-client.js';
import { CLI, startAgentPair, type AgentPair } from './cli-agents.js';
import { withDeadline } from './measure.js';
import type { MessagesFigures, RateFigures, TimeFigures } from './messages-report.js';
import { endOnAbort, killByPid, launch, runToEnd, tail, which, type Launched } from './processes.js';

/** Messages per throughput turn, and their body size in bytes (issue 54 item 6). */
export const BULK_COUNT = 10_000;
export const BODY_BYTES = 200;
/** Turns of each throughput row, alternating (the median is judged). */
export const BULK_TURNS = 2;
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
/** How long mosquitto may take to say it runs, in ms. */
const MOSQUITTO_START_MS = 10_000;

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

/** Whether 127.0.0.1:port takes a TCP connection. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** A free TCP port on 127.0.0.1 (mosquitto takes no port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Broker {
  url: string;
  version: string;
  stop(): Promise<void>;
}

/**
 * The mosquitto to run: CLAWBRIDGE_BENCH_MOSQUITTO when set (a path; empty or missing: none), else
 * the one on the PATH or in /usr/sbin (Debian's package puts it there, often off a user's PATH).
 */
export function mosquittoBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = env.CLAWBRIDGE_BENCH_MOSQUITTO;
  if (given !== undefined) return given !== '' && existsSync(given) ? given : undefined;
  return (
    which('mosquitto') ?? ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto'].find((p) => existsSync(p))
  );
}

/** Starts mosquitto with persistence on, in a temp folder; null when it is not installed. */
async function startMosquitto(): Promise<Broker | null> {
  const bin = mosquittoBinary();
  if (bin === undefined) return null;
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${dir}/`,
      // Run as whoever runs the bench: as root mosquitto would switch to its own user, who cannot write here.
      `user ${userInfo().username}`,
      'log_dest stdout',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'max_queued_messages 100000',
      '',
    ].join('\n'),
  );
  const proc = launch(bin, ['-c', conf]);
  const stop = async () => {
    await killByPid(proc.proc);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Its log is block-buffered into a pipe: ready once its port takes a connection.
    const deadline = performance.now() + MOSQUITTO_START_MS;
    while (!(await accepts(port))) {
      if (proc.proc.exitCode !== null || performance.now() > deadline) {
        throw new Error(`mosquitto did not listen within ${MOSQUITTO_START_MS} ms: ${tail(proc.stderr())}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const version =
      /mosquitto version (\S+)/.exec(spawnSync(bin, ['-h'], { encoding: 'utf8' }).stdout)?.[1] ?? '?';
    return { url: `mqtt://127.0.0.1:${port}`, version, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One mosquitto turn: messages/s from the first publish to the last PUBACK and the last one received. */
async function mqttTurn(url: string, turn: number, count: number): Promise<number> {
  const mqtt = await import('mqtt');
  const topic = `bench/${turn}`;
  const sub = await mqtt.connectAsync(url, {
    clientId: `cb-bench-sub-${turn}`,
    clean: true,
    reconnectPeriod: 0,
  });
  const pub = await mqtt.connectAsync(url, {
    clientId: `cb-bench-pub-${turn}`,
    clean: true,
    reconnectPeriod: 0,
  });
  try {
    await sub.subscribeAsync(topic, { qos: 1 });
    let received = 0;
    const all = new Promise<void>((resolve) =>
      sub.on('message', () => {
        if (++received === count) resolve();
      }),
    );
    const t0 = performance.now();
    const acked = Promise.all(
      Array.from({ length: count }, (_, i) => pub.publishAsync(topic, body(i), { qos: 1 })),
    );
    await withDeadline(Promise.all([acked, all]), BULK_TURN_MAX_MS, `mosquitto turn (${received} received)`);
    return count / ((performance.now() - t0) / 1000);
  } finally {
    await Promise.all([pub.endAsync(true), sub.endAsync(true)]).catch(() => undefined);
  }
}

/** One Clawbridge turn: messages/s from the first send to the last delivered and the last one listened. */
async function clawbridgeTurn(
  a: AgentClient,
  b: AgentClient,
  turn: number,
  count: number,
  onPhases: (ms: Record<string, number>) => void,
): Promise<number> {
  const topic = `bulk-${turn}`;
  const got: string[] = [];
  let t0 = performance.now();
  let resolveAll!: () => void;
  const all = new Promise<void>((resolve) => (resolveAll = resolve));
  const phases: Record<string, number> = {};
  const listening = b.listen({ topic }, (m) => {
    got.push(m.id);
    if (got.length === count) {
      phases.listened = performance.now() - t0;
      resolveAll();
    }
  });
  await listening.ready;
  a.followEvents();
  t0 = performance.now();
  try {
    const run = async () => {
      const sent = await Promise.all(
        Array.from({ length: count }, (_, i) => a.send('b', body(i), { topic })),
      );
      phases.queued = performance.now() - t0;
      await a.waitFor(
        sent.map((m) => m.id),
        'delivered',
        BULK_TURN_MAX_MS,
      );
      phases.delivered = performance.now() - t0;
      return sent.map((m) => m.id);
    };
    const [ids] = await withDeadline(
      Promise.all([run(), all]),
      BULK_TURN_MAX_MS,
      `clawbridge turn (${got.length} listened)`,
    );
    const seconds = (performance.now() - t0) / 1000;
    onPhases(phases);
    // Both boxes emptied for the next turn (the inbox holds 10,000 per peer; the outbox as many pending).
    await listening.stop();
    for (let i = 0; i < ids.length; i += 1_000) {
      const chunk = ids.slice(i, i + 1_000);
      await Promise.all([a.delete(chunk), b.delete(chunk)]);
    }
    return count / seconds;
  } finally {
    await listening.stop();
  }
}

/** Alternating turns of both throughput rows. */
export async function bulkRows(
  pair: AgentPair,
  log: (line: string) => void,
  notes: string[],
): Promise<{ clawbridge: RateFigures; delivered: RateFigures; mosquitto: RateFigures; what: string }> {
  const mqttVersion = (await import('mqtt/package.json', { with: { type: 'json' } })).default.version;
  const clawbridge: number[] = [];
  const mosquitto: number[] = [];
  const phases: string[] = [];
  let what = `mosquitto (mqtt ${mqttVersion})`;
  let broker: Broker | null = null;
  let mosquittoSkipped: string | undefined;
  try {
    broker = await startMosquitto();
    if (broker === null) mosquittoSkipped = 'mosquitto not installed';
    else what = `mosquitto ${broker.version} (mqtt ${mqttVersion})`;
  } catch (err) {
    mosquittoSkipped = `mosquitto did not start: ${(err as Error).message}`;
  }
  const [a, b] = await Promise.all([connectAgent({ home: pair.homeA }), connectAgent({ home: pair.homeB })]);
  let clawbridgeFailed: string | undefined;
  const delivered: number[] = [];
  try {
    // Turn 0 is the uncounted warm-up of both (BULK_WARMUP_COUNT messages).
    for (let turn = 0; turn <= BULK_TURNS; turn++) {
      const count = turn === 0 ? BULK_WARMUP_COUNT : BULK_COUNT;
      const label = turn === 0 ? `warm-up (${BULK_WARMUP_COUNT})` : `turn ${turn}`;
      if (broker && mosquittoSkipped === undefined) {
        log(`  mqtt-10k ${label}…`);
        try {
          const perS = await mqttTurn(broker.url, turn, count);
          if (turn > 0) mosquitto.push(perS);
        } catch (err) {
          mosquittoSkipped = `failed: ${(err as Error).message}`;
        }
      }
      if (clawbridgeFailed === undefined) {
        log(`  msg-10k ${label}…`);
        try {
          let phase: Record<string, number> = {};
          const perS = await clawbridgeTurn(a, b, turn, count, (ms) => (phase = ms));
          if (turn === 0) continue;
          clawbridge.push(perS);
          if (phase.delivered !== undefined) delivered.push(count / (phase.delivered / 1000));
          phases.push(
            Object.entries(phase)
              .sort(([, x], [, y]) => x - y)
              .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)} s`)
              .join(', '),
          );
        } catch (err) {
          clawbridgeFailed = `failed: ${(err as Error).message}`;
        }
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
      `msg-10k turns, from the first send: all sends answered (queued), a saw every delivered, b's listener had all: ${phases.map((p) => `(${p})`).join('; ')}`,
    );
  }
  const rate = (perS: number[], failed: string | undefined): RateFigures =>
    failed && perS.length === 0 ? { perS: [], skipped: failed } : { perS };
  return {
    clawbridge: rate(clawbridge, clawbridgeFailed),
    delivered: rate(delivered, clawbridgeFailed),
    mosquitto: rate(mosquitto, mosquittoSkipped),
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
