/**
 * msg-listen of two (or more) builds side by side under the same load (ADR 0066):
 * `npx tsx bench/messages-listen-ab.ts DIR…`, each DIR a built checkout (its bin/clawbridge.js and
 * dist/). Each build gets its own pair of agents over direct and its own `msg listen --json` on b; the
 * builds take turns in blocks of 50 messages (BLOCKS counted blocks each, default 10, after one
 * uncounted), so a load spike falls on all of them. Prints per build the p50/p90/p99 of send → line
 * (the later of the send's answer and the line, as bench/messages-section.ts times it) and the answer's
 * p50. Every loop is bounded; every process is ended by its PID.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connectAgent } from '../src-main/messages/client/agent-client.js';
import { startAgentPair } from './cli-agents.js';
import { withDeadline } from './measure.js';
import { endOnAbort, killByPid } from './processes.js';

const BLOCK = 50;
const BLOCKS = Number(process.env.BLOCKS ?? 10);
/** Longest one message may take to be printed, in ms. */
const ONE_MAX_MS = 5_000;
const body = (i: number) => `${String(i).padStart(8, '0')} ${'m'.repeat(191)}`;

async function setup(dir: string) {
  const cli = join(dir, 'bin', 'clawbridge.js');
  const pair = await startAgentPair('direct', cli);
  const args = [cli, 'msg', 'listen', '--json', '--topic', 'latency', '--home', pair.homeB];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  endOnAbort(proc);
  const waiting = new Map<string, () => void>();
  const seen = new Set<string>();
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const id = (JSON.parse(line) as { id: string }).id;
    const w = waiting.get(id);
    if (w) w();
    else seen.add(id);
  });
  const a = await connectAgent({ home: pair.homeA });
  const next = (id: string) =>
    seen.delete(id)
      ? Promise.resolve()
      : withDeadline(new Promise<void>((r) => waiting.set(id, r)), ONE_MAX_MS, `${dir}: the line`);
  return { dir, pair, proc, a, next, samples: [] as number[], answered: [] as number[] };
}

const pct = (s: number[], p: number) => {
  const x = [...s].sort((m, n) => m - n);
  return x[Math.max(Math.ceil(p * x.length) - 1, 0)]!;
};

const runs: Awaited<ReturnType<typeof setup>>[] = [];
try {
  for (const dir of process.argv.slice(2)) runs.push(await setup(dir));
  let n = 0;
  for (let block = 0; block <= BLOCKS; block++) {
    for (const r of runs) {
      for (let i = 0; i < BLOCK; i++) {
        const t0 = performance.now();
        const sent = await r.a.send('b', body(n++), { topic: 'latency' });
        const answered = performance.now() - t0;
        await r.next(sent.id);
        if (block === 0) continue;
        r.samples.push(performance.now() - t0);
        r.answered.push(answered);
      }
    }
  }
  for (const r of runs) {
    const f = (s: number[], p: number) => pct(s, p).toFixed(2);
    process.stdout.write(
      `${r.dir}: msg-listen p50 ${f(r.samples, 0.5)} ms, p90 ${f(r.samples, 0.9)}, p99 ${f(r.samples, 0.99)}; answered p50 ${f(r.answered, 0.5)} ms; ${r.samples.length} messages\n`,
    );
  }
} finally {
  for (const r of runs) {
    r.a.close();
    await killByPid(r.proc);
    await r.pair.stop();
  }
}
