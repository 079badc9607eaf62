/**
 * The share section of `npm run bench` (issue 55 item 4, `--only share`): one 1 GiB file downloaded with
 * curl through a peer's listener, from a share (`clawbridge share`: the file server answers the reverse
 * forward's streams in the agent itself) and from `python3 -m http.server` behind a reverse forward
 * (`forward add --reverse`, as a person publishes a folder today), side by side in one run. A real agent
 * pair over direct on 127.0.0.1 (bench/cli-agents.ts), with the roles of the reverse row: b serves the
 * folder, a listens, curl downloads from a's port. The two take turns (an uncounted 64 MiB download
 * each first); the medians and their ratio are judged against TARGET_SHARE_OVER_HTTP_SERVER. Every
 * process is ended by its PID, the file and homes removed.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentPair } from './cli-agents.js';
import { killByPid, launch, runToEnd, which, type Launched } from './processes.js';

/** The file's size (1 GiB, issue 55 item 4). */
export const SHARE_BYTES = 1024 * 1024 * 1024;
/**
 * Counted downloads of each, in turns (after one uncounted warm-up each): three, so the section adds
 * about 6 GiB of downloads, ~30 s on an idle machine, to a full run.
 */
export const SHARE_TURNS = 3;
/** The uncounted first download of each (64 MiB, a file of its own: http.server ignores Range). */
export const SHARE_WARMUP_BYTES = 64 * 1024 * 1024;
/** The line: a share's download at least this share of python's http.server's behind a reverse forward. */
export const TARGET_SHARE_OVER_HTTP_SERVER = 0.9;
/** Longest one download may take, in ms. */
const DOWNLOAD_MAX_MS = 300_000;
/** How long http.server may take to say its port, in ms. */
const SERVER_START_MS = 10_000;

export interface ShareFigures {
  /** MB/s (10^6 bytes/s) of each counted download, in the order measured. */
  share: number[];
  httpServer: number[];
}

const median = (xs: readonly number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

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

/** A file of `bytes` that is not all zeros (16 MiB of random bytes, repeated). */
function writeFile(path: string, bytes: number): void {
  const block = randomBytes(16 * 1024 * 1024);
  const fd = openSync(path, 'w');
  try {
    for (let left = bytes; left > 0; left -= block.length)
      writeSync(fd, block, 0, Math.min(left, block.length));
  } finally {
    closeSync(fd);
  }
}

/** One download of `url` with curl, in MB/s; all `bytes` of it or it throws. */
async function curlMBps(url: string, bytes = SHARE_BYTES): Promise<number> {
  const out = await runToEnd(
    'curl',
    [
      '-sS',
      '-o',
      '/dev/null',
      '--max-time',
      String(DOWNLOAD_MAX_MS / 1000),
      '-w',
      '%{size_download} %{speed_download}',
      url,
    ],
    DOWNLOAD_MAX_MS + 5_000,
    `curl ${url}`,
  );
  const [size, speed] = out.trim().split(' ').map(Number);
  if (size !== bytes) throw new Error(`curl ${url} got ${size} of ${bytes} bytes`);
  return speed! / 1e6;
}

/** Measures the section; `log` gets progress lines. */
export async function measureShare(log: (line: string) => void): Promise<ShareFigures> {
  const missing = ['curl', 'python3'].filter((cmd) => !which(cmd));
  if (missing.length > 0) throw new Error(`the share section needs ${missing.join(' and ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-share-'));
  const folder = join(dir, 'shared');
  const stops: Array<() => Promise<void>> = [
    () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  ];
  try {
    mkdirSync(folder);
    writeFile(join(folder, 'file.bin'), SHARE_BYTES);
    writeFile(join(folder, 'warm.bin'), SHARE_WARMUP_BYTES);
    const server: Launched = launch('python3', [
      '-u',
      '-m',
      'http.server',
      '0',
      '--bind',
      '127.0.0.1',
      '--directory',
      folder,
    ]);
    stops.push(() => killByPid(server.proc));
    const [, pyPort] = await server.waitFor(/port (\d+)/, SERVER_START_MS, 'python3 -m http.server');
    const pair = await startAgentPair('direct');
    stops.push(() => pair.stop());
    await pair.onA(['peers', 'allow', 'b', 'listen']);
    const reversePort = await freePort();
    await pair.onB([
      'forward',
      'add',
      '--reverse',
      '--via',
      'a',
      '--listen',
      `127.0.0.1:${reversePort}`,
      '--to',
      `127.0.0.1:${pyPort}`,
    ]);
    const sharePort = await freePort();
    await pair.onB(['share', folder, '--via', 'a', '--listen', `127.0.0.1:${sharePort}`]);
    const urls = {
      share: `http://127.0.0.1:${sharePort}/file.bin`,
      httpServer: `http://127.0.0.1:${reversePort}/file.bin`,
    };
    const figures: ShareFigures = { share: [], httpServer: [] };
    // Uncounted: module loading, JIT, the link's window growing, the page cache.
    for (const which of ['share', 'httpServer'] as const) {
      const mbps = await curlMBps(urls[which].replace('file.bin', 'warm.bin'), SHARE_WARMUP_BYTES);
      log(`  share warm-up: ${which} ${mbps.toFixed(0)} MB/s`);
    }
    for (let turn = 1; turn <= SHARE_TURNS; turn++) {
      // Alternating which goes first, so neither always follows the other's page-cache and GC state.
      const order = turn % 2 === 1 ? (['httpServer', 'share'] as const) : (['share', 'httpServer'] as const);
      for (const which of order) {
        const mbps = await curlMBps(urls[which]);
        log(`  share turn ${turn}: ${which} ${mbps.toFixed(0)} MB/s`);
        figures[which].push(mbps);
      }
    }
    return figures;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

/** The section's lines, as printed. */
export function formatShareSection(f: ShareFigures, notes: readonly string[]): string {
  const share = median(f.share);
  const py = median(f.httpServer);
  const ratio = share !== null && py !== null && py > 0 ? share / py : null;
  const verdict = ratio === null ? 'n/a' : ratio >= TARGET_SHARE_OVER_HTTP_SERVER ? 'PASS' : 'MISS';
  const runs = (xs: readonly number[]) => xs.map((x) => x.toFixed(0)).join(', ');
  const cell = (mbps: number | null, xs: readonly number[]) =>
    `${(mbps === null ? 'n/a' : `${mbps.toFixed(0)} MB/s`).padStart(9)}   (${runs(xs)})`;
  return [
    '',
    'share (1 GiB with curl through the peer’s listener, direct, 127.0.0.1; medians of turns):',
    `  share                                 ${cell(share, f.share)}`,
    `  reverse forward + python3 http.server ${cell(py, f.httpServer)}`,
    `  share / reverse forward + http.server ${(ratio === null ? 'n/a' : `${ratio.toFixed(2)}x`).padStart(9)}   target >= ${TARGET_SHARE_OVER_HTTP_SERVER}x   ${verdict}`,
    ...notes.map((n) => `  note: ${n}`),
  ].join('\n');
}

/** The section under `share` in --json. */
export function shareJson(f: ShareFigures): Record<string, unknown> {
  const share = median(f.share);
  const py = median(f.httpServer);
  return {
    shareMBps: share,
    httpServerMBps: py,
    ratio: share !== null && py !== null && py > 0 ? share / py : null,
    target: TARGET_SHARE_OVER_HTTP_SERVER,
    turns: f,
  };
}
