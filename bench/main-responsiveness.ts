/**
 * `tsx bench/main-responsiveness.ts [--json] [--mib N]`: how responsive the desktop app's main
 * process stays while the agent moves bulk data, with the agent (a) inside that process, as the app
 * had it, or (b) in a child process reached over its control socket, as agent-host.ts runs it
 * (docs/adr/0011-agent-in-a-utility-process.md). Electron cannot run here, so "main" is a Node process
 * doing what main does per window message and per tray rebuild:
 *
 * - IPC round trip: a message to a worker thread and back through a MessageChannel (as a window's
 *   message reaches main and its reply goes back), then a `status` API call (what answering costs);
 * - tray rebuild: from "rebuild now" to the tray's menu model built (tray-menu.ts) from the newest
 *   `status` event;
 * - the event loop's delay (perf_hooks.monitorEventLoopDelay).
 *
 * Each is sampled every SAMPLE_EVERY_MS for IDLE_MS with nothing running, then while a download of
 * `--mib` MiB (1 GiB by default) runs through a TCP forward of agent `a` to a peer `b` over a direct
 * link on loopback AND a terminal on `b` runs `yes` with main as its viewer (it acknowledges output
 * as the window does). Each mode runs in its own process (`--mode`), so garbage-collector state and
 * flags never leak from one into the other. Public tools only: Node, the built CLI for `b`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { controlSocketPath } from '../src-main/home/home-dir.js';
import { NodeState } from '../src-main/state/node-state.js';
import type { ApiHandler, StatusEvent } from '../src-main/api/contract.js';
import { openControlStream } from '../src-main/api/control-client.js';
import { tuneGcForBulkTransfer } from '../src-main/runtime/gc-tuning.js';
import { startAgentHost } from '../src-main/electron/agent-host.js';
import { trayMenuModel } from '../src-main/electron/tray-menu.js';
import { encodeTerminalFrame, TerminalFrameDecoder } from '../src-main/protocol/terminal-frames.js';
import { ACK_STEP } from '../src-main/terminal/sessions/terminal-flow.js';
import { fakeUtilityProcess } from '../test/helpers/fake-electron-utility.js';
import { CLI } from './cli-agents.js';
import { killByPid, launch } from './processes.js';
import { logFailure } from '../src-main/core/background.js';

/** Interval between two samples of each measure, in ms (20 ms: ~50 per second, a busy window's rate). */
const SAMPLE_EVERY_MS = 20;
/** The event-loop monitor's timer period, in ms; its figures include this period. */
const LOOP_RESOLUTION_MS = 1;
/** Sampling with nothing running, in ms. */
const IDLE_MS = 3_000;
/** Longest the loaded phase may take, in ms, whatever the download's speed. */
const LOAD_DEADLINE_MS = 180_000;
/** How long agent `b` may take to start and `a` to see it online, in ms. */
const READY_TIMEOUT_MS = 30_000;

type Mode = 'in-process' | 'child-process';

interface Stats {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

interface PhaseResult {
  ipcMs: Stats;
  trayMs: Stats;
  loopDelayMs: Stats;
}

interface ModeResult {
  mode: Mode;
  idle: PhaseResult;
  load: PhaseResult;
  downloadMiB: number;
  downloadMBps: number;
  terminalMB: number;
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((x, y) => x - y);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? NaN };
}

/** A worker that sends back every message it gets on the port it is given (the "renderer"). */
function echoWorker(): { ping(): Promise<void>; stop(): Promise<number> } {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     workerData.port.on('message', (m) => workerData.port.postMessage(m));`,
    { eval: true, workerData: { port: port2 }, transferList: [port2] },
  );
  let waiting: (() => void) | undefined;
  port1.on('message', () => waiting?.());
  return {
    ping: () =>
      new Promise<void>((resolve) => {
        waiting = resolve;
        port1.postMessage('ping');
      }),
    stop: () => {
      port1.close();
      return worker.terminate();
    },
  };
}

/** What main holds of the agent in either mode. */
interface MainSide {
  api: ApiHandler;
  home: string;
  stop(): Promise<void>;
}

function quietHome(dir: string, name: string): string {
  const home = join(dir, name);
  NodeState.open(home).setOptions({
    name,
    listen: '127.0.0.1:0',
    lan: false,
    ui: { listen: null, allowRemote: false },
  });
  return home;
}

async function startMainSide(mode: Mode, home: string): Promise<MainSide> {
  if (mode === 'in-process') {
    // As main.ts ran it before ADR 0011: the agent in this process, tuned for bulk data (ADR 0007).
    tuneGcForBulkTransfer();
    const { runAgent } = await import('../src-main/app/run-agent.js');
    const running = await runAgent({ home, notice: () => undefined });
    return { api: running.api, home, stop: () => running.stop() };
  }
  const entry = fileURLToPath(new URL('../src-main/electron/agent-process.ts', import.meta.url));
  const host = startAgentHost(fakeUtilityProcess().electron, { home, entry, log: () => undefined });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the agent process did not start')), READY_TIMEOUT_MS);
    const check = () => {
      if (host.hostState().kind !== 'running') return;
      clearTimeout(timer);
      off();
      resolve();
    };
    const off = host.onHostState(check);
    check();
  });
  return { api: host, home, stop: () => host.stop() };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A one-off node program (source server, download client) as a child process. */
function nodeProgram(code: string) {
  return launch(process.execPath, ['-e', code]);
}

async function measureMode(mode: Mode, mib: number): Promise<ModeResult> {
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-main-'));
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const homeA = quietHome(dir, 'a');
    const homeB = quietHome(dir, 'b');
    const b = launch(process.execPath, [CLI, 'agent', '--home', homeB], {
      ...process.env,
      CLAWBRIDGE_LOG: 'warn',
    });
    cleanups.push(() => killByPid(b.proc));
    const [, fpB, listenB] = await b.waitFor(
      /fingerprint ([0-9a-f]{64}), direct (\S+)/,
      READY_TIMEOUT_MS,
      'agent b',
    );
    const main = await startMainSide(mode, homeA);
    cleanups.push(() => main.stop());
    const statusA = await main.api.call('status', {});
    await main.api.call('peers.add', { fingerprint: fpB!, name: 'b', address: listenB! });
    const added = spawn(process.execPath, [
      CLI,
      'peers',
      'add',
      statusA.fingerprint,
      '--name',
      'a',
      '--address',
      statusA.listen!,
      '--home',
      homeB,
    ]);
    await new Promise((r) => added.once('exit', r));
    const online = Date.now() + READY_TIMEOUT_MS;
    while (!(await main.api.call('peers.list', {})).some((p) => p.name === 'b' && p.path === 'direct')) {
      if (Date.now() > online) throw new Error('b did not come online over a direct link');
      await new Promise((r) => setTimeout(r, 200));
    }

    let status: StatusEvent | null = null;
    const offEvents = main.api.onEvent((event, data) => {
      if (event === 'status') status = data as StatusEvent;
    });
    cleanups.push(() => Promise.resolve(offEvents()));
    const echo = echoWorker();
    cleanups.push(() => echo.stop());

    const sample = async (ms: number, until?: Promise<unknown>): Promise<PhaseResult> => {
      const ipc: number[] = [];
      const tray: number[] = [];
      const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
      loop.enable();
      let running = true;
      const stopAt = Date.now() + ms;
      until?.finally(() => (running = false)).catch(logFailure(console, 'the measured run'));
      while (running && Date.now() < stopAt) {
        const t0 = performance.now();
        await echo.ping();
        await main.api.call('status', {});
        ipc.push(performance.now() - t0);
        const t1 = performance.now();
        await new Promise((r) => setImmediate(r));
        trayMenuModel({ host: { kind: 'running' }, agent: status, openAtLogin: false });
        tray.push(performance.now() - t1);
        await new Promise((r) => setTimeout(r, SAMPLE_EVERY_MS));
      }
      loop.disable();
      const ns = (q: number) => loop.percentile(q) / 1e6;
      return {
        ipcMs: stats(ipc),
        trayMs: stats(tray),
        loopDelayMs: { n: loop.count, p50: ns(50), p99: ns(99), max: loop.max / 1e6 },
      };
    };

    const idle = await sample(IDLE_MS);

    // The load: a terminal flood with main as its (acknowledging) viewer, and the download.
    const bytes = mib * 1024 * 1024;
    const source = nodeProgram(
      `let left;require('net').createServer((s)=>{left=${bytes};const b=Buffer.alloc(65536);` +
        `const w=()=>{while(left>0){const n=Math.min(left,b.length);left-=n;` +
        `if(!s.write(n===b.length?b:b.subarray(0,n)))return s.once('drain',w)}s.end()};w()})` +
        `.listen(0,'127.0.0.1',function(){console.log('port '+this.address().port)})`,
    );
    cleanups.push(() => killByPid(source.proc));
    const [, sourcePort] = await source.waitFor(/port (\d+)/, READY_TIMEOUT_MS, 'source server');
    const fwdPort = await freePort();
    await main.api.call('forward.add', {
      local: `127.0.0.1:${fwdPort}`,
      via: 'b',
      remote: `127.0.0.1:${sourcePort}`,
      name: 'bulk',
    });

    const term = await openControlStream(
      controlSocketPath(homeA),
      homeA,
      'terminal.open',
      { peer: 'b', command: ['yes'], cols: 80, rows: 24 },
      true,
    );
    const decoder = new TerminalFrameDecoder();
    let offset = 0;
    let acked = 0;
    let terminalBytes = 0;
    term.channel.onData((chunk) => {
      for (const frame of decoder.push(Buffer.from(chunk))) {
        if (frame.type === 'session') offset = acked = frame.offset;
        if (frame.type !== 'data') continue;
        terminalBytes += frame.data.byteLength;
        offset += frame.data.byteLength;
        if (offset - acked >= ACK_STEP) {
          acked = offset;
          term.channel.write(encodeTerminalFrame({ type: 'ack', offset }));
        }
      }
    });
    term.channel.resume();
    cleanups.push(() => Promise.resolve(term.channel.close()));

    const t0 = performance.now();
    const client = nodeProgram(
      `const s=require('net').connect(${fwdPort},'127.0.0.1');let n=0;s.on('data',(d)=>n+=d.length);` +
        `s.on('close',()=>console.log('bytes '+n))`,
    );
    cleanups.push(() => killByPid(client.proc));
    const downloaded = client.waitFor(/bytes (\d+)/, LOAD_DEADLINE_MS, 'download');
    const load = await sample(LOAD_DEADLINE_MS, downloaded);
    const [, got] = await downloaded;
    const seconds = (performance.now() - t0) / 1000;
    if (Number(got) !== bytes) throw new Error(`the download carried ${got} of ${bytes} bytes`);
    return {
      mode,
      idle,
      load,
      downloadMiB: mib,
      downloadMBps: bytes / 1e6 / seconds,
      terminalMB: terminalBytes / 1e6,
    };
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (s: Stats) => `${s.p50.toFixed(2)} / ${s.p99.toFixed(2)} / ${s.max.toFixed(1)}`;

function report(results: ModeResult[]): string {
  const lines = [
    'agent in | phase | IPC round trip ms p50/p99/max | tray rebuild ms | event-loop delay ms | load',
  ];
  for (const r of results) {
    for (const [phase, p] of [
      ['idle', r.idle],
      ['loaded', r.load],
    ] as const) {
      const load =
        phase === 'idle'
          ? '—'
          : `${r.downloadMiB} MiB at ${r.downloadMBps.toFixed(0)} MB/s, terminal ${r.terminalMB.toFixed(0)} MB`;
      lines.push(
        `${r.mode} | ${phase} | ${fmt(p.ipcMs)} | ${fmt(p.trayMs)} | ${fmt(p.loopDelayMs)} | ${load}`,
      );
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const mibArg = args.indexOf('--mib');
  const mib = mibArg >= 0 ? Number(args[mibArg + 1]) : 1024;
  if (!Number.isInteger(mib) || mib < 1)
    throw new Error(`--mib takes a whole number of MiB, got ${args[mibArg + 1]}`);
  const modeArg = args.indexOf('--mode');
  if (modeArg >= 0) {
    // One mode, in this process: the parent reads the JSON line.
    const mode = args[modeArg + 1];
    if (mode !== 'in-process' && mode !== 'child-process') throw new Error(`unknown --mode ${String(mode)}`);
    process.stdout.write(`${JSON.stringify(await measureMode(mode, mib))}\n`);
    return;
  }
  const results: ModeResult[] = [];
  for (const mode of ['in-process', 'child-process'] as const) {
    process.stderr.write(`measuring with the agent ${mode}…\n`);
    const run = launch(process.execPath, [
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--mode',
      mode,
      '--mib',
      String(mib),
    ]);
    const [line] = await run.waitFor(/^\{.*\}$/m, LOAD_DEADLINE_MS + 120_000, `the ${mode} run`);
    results.push(JSON.parse(line) as ModeResult);
    await killByPid(run.proc);
  }
  process.stdout.write(args.includes('--json') ? `${JSON.stringify(results)}\n` : `${report(results)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`main-responsiveness: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
