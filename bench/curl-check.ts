/**
 * `npm run bench:curl [-- ROUNDS]`: the bulk comparison with the tools a person uses instead of the
 * bench's own client and sink. `curl` downloads 1 GiB over HTTP from a server that sends with
 * sendfile(2) (bench/sendfile-server.py, python3) through `ssh -L` (bench/ssh.ts), a clawbridge TCP
 * forward over a direct link and one over the relay (bench/cli-agents.ts); the three take turns ROUNDS
 * times (default 5) after one uncounted download each, and the medians and ratios are printed. All on
 * 127.0.0.1; every process it starts is ended by its PID.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addForward } from './agent-paths.js';
import { REPO_ROOT } from './child.js';
import { startAgentPair, type AgentPair } from './cli-agents.js';
import { formatCurlReport, type CurlRuns } from './curl-report.js';
import { killByPid, launch, runToEnd, which, type Launched } from './processes.js';
import { startSshForward } from './ssh.js';
import { LONG_BYTES, LONG_DEADLINE_MS } from './transfers.js';

/** Rounds when none is given. */
const DEFAULT_ROUNDS = 5;
/** How long the HTTP server may take to say its port, in ms. */
const SERVER_START_MS = 10_000;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** One download of the server's file through 127.0.0.1:`port`, in MB/s (10^6 bytes per second). */
async function curlMBps(port: number): Promise<number> {
  const out = await runToEnd(
    'curl',
    [
      '-sS',
      '-o',
      '/dev/null',
      '--max-time',
      String(LONG_DEADLINE_MS / 1000),
      '-w',
      '%{size_download} %{speed_download}',
      `http://127.0.0.1:${port}/`,
    ],
    LONG_DEADLINE_MS + 5_000,
    `curl through port ${port}`,
  );
  const [size, speed] = out.trim().split(' ').map(Number);
  if (size !== LONG_BYTES) throw new Error(`curl through port ${port} got ${size} of ${LONG_BYTES} bytes`);
  return speed! / 1e6;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? DEFAULT_ROUNDS);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50)
    throw new Error(`ROUNDS must be a whole number from 1 to 50, got ${process.argv[2]}`);
  const missing = ['curl', 'python3'].filter((cmd) => !which(cmd));
  if (missing.length > 0) throw new Error(`bench:curl needs ${missing.join(' and ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-curl-'));
  const stops: Array<() => Promise<void>> = [
    () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  ];
  try {
    const server: Launched = launch('python3', [
      join(REPO_ROOT, 'bench', 'sendfile-server.py'),
      join(dir, 'file'),
      String(LONG_BYTES),
    ]);
    stops.unshift(() => killByPid(server.proc));
    const [, port] = await server.waitFor(/listening on (\d+)/, SERVER_START_MS, 'the HTTP server');
    const httpPort = Number(port);
    log('starting sshd and ssh -L…');
    const ssh = await startSshForward(httpPort, log, { probe: false });
    stops.unshift(() => ssh.stop());
    if (!ssh.ports) throw new Error(ssh.notes.join('; '));
    const paths: { name: string; port: number }[] = [{ name: 'ssh-L', port: ssh.ports.forward }];
    for (const mode of ['direct', 'relay'] as const) {
      log(`starting two clawbridge agents (${mode})…`);
      const pair: AgentPair = await startAgentPair(mode);
      stops.unshift(() => pair.stop());
      paths.push({ name: `forward-${mode}`, port: await addForward(pair, httpPort) });
    }
    for (const p of paths) await curlMBps(p.port); // warm-up: JIT, windows
    const runs: CurlRuns[] = paths.map((p) => ({ name: p.name, MBps: [] }));
    for (let round = 1; round <= rounds; round++) {
      for (const [i, p] of paths.entries()) (runs[i]!.MBps as number[]).push(await curlMBps(p.port));
      log(
        `round ${round}/${rounds}: ${runs.map((r) => `${r.name} ${r.MBps.at(-1)!.toFixed(0)}`).join(', ')} MB/s`,
      );
    }
    console.log(formatCurlReport(runs, LONG_BYTES, rounds).join('\n'));
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
  }
}

main().catch((err: Error) => {
  console.error(`bench:curl: ${err.message}`);
  process.exitCode = 1;
});
