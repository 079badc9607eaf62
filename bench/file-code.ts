/**
 * `--only file-code` (issue 86 item 5: a code's transfer within 0.9× of `file send` between paired
 * nodes on the same path): one file sent with a code — `file send FILE --code` on agent a, and
 * `clawbridge file receive LINK --to DIR` in a process of its own with no agent — beside `file send b
 * FILE` from a to its peer b, both through one relay over wss with `--no-direct` (a code's receiver
 * reaches the sender through the relay only, so the pair is held to the same path). The two take
 * turns, order alternating, ROUNDS rounds (medians). Each is timed as a user waits for it: the code's
 * from starting `file receive` until both commands exited (the sender's ends once it read that every
 * file was verified), which holds the meeting (PAKE) and the dial; the pair's from starting `file
 * send` until it exited (every byte verified on b). CPU: the whole bench tree's (benchCpuSeconds:
 * agents, relay, the CLI processes), per GiB. Run alone: `node --import tsx bench/file-code.ts
 * [--json] [--mib N] [--rounds N]`.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI, startAgentPair, type AgentPair } from './cli-agents.js';
import { benchCpuSeconds, type CopyCost } from './files-section.js';
import { launch, runToEnd } from './processes.js';

const MiB = 1024 * 1024;
/** The issue's target: the code's throughput at least this share of the paired `file send`'s. */
export const TARGET_CODE_OVER_PAIRED = 0.9;
/** Longest one transfer may take, in ms. */
const TRANSFER_MAX_MS = 600_000;
/** How long the sender's agent may take to answer with a code, in ms. */
const CODE_MAX_MS = 60_000;

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  const n = at < 0 ? fallback : Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} needs a whole number`);
  return n;
};

/** One transfer with a code: the code asked for untimed, then `file receive` until both commands ended. */
async function codeTurn(pair: AgentPair, file: string, scratch: string): Promise<CopyCost> {
  const sender = launch(process.execPath, [
    CLI,
    'file',
    'send',
    file,
    '--code',
    '--json',
    '--home',
    pair.homeA,
  ]);
  const [line] = await sender.waitFor(/^\{"event":"code".*\}$/m, CODE_MAX_MS, 'file send --code');
  const { link } = JSON.parse(line) as { link: string };
  const to = mkdtempSync(join(scratch, 'code-'));
  const sent = new Promise<number | null>((resolve) => sender.proc.once('close', resolve));
  const cpu0 = benchCpuSeconds();
  const t0 = performance.now();
  await runToEnd(
    process.execPath,
    [CLI, 'file', 'receive', link, '--to', to],
    TRANSFER_MAX_MS,
    'file receive',
  );
  const code = await sent;
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = benchCpuSeconds();
  rmSync(to, { recursive: true, force: true });
  if (code !== 0) throw new Error(`file send --code failed (${code}): ${sender.stderr().slice(-300)}`);
  return { seconds, cpu: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 };
}

/** One `file send b FILE` on a; what arrived is moved out of b's inbox and removed, untimed. */
async function pairedTurn(pair: AgentPair, file: string, scratch: string): Promise<CopyCost> {
  const cpu0 = benchCpuSeconds();
  const t0 = performance.now();
  await runToEnd(
    process.execPath,
    [CLI, 'file', 'send', 'b', file, '--home', pair.homeA],
    TRANSFER_MAX_MS,
    'file send',
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = benchCpuSeconds();
  const out = mkdtempSync(join(scratch, 'paired-'));
  await pair.onB(['file', 'get', out, '--conflict', 'overwrite']);
  rmSync(out, { recursive: true, force: true });
  return { seconds, cpu: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export interface FileCodeResult {
  bytes: number;
  rounds: number;
  /** Load average (1 min) at the start and the end of the run. */
  load: [number, number];
  code: CopyCost[];
  paired: CopyCost[];
  /** Median MiB/s of each, and the code's over the pair's. */
  codeMiBps: number;
  pairedMiBps: number;
  ratio: number;
  /** Median CPU seconds per GiB of each (the whole bench tree), null off Linux. */
  codeCpuPerGiB: number | null;
  pairedCpuPerGiB: number | null;
  summary: string;
}

export async function measureFileCode(bytes: number, rounds: number): Promise<FileCodeResult> {
  const load0 = loadavg()[0]!;
  const scratch = mkdtempSync(join(tmpdir(), 'cb-bench-file-code-'));
  const pair = await startAgentPair('relay');
  try {
    await pair.onB(['peers', 'allow', 'a', 'files']);
    const file = join(scratch, 'big.bin');
    const fd = openSync(file, 'w');
    const piece = randomBytes(4 * MiB);
    for (let at = 0; at < bytes; at += piece.length)
      writeSync(fd, piece, 0, Math.min(piece.length, bytes - at));
    closeSync(fd);
    // One untimed turn of each first: the agents' code paths compiled, the relay's buffers grown.
    await pairedTurn(pair, file, scratch);
    await codeTurn(pair, file, scratch);
    const code: CopyCost[] = [];
    const paired: CopyCost[] = [];
    for (let r = 0; r < rounds; r++) {
      const turns = r % 2 === 0 ? (['code', 'paired'] as const) : (['paired', 'code'] as const);
      for (const t of turns) {
        const cost =
          t === 'code' ? await codeTurn(pair, file, scratch) : await pairedTurn(pair, file, scratch);
        (t === 'code' ? code : paired).push(cost);
        process.stderr.write(`file-code: ${t} ${(bytes / MiB / cost.seconds).toFixed(1)} MiB/s\n`);
      }
    }
    const mibps = (c: CopyCost[]) => bytes / MiB / median(c.map((x) => x.seconds));
    const cpu = (c: CopyCost[]) =>
      c.every((x) => x.cpu !== null) ? median(c.map((x) => x.cpu!)) / (bytes / 1024 ** 3) : null;
    const codeMiBps = mibps(code);
    const pairedMiBps = mibps(paired);
    const ratio = codeMiBps / pairedMiBps;
    const load: [number, number] = [load0, loadavg()[0]!];
    const codeCpu = cpu(code);
    const pairedCpu = cpu(paired);
    const cpuText = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(1)} CPU-s/GiB`);
    const summary = [
      `file with a code (${bytes / MiB} MiB over a wss relay, ${rounds} rounds, medians; load ${load[0].toFixed(1)} → ${load[1].toFixed(1)}):`,
      `  file send --code + file receive: ${codeMiBps.toFixed(1)} MiB/s, ${cpuText(codeCpu)}`,
      `  file send to a paired peer:      ${pairedMiBps.toFixed(1)} MiB/s, ${cpuText(pairedCpu)}`,
      `  code / paired: ${ratio.toFixed(2)}× (target ≥ ${TARGET_CODE_OVER_PAIRED}×: ${ratio >= TARGET_CODE_OVER_PAIRED ? 'PASS' : 'MISS'})`,
    ].join('\n');
    return {
      bytes,
      rounds,
      load,
      code,
      paired,
      codeMiBps,
      pairedMiBps,
      ratio,
      codeCpuPerGiB: codeCpu,
      pairedCpuPerGiB: pairedCpu,
      summary,
    };
  } finally {
    await pair.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  measureFileCode(arg('--mib', 256) * MiB, arg('--rounds', 3)).then(
    (result) => {
      if (process.argv.includes('--json'))
        console.log(JSON.stringify({ ...result, ratios: { 'file code/paired': result.ratio } }));
      else console.log(result.summary);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}
