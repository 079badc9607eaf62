/**
 * `--only file-code` (issue 86 item 5: a code's transfer within 0.9× of `file send` between paired
 * nodes on the same path): one file sent with a code — `file send FILE --code` on agent a, and
 * `clawbridge file receive LINK --to DIR` on the receiving side, two ways: with an agent running
 * there (b's: `--home B`, which has its agent receive, ADR 0125; b's pairing with a plays no part, the
 * code is met by a throwaway node as on any machine) and with none (`--no-agent`: the command's own
 * process receives) — beside `file send b FILE` from a to its peer b, all through one relay over wss
 * with `--no-direct` (so a's offer names no address and the code's receiver takes the relay too), or with `--path direct` all direct: the
 * agents on the relay with their direct links on, so the pair links directly and the code's receiver
 * meets on the relay, then dials a's listener (ADR 0124 decision 3, amended). The three take turns, the order rotating, ROUNDS rounds (medians). Each is timed
 * as a user waits for it: the code's
 * from starting `file receive` until both commands exited (the sender's ends once it read that every
 * file was verified), which holds the meeting (PAKE) and the dial; the pair's from starting `file
 * send` until it exited (every byte verified on b). CPU: the whole bench tree's (benchCpuSeconds:
 * agents, relay, the CLI processes), per GiB. Run alone: `node --import tsx bench/file-code.ts
 * [--json] [--mib N] [--rounds N] [--path relay|direct]`.
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

/** Who receives a code: b's running agent, or the `file receive` process itself. */
type Receiver = 'agent' | 'process';

/** One transfer with a code: the code asked for untimed, then `file receive` until both commands ended. */
async function codeTurn(
  pair: AgentPair,
  file: string,
  scratch: string,
  receiver: Receiver,
): Promise<CopyCost> {
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
    [
      CLI,
      'file',
      'receive',
      link,
      '--to',
      to,
      ...(receiver === 'agent' ? ['--home', pair.homeB] : ['--no-agent']),
    ],
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
  /** Received by the agent on the receiving side; by the `file receive` process (no agent there). */
  code: CopyCost[];
  codeNoAgent: CopyCost[];
  paired: CopyCost[];
  /** Median MiB/s of each, and each code's over the pair's. */
  codeMiBps: number;
  codeNoAgentMiBps: number;
  pairedMiBps: number;
  ratio: number;
  ratioNoAgent: number;
  /** Median CPU seconds per GiB of each (the whole bench tree), null off Linux. */
  codeCpuPerGiB: number | null;
  codeNoAgentCpuPerGiB: number | null;
  pairedCpuPerGiB: number | null;
  summary: string;
}

/** Which path the three take: all through the relay, or all direct (the code met on the relay). */
export type FileCodePath = 'relay' | 'direct';

export async function measureFileCode(
  bytes: number,
  rounds: number,
  path: FileCodePath = 'relay',
): Promise<FileCodeResult> {
  const load0 = loadavg()[0]!;
  const scratch = mkdtempSync(join(tmpdir(), 'cb-bench-file-code-'));
  const pair =
    path === 'relay'
      ? await startAgentPair('relay')
      : await startAgentPair('direct', CLI, { relayToo: true });
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
    await codeTurn(pair, file, scratch, 'agent');
    await codeTurn(pair, file, scratch, 'process');
    const kinds = ['code', 'code-no-agent', 'paired'] as const;
    const costs: Record<(typeof kinds)[number], CopyCost[]> = { code: [], 'code-no-agent': [], paired: [] };
    for (let r = 0; r < rounds; r++) {
      // The order rotates: each kind goes first, second and last as often over three rounds.
      for (const t of [...kinds.slice(r % 3), ...kinds.slice(0, r % 3)]) {
        const cost =
          t === 'paired'
            ? await pairedTurn(pair, file, scratch)
            : await codeTurn(pair, file, scratch, t === 'code' ? 'agent' : 'process');
        costs[t].push(cost);
        process.stderr.write(`file-code: ${t} ${(bytes / MiB / cost.seconds).toFixed(1)} MiB/s\n`);
      }
    }
    const { code, paired } = costs;
    const codeNoAgent = costs['code-no-agent'];
    const mibps = (c: CopyCost[]) => bytes / MiB / median(c.map((x) => x.seconds));
    const cpu = (c: CopyCost[]) =>
      c.every((x) => x.cpu !== null) ? median(c.map((x) => x.cpu!)) / (bytes / 1024 ** 3) : null;
    const codeMiBps = mibps(code);
    const codeNoAgentMiBps = mibps(codeNoAgent);
    const pairedMiBps = mibps(paired);
    const ratio = codeMiBps / pairedMiBps;
    const ratioNoAgent = codeNoAgentMiBps / pairedMiBps;
    const load: [number, number] = [load0, loadavg()[0]!];
    const codeCpu = cpu(code);
    const codeNoAgentCpu = cpu(codeNoAgent);
    const pairedCpu = cpu(paired);
    const cpuText = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(1)} CPU-s/GiB`);
    const verdict = (x: number) =>
      `${x.toFixed(2)}× (target ≥ ${TARGET_CODE_OVER_PAIRED}×: ${x >= TARGET_CODE_OVER_PAIRED ? 'PASS' : 'MISS'})`;
    const summary = [
      `file with a code (${bytes / MiB} MiB ${path === 'relay' ? 'over a wss relay' : 'direct, met on a wss relay'}, ${rounds} rounds, medians; load ${load[0].toFixed(1)} → ${load[1].toFixed(1)}):`,
      `  file send --code + file receive, an agent there:  ${codeMiBps.toFixed(1)} MiB/s, ${cpuText(codeCpu)}`,
      `  file send --code + file receive, no agent there:  ${codeNoAgentMiBps.toFixed(1)} MiB/s, ${cpuText(codeNoAgentCpu)}`,
      `  file send to a paired peer:                       ${pairedMiBps.toFixed(1)} MiB/s, ${cpuText(pairedCpu)}`,
      `  code / paired, an agent there: ${verdict(ratio)}`,
      `  code / paired, no agent there: ${verdict(ratioNoAgent)}`,
    ].join('\n');
    return {
      bytes,
      rounds,
      load,
      code,
      codeNoAgent,
      paired,
      codeMiBps,
      codeNoAgentMiBps,
      pairedMiBps,
      ratio,
      ratioNoAgent,
      codeCpuPerGiB: codeCpu,
      codeNoAgentCpuPerGiB: codeNoAgentCpu,
      pairedCpuPerGiB: pairedCpu,
      summary,
    };
  } finally {
    await pair.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const pathAt = process.argv.indexOf('--path');
  const path = pathAt < 0 ? 'relay' : process.argv[pathAt + 1];
  if (path !== 'relay' && path !== 'direct') throw new Error('--path needs relay or direct');
  measureFileCode(arg('--mib', 256) * MiB, arg('--rounds', 3), path).then(
    (result) => {
      if (process.argv.includes('--json'))
        console.log(
          JSON.stringify({
            ...result,
            ratios: {
              'file code/paired': result.ratio,
              'file code no agent/paired': result.ratioNoAgent,
            },
          }),
        );
      else console.log(result.summary);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}
