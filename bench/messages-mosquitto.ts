/**
 * The anchor of the `msg-10k` row (issue 83): mosquitto 2.0 with its own C clients, as a person who
 * picks it instead runs them — a broker with `persistence false` on a free loopback port (a config file
 * of our own in a temp folder, never the system service), `mosquitto_sub -q 1 -C N` and
 * `mosquitto_pub -q 1 -l` reading N lines from a file. A turn is timed from the publisher's spawn until
 * both exited: the subscriber once it printed N messages, the publisher once every PUBACK came.
 *
 * The subscriber must be subscribed before the publisher starts, and mosquitto_sub says nothing when
 * it is: a retained message published first on the turn's topic is delivered to it at once on its
 * SUBACK, so its first line says it is ready (it runs with `-C N+1` for that one line). Every process
 * is ended by its PID; every wait is bounded.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { withDeadline } from './measure.js';
import { endOnAbort, killByPid, launch, runToEnd, tail, which } from './processes.js';

/** How long mosquitto may take to say it runs, in ms. */
const MOSQUITTO_START_MS = 10_000;
/** How long the subscriber may take to show it is subscribed, in ms. */
const SUBSCRIBED_MS = 10_000;
/** The line of the retained message that tells the subscriber is subscribed. */
const READY_LINE = 'cb-bench-ready';

export interface Broker {
  port: number;
  /** The broker's PID, for its CPU time. */
  pid: number;
  version: string;
  /** The folder of its config, where a turn may leave its input file. */
  dir: string;
  stop(): Promise<void>;
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

/** Why the C clients cannot run here (not installed), or undefined when both are on the PATH. */
export function clientsMissing(): string | undefined {
  const missing = ['mosquitto_pub', 'mosquitto_sub'].filter((c) => which(c) === undefined);
  return missing.length > 0
    ? `${missing.join(' and ')} not installed (Debian: mosquitto-clients)`
    : undefined;
}

/** Starts mosquitto with persistence off on a free loopback port; null when it is not installed. */
export async function startMosquitto(): Promise<Broker | null> {
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
      'persistence false',
      // Run as whoever runs the bench: as root mosquitto would switch to its own user.
      `user ${userInfo().username}`,
      'log_dest stdout',
      'log_type error',
      'log_type warning',
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
    return { port, pid: proc.proc.pid!, version, dir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * One turn through the C clients: `count` lines of `body(i)` published at QoS 1 by `mosquitto_pub -l`
 * to a `mosquitto_sub -q 1` subscribed before it started. Resolves with the ms from the publisher's
 * spawn until both exited, once the subscriber printed every line in order; rejects otherwise.
 */
export async function mosquittoTurn(
  broker: Broker,
  turn: number,
  count: number,
  body: (i: number) => string,
  maxMs: number,
): Promise<number> {
  const topic = `bench/${turn}`;
  const input = join(broker.dir, `lines-${turn}`);
  writeFileSync(input, Array.from({ length: count }, (_, i) => `${body(i)}\n`).join(''));
  const at = ['-h', '127.0.0.1', '-p', String(broker.port), '-q', '1', '-t', topic];
  await runToEnd('mosquitto_pub', [...at, '-r', '-m', READY_LINE], SUBSCRIBED_MS, 'mosquitto_pub -r');
  const sub = spawn('mosquitto_sub', [...at, '-C', String(count + 1)], { stdio: ['ignore', 'pipe', 'pipe'] });
  endOnAbort(sub);
  let stderr = '';
  sub.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-2000)));
  const subExited = new Promise<number | null>((resolve) => sub.once('exit', (code) => resolve(code)));
  let ready!: () => void;
  const subscribed = new Promise<void>((resolve) => (ready = resolve));
  let lines = 0;
  let outOfOrder: string | undefined;
  createInterface({ input: sub.stdout }).on('line', (line) => {
    if (lines === 0 && line === READY_LINE) {
      ready();
      return;
    }
    if (line !== body(lines)) outOfOrder ??= `line ${lines + 1} was ${JSON.stringify(line.slice(0, 12))}…`;
    lines++;
  });
  let pubPid: ReturnType<typeof spawn> | undefined;
  try {
    await withDeadline(
      Promise.race([
        subscribed,
        subExited.then(() => Promise.reject(new Error(`mosquitto_sub exited: ${stderr}`))),
      ]),
      SUBSCRIBED_MS,
      'mosquitto_sub subscribing',
    );
    const fd = openSync(input, 'r');
    const t0 = performance.now();
    const pub = spawn('mosquitto_pub', [...at, '-l'], { stdio: [fd, 'ignore', 'pipe'] });
    pubPid = pub;
    closeSync(fd);
    endOnAbort(pub);
    const pubExited = new Promise<number | null>((resolve) => pub.once('exit', (code) => resolve(code)));
    const [subCode, pubCode] = await withDeadline(
      Promise.all([subExited, pubExited]),
      maxMs,
      `mosquitto turn (${lines} received)`,
    );
    const ms = performance.now() - t0;
    if (pubCode !== 0 || subCode !== 0) {
      throw new Error(`mosquitto_pub exited ${pubCode}, mosquitto_sub ${subCode}: ${tail(stderr)}`);
    }
    if (lines !== count || outOfOrder !== undefined) {
      throw new Error(`mosquitto_sub printed ${lines} of ${count}${outOfOrder ? `; ${outOfOrder}` : ''}`);
    }
    return ms;
  } finally {
    await killByPid(pubPid);
    await killByPid(sub);
    rmSync(input, { force: true });
  }
}
