/**
 * Rows `term-echo-idle` (over the direct link), `term-echo-relay`, `ssh-echo` and `term-echo-load`:
 * keystroke echo the way a person sees it, the same way for each. The client (`clawbridge term b`, or
 * `ssh -tt host`) runs inside a PTY here (node-pty), so it sees a TTY and goes raw as it does for a
 * user; at the far end `cat` runs in a raw, non-echoing PTY (as a shell's line editor sets it), so
 * every key comes back as soon as the remote program read it. One key at a time, timed from the write
 * into our PTY to its echo read back from it; the idle sessions take turns in blocks of keys, so a
 * busy moment of the shared machine reaches all of them. Under load a second session on the same peer
 * prints base64 of random data without pause (bench/term-load-child.ts reads it in another process),
 * started before and stopped right after the measurement. MB/s is null; setup is client start → the
 * remote program's first output, which includes the client's own start-up (and ssh's login).
 */
import { spawn as spawnPty, type IPty } from 'node-pty';
import { startChild } from './child.js';
import { CLI } from './cli-agents.js';
import { withDeadline } from './measure.js';
import { EXIT_GRACE_MS } from './processes.js';
import { percentile, type BenchResult } from './table.js';
import type { LoadProgress } from './term-load-child.js';

/**
 * Keystrokes counted per phase (100: the p99 is the second-worst key; 150 cost the whole bench ~50 s
 * of its 10-minute budget for no change in the ratios).
 */
export const TERM_ECHO_COUNT = 100;
/**
 * Keystrokes sent first and not counted (JIT, buffers): 10 (1 s of typing). The agents' data path is
 * already warm from the downloads before; 20 cost every run ~10 s of its 10-minute budget (issue 29).
 */
export const TERM_ECHO_WARMUP = 10;
/**
 * Pause between keystrokes, in ms: a fast typist's pace (~100 ms), so between two keys the machine
 * does other work, as it does between a person's keys. Keys 10 ms apart keep every process's code and
 * data warm and flattered every contender, us most: on the same machine `term` echo p50 went from
 * 2.3x to 2.6x `ssh -tt`'s at this pace.
 */
export const TERM_KEY_GAP_MS = 100;
/** Upper bound of one phase, in ms (one session's keys take ~17 s); fewer keys count if it runs out. */
export const TERM_PHASE_MAX_MS = 40_000;
/** One echo that takes longer than this (ms) fails the row: the session is stuck, not slow. */
export const TERM_ECHO_DEADLINE_MS = 5_000;
/** How long the CLI may take to open the session and show the remote program's marker, in ms. */
export const TERM_OPEN_TIMEOUT_MS = 20_000;
/** Output the load session must have delivered before the timed keys start, in bytes. */
export const LOAD_WARMUP_BYTES = 2_000_000;
/** How long the load may take to deliver LOAD_WARMUP_BYTES, in ms. */
const LOAD_START_TIMEOUT_MS = 15_000;
/** Keys a session types before the next idle session takes its turn. */
export const TERM_ECHO_BLOCK = 10;
/** Pause between two progress polls of the load, in ms. */
const LOAD_POLL_MS = 100;
/** Hard limit on the load's life, in ms: the load child ends it by itself after this. */
const LOAD_MAX_MS = 60_000;

/** Printed by the remote side once the PTY is raw: from then on the output is only our echoes. */
export const READY_MARKER = 'CB-READY';
/** The remote program's shell line: raw, no echo by the PTY, then `cat` echoes each byte. */
export const ECHO_SHELL_LINE = `stty raw -echo && printf '%s' ${READY_MARKER} && exec cat`;
/** The remote program of the echo session. */
export const ECHO_COMMAND = ['sh', '-c', ECHO_SHELL_LINE];

export interface EchoTerminal {
  /** The terminal it runs in; none for a client driven through pipes (bench/echo-pipes.ts). */
  pty?: IPty;
  setupMs: number;
  /** Sends one key and resolves with the ms until it came back. */
  key(ch: string): Promise<number>;
  close(): Promise<void>;
}

/** Opens `clawbridge term PEER` (of the build at `cli`) on `cat` (ECHO_COMMAND) in a PTY and waits for it. */
export function openEchoTerminal(homeA: string, cli = CLI, peer = 'b'): Promise<EchoTerminal> {
  return openEchoPty(
    process.execPath,
    [cli, 'term', peer, '--home', homeA, '--', ...ECHO_COMMAND],
    `clawbridge term ${peer}`,
  );
}

/** Runs `file args` (a terminal client whose remote program is ECHO_SHELL_LINE) in a PTY and waits for it. */
export function openEchoPty(file: string, args: string[], what: string): Promise<EchoTerminal> {
  const t0 = performance.now();
  const pty = spawnPty(file, args, {
    name: 'xterm-256color',
    cols: 80,
    rows: 24,
    env: { ...process.env, TERM: 'xterm-256color' },
  });
  return echoSession(what, t0, {
    pty,
    write: (ch) => pty.write(ch),
    onData: (listener) => void pty.onData(listener),
    onExit: (listener) =>
      void pty.onExit(({ exitCode, signal }) => listener(signal ? `signal ${signal}` : String(exitCode))),
    kill: (signal) => process.kill(pty.pid, signal),
  });
}

/** A started echo client as echoSession drives it: how to type, what it shows, how it ends. */
export interface EchoIo {
  pty?: IPty;
  write(ch: string): void;
  onData(listener: (text: string) => void): void;
  /** `how`: its exit status or signal, for the message. */
  onExit(listener: (how: string) => void): void;
  kill(signal: NodeJS.Signals): void;
}

/** Waits for READY_MARKER on `io` (started at `t0`), then times keys; ends it on failure or close. */
export async function echoSession(what: string, t0: number, io: EchoIo): Promise<EchoTerminal> {
  let seen = '';
  let exitedWith: string | undefined;
  let waiter: { ch: string; resolve: () => void } | undefined;
  const exited = new Promise<void>((resolve) =>
    io.onExit((how) => {
      exitedWith = `${what} exited (${how}): ${seen.trim().slice(-300)}`;
      resolve();
    }),
  );
  io.onData((d) => {
    seen = (seen + d).slice(-1000);
    if (waiter && seen.includes(waiter.ch)) {
      const w = waiter;
      waiter = undefined;
      w.resolve();
    }
  });
  const until = (ch: string, ms: number, what: string) =>
    withDeadline(
      Promise.race([
        new Promise<void>((resolve) => {
          waiter = { ch, resolve };
          if (seen.includes(ch)) resolve();
        }),
        exited.then(() => Promise.reject(new Error(exitedWith))),
      ]),
      ms,
      what,
    );
  const close = async () => {
    if (exitedWith) return;
    io.kill('SIGTERM');
    const timer = setTimeout(() => !exitedWith && io.kill('SIGKILL'), EXIT_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  try {
    await until(READY_MARKER, TERM_OPEN_TIMEOUT_MS, `${what} (waiting for the remote program)`);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    ...(io.pty ? { pty: io.pty } : {}),
    setupMs: performance.now() - t0,
    key: async (ch) => {
      seen = '';
      const t = performance.now();
      io.write(ch);
      await until(ch, TERM_ECHO_DEADLINE_MS, 'keystroke echo');
      return performance.now() - t;
    },
    close,
  };
}

/** One key typed and timed: letters in turn, so each echo is told apart from a late one of the key before. */
async function typeKey(term: EchoTerminal, i: number): Promise<number> {
  const ms = await term.key(String.fromCharCode(0x61 + (i % 26)));
  await new Promise((r) => setTimeout(r, TERM_KEY_GAP_MS));
  return ms;
}

/** Times TERM_ECHO_COUNT keys (after the warm-up), bounded by TERM_PHASE_MAX_MS. */
async function echoPhase(term: EchoTerminal): Promise<number[]> {
  const samples: number[] = [];
  const end = performance.now() + TERM_PHASE_MAX_MS;
  for (let i = 0; i < TERM_ECHO_WARMUP + TERM_ECHO_COUNT && performance.now() < end; i++) {
    const ms = await typeKey(term, i);
    if (i >= TERM_ECHO_WARMUP) samples.push(ms);
  }
  if (samples.length === 0) throw new Error(`no echo was timed within ${TERM_PHASE_MAX_MS} ms`);
  return samples;
}

/**
 * The idle sessions side by side: each types its warm-up, then they take turns in blocks of
 * TERM_ECHO_BLOCK keys until each has TERM_ECHO_COUNT (bounded by TERM_PHASE_MAX_MS per session).
 * A session that fails keeps its error; the others go on.
 */
async function interleavedEcho(terms: readonly EchoTerminal[]): Promise<Array<number[] | Error>> {
  const out: Array<number[] | Error> = terms.map(() => []);
  const typed = terms.map(() => 0);
  const end = performance.now() + TERM_PHASE_MAX_MS * Math.max(1, terms.length);
  const active = () => terms.map((_, i) => i).filter((i) => Array.isArray(out[i]));
  for (const i of active()) {
    try {
      for (; typed[i]! < TERM_ECHO_WARMUP; typed[i]!++) await typeKey(terms[i]!, typed[i]!);
    } catch (err) {
      out[i] = err as Error;
    }
  }
  while (performance.now() < end) {
    const turn = active().filter((i) => (out[i] as number[]).length < TERM_ECHO_COUNT);
    if (turn.length === 0) break;
    for (const i of turn) {
      try {
        for (let k = 0; k < TERM_ECHO_BLOCK && (out[i] as number[]).length < TERM_ECHO_COUNT; k++) {
          (out[i] as number[]).push(await typeKey(terms[i]!, typed[i]!++));
        }
      } catch (err) {
        out[i] = err as Error;
      }
    }
  }
  return out.map((o) =>
    Array.isArray(o) && o.length === 0 ? new Error(`no echo was timed within the phase`) : o,
  );
}

const echoRow = (name: string, samples: number[], setupMs: number | null): BenchResult => ({
  name,
  MBps: null,
  p50Ms: percentile(samples, 50),
  p99Ms: percentile(samples, 99),
  setupMs,
});

/** A client to time next to the others: its row name and how to open it. */
export interface EchoClient {
  name: string;
  open(): Promise<EchoTerminal>;
}

/**
 * Opens every client, runs their idle phase side by side, then (when `loadHome` is given, the home of
 * the direct pair's `a`) the load phase on the first client with the load session running; never throws.
 */
export async function measureTerminalEcho(
  clients: readonly EchoClient[],
  loadHome: string | null,
  log: (line: string) => void,
): Promise<{ results: BenchResult[]; notes: string[] }> {
  const notes: string[] = [];
  const missing = (name: string, why: string): BenchResult => {
    notes.push(`${name} not available: ${why}`);
    return { name, MBps: null, p50Ms: null, p99Ms: null, setupMs: null };
  };
  const opened: Array<{ client: EchoClient; term: EchoTerminal }> = [];
  const results: BenchResult[] = [];
  for (const client of clients) {
    try {
      opened.push({ client, term: await client.open() });
    } catch (err) {
      results.push(missing(client.name, (err as Error).message));
    }
  }
  try {
    log(`measuring ${opened.map((o) => o.client.name).join(', ')} side by side…`);
    const samples = await interleavedEcho(opened.map((o) => o.term));
    opened.forEach(({ client, term }, i) => {
      const s = samples[i]!;
      results.push(
        s instanceof Error ? missing(client.name, s.message) : echoRow(client.name, s, term.setupMs),
      );
    });
    const first = opened[0];
    if (loadHome === null) return { results, notes };
    if (!first) return { results: [...results, missing('term-echo-load', 'no echo session opened')], notes };
    const term = first.term;
    log('measuring term-echo-load…');
    const loader = startChild('./term-load-child.ts');
    try {
      await loader.request('start', { cli: CLI, home: loadHome, maxMs: LOAD_MAX_MS });
      const deadline = performance.now() + LOAD_START_TIMEOUT_MS;
      let p = await loader.request<LoadProgress>('bytes');
      while (p.bytes < LOAD_WARMUP_BYTES && !p.exited && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, LOAD_POLL_MS));
        p = await loader.request<LoadProgress>('bytes');
      }
      if (p.exited) throw new Error(`the load session ended: ${p.exited}`);
      if (p.bytes < LOAD_WARMUP_BYTES)
        throw new Error(`the load session printed only ${p.bytes} bytes in ${LOAD_START_TIMEOUT_MS} ms`);
      const before = p;
      const samples = await echoPhase(term);
      const still = await loader.request<LoadProgress>('bytes');
      if (still.exited) throw new Error(`the load session ended during the measurement: ${still.exited}`);
      const after = await loader.request<LoadProgress>('stop');
      const mbps = (after.bytes - before.bytes) / 1e6 / ((after.ms - before.ms) / 1000);
      notes.push(
        `term-echo-load: the other session printed ${mbps.toFixed(1)} MB/s of base64 on the same peer meanwhile (${TERM_ECHO_COUNT} keys ${TERM_KEY_GAP_MS} ms apart per phase)`,
      );
      results.push(echoRow('term-echo-load', samples, null));
    } catch (err) {
      results.push(missing('term-echo-load', (err as Error).message));
    } finally {
      await loader.stop();
    }
  } finally {
    await Promise.all(opened.map(({ term }) => term.close()));
  }
  return { results, notes };
}
