/**
 * `npm run bench:packet [-- --profile broadband|long-fat]`: issue 29's emulated-link rows of
 * throughput and echo, across a packet-level link (bench/packet-link.ts) instead of the profile sections' TCP
 * proxy — the check of those figures with a different emulator. The kernels' TCP runs end to end, so
 * the host's congestion control acts on the link's one connection as it would between two machines.
 * Rows: 128 MiB downloads with `curl` through raw TCP, a forward over the direct link and `ssh -L`, in
 * turns; keystroke echo through `clawbridge term b` idle, then while a `curl` download through a
 * forward saturates the same link (CLAWBRIDGE_BENCH_ECHO_KEYS keys, default 200, 100 ms apart), and the
 * same through `ssh -tt` on the ControlMaster connection that carries the download. Needs Linux, root,
 * /dev/net/tun, python3 and curl (and OpenSSH for its rows); every process it starts is ended by its
 * PID and both namespaces are deleted.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { REPO_ROOT } from './child.js';
import { addForward } from './agent-paths.js';
import { startAgentPair, type AgentPair } from './cli-agents.js';
import { echoKeyCount } from './echo-keys.js';
import { parseProfile, PROFILES, type LinkProfile } from './link-profiles.js';
import {
  acceptsIn,
  CLIENT_ADDRESS,
  packetLinkUnavailable,
  SERVING_ADDRESS,
  startPacketLink,
  type PacketLink,
  type QueueStats,
} from './packet-link.js';
import { formatEcho, mbps, summarizeEcho, type EchoSummary, type KeySample } from './packet-report.js';
import { killByPid, launch, runToEnd, tail, type Launched } from './processes.js';
import { median } from './table.js';
import { startSshForward, type SshForward } from './ssh.js';
import { ECHO_SHELL_LINE, openEchoPty, openEchoTerminal, type EchoTerminal } from './terminal-echo.js';

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
/** Port of the second -L on ssh's ControlMaster connection, for the load under ssh's keys (a new namespace: free). */
const SSH_LOAD_PORT = 18082;
/** The agents' direct listeners inside their namespaces. */
const AGENT_PORT = 7475;
/** A download or server start that takes longer than this fails the run, in ms. */
const DOWNLOAD_DEADLINE_MS = 120_000;
const SERVER_START_MS = 10_000;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** `--profile broadband|long-fat` (parseProfile's flag); broadband without it. */
function profileOf(argv: readonly string[]): LinkProfile {
  const profile = parseProfile(argv) ?? PROFILES.find((p) => p.name === 'broadband')!;
  // On `lan` the Python emulator, not the link, would be the bottleneck (1 Gbit/s of 1500-byte packets).
  if (profile.name === 'lan')
    throw new Error("--profile: bench:packet runs 'broadband' or 'long-fat', not 'lan'");
  return profile;
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

interface EchoRows {
  idle: EchoSummary;
  loaded: EchoSummary;
  queues: { up: QueueStats; down: QueueStats };
  /** Why the load stopped before the last key, if it did. */
  loadEnded?: string;
}

/** Keys idle, then while `curl` downloads `loadUrl` in the client namespace. */
async function echoRows(
  link: PacketLink,
  term: EchoTerminal,
  loadUrl: string,
  rttMs: number,
): Promise<EchoRows> {
  const bound = rttMs + ECHO_MARGIN_MS;
  const idle = summarizeEcho(await typeKeys(term, IDLE_KEYS), bound);
  const run = link.wrap(link.client)('curl', [
    '-sS',
    '-o',
    '/dev/null',
    '--max-time',
    String(Math.ceil((LOAD_SETTLE_MS + LOAD_KEYS * KEY_GAP_MS * 3) / 1000)),
    loadUrl,
  ]);
  const load = launch(run.cmd, run.args);
  try {
    await new Promise((r) => setTimeout(r, LOAD_SETTLE_MS));
    await link.stats();
    const loaded = summarizeEcho(await typeKeys(term, LOAD_KEYS), bound);
    const queues = await link.stats();
    const ended = load.proc.exitCode !== null;
    return {
      idle,
      loaded,
      queues,
      ...(ended ? { loadEnded: `exit ${load.proc.exitCode}: ${tail(load.stderr())}` } : {}),
    };
  } finally {
    await killByPid(load.proc);
  }
}

function echoLines(name: string, rows: EchoRows, rttMs: number): string[] {
  const { down } = rows.queues;
  return [
    `  echo idle ${name.padEnd(14)}${formatEcho(rows.idle, rttMs, ECHO_MARGIN_MS)}`,
    `  echo load ${name.padEnd(14)}${formatEcho(rows.loaded, rttMs, ECHO_MARGIN_MS)}`,
    `    meanwhile the load crossed the link at ${mbps(down.bytes / down.seconds)} MB/s of IP packets (headers included: ~3.5 % above what curl counts); bottleneck queue down p50 ${down.waitP50Ms} / p99 ${down.waitP99Ms} / max ${down.waitMaxMs} ms, ${down.drops} drops of ${down.packets} packets${rows.loadEnded ? `; the load ended before the last key (${rows.loadEnded})` : ''}`,
  ];
}

/** A `sendfile` server in the serving namespace with a sparse file of `bytes`; resolves with its port. */
async function fileServer(
  link: PacketLink,
  path: string,
  bytes: number,
  started: Launched[],
): Promise<number> {
  const run = link.wrap(link.serving)('python3', [
    join(REPO_ROOT, 'bench', 'sendfile-server.py'),
    path,
    String(bytes),
    '0.0.0.0',
  ]);
  const server = launch(run.cmd, run.args);
  started.push(server);
  const [, port] = await server.waitFor(/listening on (\d+)/, SERVER_START_MS, 'the file server');
  return Number(port);
}

async function main(): Promise<void> {
  const profile = profileOf(process.argv.slice(2));
  const missing = packetLinkUnavailable();
  if (missing) throw new Error(`bench:packet ${missing}`);
  const { spec, rttMs } = profile;
  const mbit = (spec.down.rateBytesPerS * 8) / 1e6;
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-packet-'));
  const started: Launched[] = [];
  let link: PacketLink | undefined;
  let pair: AgentPair | undefined;
  let ssh: SshForward | undefined;
  let term: EchoTerminal | undefined;
  try {
    link = await startPacketLink(mbit, rttMs, spec.down.bufferBytes);
    const packetLink = link;
    log(
      `packet link ${profile.name}: ${mbit} Mbit/s each way, ${rttMs} ms RTT, ${spec.down.bufferBytes} bytes of bottleneck buffer; TCP congestion control ${link.congestionControl}`,
    );
    const port = await fileServer(link, join(dir, 'file'), DOWNLOAD_BYTES, started);
    // The load's file is sparse: sendfile(2) of holes costs the server next to nothing.
    const loadPort = await fileServer(link, join(dir, 'load'), LOAD_BYTES, started);
    pair = await startAgentPair('direct', undefined, {
      wrapA: link.wrap(link.client),
      wrapB: link.wrap(link.serving),
      listen: { a: `${CLIENT_ADDRESS}:${AGENT_PORT}`, b: `${SERVING_ADDRESS}:${AGENT_PORT}` },
    });
    const forwardPort = await addForward(pair, port);
    const loadForwardPort = await addForward(pair, loadPort);
    ssh = await startSshForward(port, log, {
      probe: false,
      master: true,
      host: SERVING_ADDRESS,
      wrapDaemon: link.wrap(link.serving),
      wrapClient: link.wrap(link.client),
      reach: async (sshPort) => {
        const deadline = performance.now() + SERVER_START_MS;
        while (!acceptsIn(packetLink.client, SERVING_ADDRESS, sshPort)) {
          if (performance.now() > deadline)
            throw new Error(`sshd did not accept within ${SERVER_START_MS} ms`);
          await new Promise((r) => setTimeout(r, 100));
        }
        return sshPort;
      },
    });
    const sshReady = ssh.ports !== null && ssh.control !== null && ssh.command !== null;
    if (sshReady) {
      // The load of ssh's echo row goes through the ControlMaster connection that carries -L.
      const r = spawnSync(
        'ssh',
        ['-S', ssh.control!, '-O', 'forward', '-L', `127.0.0.1:${SSH_LOAD_PORT}:127.0.0.1:${loadPort}`, 'x'],
        { encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(`ssh -O forward failed: ${r.stderr.trim()}`);
    }
    const urls: Record<string, string> = {
      'raw TCP': `http://${SERVING_ADDRESS}:${port}/`,
      'forward-direct': `http://127.0.0.1:${forwardPort}/`,
      ...(sshReady ? { 'ssh -L': `http://127.0.0.1:${ssh.ports!.forward}/` } : {}),
    };
    const rates = new Map<string, number[]>(Object.keys(urls).map((name) => [name, []]));
    for (let turn = 1; turn <= TURNS; turn++) {
      for (const [name, url] of Object.entries(urls)) {
        log(`  download ${name} (turn ${turn}/${TURNS})…`);
        rates.get(name)!.push(await curlBytesPerS(link, url));
      }
    }
    log(
      `  echo through clawbridge term, idle (${IDLE_KEYS} keys), then with a download on the same link (${LOAD_KEYS} keys)…`,
    );
    term = await openEchoTerminal(pair.homeA);
    const termRows = await echoRows(link, term, `http://127.0.0.1:${loadForwardPort}/`, rttMs);
    await term.close();
    term = undefined;
    let sshRows: EchoRows | undefined;
    if (sshReady) {
      log(`  echo through ssh -tt on the ControlMaster, idle, then with a download on the same connection…`);
      const { file, args } = ssh.command!(ECHO_SHELL_LINE, true);
      term = await openEchoPty(file, args, 'ssh -tt');
      sshRows = await echoRows(link, term, `http://127.0.0.1:${SSH_LOAD_PORT}/`, rttMs);
    }
    const raw = median(rates.get('raw TCP')!);
    const lines = [
      `packet link ${profile.name} (${mbit} Mbit/s, ${rttMs} ms RTT, ${spec.down.bufferBytes} B buffer), TCP congestion control ${link.congestionControl}`,
      ...[...rates].map(([name, r]) => {
        const rate = median(r);
        const ratio =
          name === 'raw TCP'
            ? `median of ${TURNS} × 128 MiB with curl`
            : `${(rate / raw).toFixed(3)}× raw TCP`;
        return `  download ${name.padEnd(15)}${mbps(rate)} MB/s (${ratio})`;
      }),
      ...(rates.has('ssh -L')
        ? [
            `  forward-direct / ssh -L ${(median(rates.get('forward-direct')!) / median(rates.get('ssh -L')!)).toFixed(2)}×`,
          ]
        : []),
      ...echoLines('term', termRows, rttMs),
      ...(sshRows ? echoLines('ssh -tt', sshRows, rttMs) : ssh.notes.map((n) => `  ${n}`)),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await term?.close().catch(() => undefined);
    await ssh?.stop();
    await pair?.stop();
    await Promise.all(started.map((p) => killByPid(p.proc)));
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
