/**
 * `npm run bench:packet [-- --profile broadband|long-fat]`: issue 29's emulated-link rows that need
 * no ssh, across a packet-level link (bench/packet-link.ts) instead of the profile sections' TCP
 * proxy — the check of those figures with a different emulator. The kernels' TCP runs end to end, so
 * the host's congestion control acts on the link's one connection as it would between two machines.
 * Rows: 128 MiB downloads with `curl` through raw TCP and a forward over the direct link, in turns;
 * keystroke echo through `clawbridge term b` idle, then while a `curl` download through the forward
 * saturates the same link (CLAWBRIDGE_BENCH_ECHO_KEYS keys, default 200, 100 ms apart). Needs Linux,
 * root, /dev/net/tun, python3 and curl; every process it starts is ended by its PID and both
 * namespaces are deleted.
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { REPO_ROOT } from './child.js';
import { startAgentPair, type AgentPair } from './cli-agents.js';
import { echoKeyCount } from './echo-keys.js';
import { PROFILES, type LinkProfile } from './link-profiles.js';
import {
  CLIENT_ADDRESS,
  packetLinkUnavailable,
  SERVING_ADDRESS,
  startPacketLink,
  type PacketLink,
} from './packet-link.js';
import { formatEcho, mbps, summarizeEcho, type KeySample } from './packet-report.js';
import { killByPid, launch, runToEnd, tail, type Launched } from './processes.js';
import { median } from './table.js';
import { openEchoTerminal, type EchoTerminal } from './terminal-echo.js';

/** Bytes of each timed download (the issue's 128 MiB on the long fat path). */
const DOWNLOAD_BYTES = 128 * 1024 * 1024;
/** Bytes the load under the keys may fetch: more than any run moves before curl's time limit ends it. */
const LOAD_BYTES = 64 * 1024 * 1024 * 1024;
/** Timed downloads per path, in turns. */
const TURNS = 2;
/** Keys of the idle phase and (unless CLAWBRIDGE_BENCH_ECHO_KEYS says otherwise) of the loaded one. */
const IDLE_KEYS = 50;
const LOAD_KEYS = echoKeyCount(process.env.CLAWBRIDGE_BENCH_ECHO_KEYS, 200);
/** Uncounted keys before each phase. */
const WARMUP_KEYS = 5;
/** From the start of one key to the start of the next, in ms (a typist's pace). */
const KEY_GAP_MS = 100;
/** How long the load runs before keys are timed, in ms. */
const LOAD_SETTLE_MS = 3_000;
/** Issue 29's budget for echo under load above the RTT, in ms. */
const ECHO_MARGIN_MS = 30;
/** Port of the timed downloads' forward inside the client namespace (a new namespace: nothing else listens there). */
const FORWARD_PORT = 18080;
/** Port of the forward the load under the keys uses (to the load's own server). */
const LOAD_PORT = 18081;
/** The agents' direct listeners inside their namespaces. */
const AGENT_PORT = 7475;
/** A download or server start that takes longer than this fails the run, in ms. */
const DOWNLOAD_DEADLINE_MS = 120_000;
const SERVER_START_MS = 10_000;

const log = (line: string) => process.stderr.write(`${line}\n`);

function parseArgs(argv: readonly string[]): LinkProfile {
  const i = argv.indexOf('--profile');
  const name = i >= 0 ? argv[i + 1] : 'broadband';
  const found = PROFILES.find((p) => p.name === name && p.name !== 'lan');
  if (!found) throw new Error(`--profile: '${name}' is not one of broadband, long-fat`);
  return found;
}

/** One `curl` download in the client namespace, in bytes/s. */
async function curlBytesPerS(link: PacketLink, url: string): Promise<number> {
  const run = link.wrap(link.client)('curl', [
    '-sS',
    '-o',
    '/dev/null',
    '--max-time',
    String(DOWNLOAD_DEADLINE_MS / 1000),
    '-w',
    '%{size_download} %{speed_download}',
    url,
  ]);
  const out = await runToEnd(run.cmd, run.args, DOWNLOAD_DEADLINE_MS + 5_000, `curl ${url}`);
  const [size, speed] = out.trim().split(' ').map(Number);
  if (size !== DOWNLOAD_BYTES) throw new Error(`curl ${url} got ${size} of ${DOWNLOAD_BYTES} bytes`);
  return speed!;
}

async function typeKeys(term: EchoTerminal, count: number): Promise<KeySample[]> {
  const samples: KeySample[] = [];
  let t0 = 0;
  for (let i = 0; i < WARMUP_KEYS + count; i++) {
    if (i === WARMUP_KEYS) t0 = performance.now();
    const at = performance.now() - t0;
    const ms = await term.key(String.fromCharCode(0x61 + (i % 26)));
    if (i >= WARMUP_KEYS) samples.push({ atMs: at, ms });
    await new Promise((r) => setTimeout(r, Math.max(0, KEY_GAP_MS - ms)));
  }
  return samples;
}

async function main(): Promise<void> {
  const profile = parseArgs(process.argv.slice(2));
  const missing = packetLinkUnavailable();
  if (missing) throw new Error(`bench:packet ${missing}`);
  const { spec, rttMs } = profile;
  const mbit = (spec.down.rateBytesPerS * 8) / 1e6;
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-packet-'));
  let link: PacketLink | undefined;
  let server: Launched | undefined;
  let loadServer: Launched | undefined;
  let pair: AgentPair | undefined;
  let term: EchoTerminal | undefined;
  let load: Launched | undefined;
  try {
    link = await startPacketLink(mbit, rttMs, spec.down.bufferBytes);
    log(
      `packet link ${profile.name}: ${mbit} Mbit/s each way, ${rttMs} ms RTT, ${spec.down.bufferBytes} bytes of bottleneck buffer; TCP congestion control ${link.congestionControl}`,
    );
    const serve = link.wrap(link.serving)('python3', [
      join(REPO_ROOT, 'bench', 'sendfile-server.py'),
      join(dir, 'file'),
      String(DOWNLOAD_BYTES),
      '0.0.0.0',
    ]);
    server = launch(serve.cmd, serve.args);
    const [, port] = await server.waitFor(/listening on (\d+)/, SERVER_START_MS, 'the file server');
    // The load's file is sparse: sendfile(2) of holes costs the server next to nothing.
    const serveLoad = link.wrap(link.serving)('python3', [
      join(REPO_ROOT, 'bench', 'sendfile-server.py'),
      join(dir, 'load'),
      String(LOAD_BYTES),
      '0.0.0.0',
    ]);
    loadServer = launch(serveLoad.cmd, serveLoad.args);
    const [, loadPort] = await loadServer.waitFor(/listening on (\d+)/, SERVER_START_MS, 'the load server');
    pair = await startAgentPair('direct', undefined, {
      wrapA: link.wrap(link.client),
      wrapB: link.wrap(link.serving),
      listen: { a: `${CLIENT_ADDRESS}:${AGENT_PORT}`, b: `${SERVING_ADDRESS}:${AGENT_PORT}` },
    });
    const addForward = (local: number, remote: string) =>
      pair!.onA([
        'forward',
        'add',
        '--local',
        String(local),
        '--via',
        'b',
        '--remote',
        `127.0.0.1:${remote}`,
      ]);
    await addForward(FORWARD_PORT, port!);
    await addForward(LOAD_PORT, loadPort!);
    const urls = { raw: `http://${SERVING_ADDRESS}:${port}/`, forward: `http://127.0.0.1:${FORWARD_PORT}/` };
    const rates: Record<keyof typeof urls, number[]> = { raw: [], forward: [] };
    for (let turn = 1; turn <= TURNS; turn++) {
      for (const name of ['raw', 'forward'] as const) {
        log(`  download ${name} (turn ${turn}/${TURNS})…`);
        rates[name].push(await curlBytesPerS(link, urls[name]));
      }
    }
    term = await openEchoTerminal(pair.homeA);
    log(`  echo idle (${IDLE_KEYS} keys)…`);
    const idle = summarizeEcho(await typeKeys(term, IDLE_KEYS), rttMs + ECHO_MARGIN_MS);
    const loadRun = link.wrap(link.client)('curl', [
      '-sS',
      '-o',
      '/dev/null',
      '--max-time',
      String(Math.ceil((LOAD_SETTLE_MS + LOAD_KEYS * KEY_GAP_MS * 3) / 1000)),
      `http://127.0.0.1:${LOAD_PORT}/`,
    ]);
    log(`  echo while curl downloads through the forward (${LOAD_KEYS} keys)…`);
    load = launch(loadRun.cmd, loadRun.args);
    await new Promise((r) => setTimeout(r, LOAD_SETTLE_MS));
    await link.stats();
    const loaded = summarizeEcho(await typeKeys(term, LOAD_KEYS), rttMs + ECHO_MARGIN_MS);
    const queues = await link.stats();
    const loadAlive = load.proc.exitCode === null;
    const raw = median(rates.raw);
    const forward = median(rates.forward);
    const lines = [
      `packet link ${profile.name} (${mbit} Mbit/s, ${rttMs} ms RTT, ${spec.down.bufferBytes} B buffer), TCP congestion control ${link.congestionControl}`,
      `  download raw TCP        ${mbps(raw)} MB/s (median of ${TURNS} × 128 MiB with curl)`,
      `  download forward-direct ${mbps(forward)} MB/s, ${(forward / raw).toFixed(3)}× raw TCP`,
      `  echo idle               ${formatEcho(idle, rttMs, ECHO_MARGIN_MS)}`,
      `  echo under load         ${formatEcho(loaded, rttMs, ECHO_MARGIN_MS)}`,
      `    meanwhile the load crossed the link at ${mbps(queues.down.bytes / queues.down.seconds)} MB/s of IP packets (headers included: ~3.5 % above what curl counts)`,
      `    bottleneck queue down p50 ${queues.down.waitP50Ms} / p99 ${queues.down.waitP99Ms} / max ${queues.down.waitMaxMs} ms, ${queues.down.drops} drops of ${queues.down.packets} packets${loadAlive ? '' : `; the load ended before the last key (exit ${load.proc.exitCode}: ${tail(load.stderr())})`}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await term?.close().catch(() => undefined);
    await killByPid(load?.proc);
    await pair?.stop();
    await Promise.all([killByPid(server?.proc), killByPid(loadServer?.proc)]);
    await link?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    log(`bench:packet: ${err.message}`);
    process.exit(1);
  },
);
