/**
 * `npm run bench:compare -- REF [--only ROW,…] [--rounds N]`: the release gate (ADR 0108). The rows
 * for the build of git revision REF and for this checkout's build, measured side by side in one run,
 * and a non-zero exit naming every row more than 10 % worse than REF's (bench/compare-gate.ts). The
 * forward and terminal rows take turns inside one harness — the two builds' downloads alternating,
 * their keystrokes in alternating blocks; the sections issue 83's table lives in (`msg-10k`,
 * `footprint`, `files`, `relay-scale`) are this checkout's `bench/run.ts --json --only NAME`, run for
 * each build in turns (REF's build through CLAWBRIDGE_BENCH_CLI), their medians compared. Two `npm run
 * bench` runs minutes apart differ by ±20 % here, more than most changes do: side by side, the machine's
 * load falls on both builds. REF is built (tsc and the CLI's bundle) in a temporary git worktree that
 * shares node_modules; each build gets its own pair of agents (and relay), started from its own CLI.
 *
 * `--profile NAME` compares one emulated-link section instead (issue 29), each row with the limit
 * beside it, shown and not gated. `--baseline FILE` judges one `npm run -s bench -- --json` result
 * against the last release (bench/baseline.json) by the same 10 % rule, on the rows whose figure is a
 * ratio to an anchor measured beside it (bench/compare-rows.ts), and builds nothing.
 */
import { readFileSync } from 'node:fs';
import { prepareForward, prepareSocks } from './agent-paths.js';
import { buildRevision } from './build-revision.js';
import { startChild } from './child.js';
import { CLI, startAgentPair, type AgentPair, type PairMode } from './cli-agents.js';
import { parseBaseline } from './baseline.js';
import { parseScriptJson, runScriptJson } from './command-section.js';
import { formatGate, judge, type GateVerdict } from './compare-gate.js';
import {
  COMPARE_ROWS,
  compareGateRows,
  formatComparison,
  formatProfileComparison,
  parseCompareArgs,
  type CompareRow,
  type CompareSection,
} from './compare-report.js';
import { judgeAgainstBaseline, judgeRuns, rowsMeasuredBy, type BenchDoc } from './compare-rows.js';
import { parseProfile } from './link-profiles.js';
import { measureProfile } from './profile-section.js';
import { measureSideBySide, type NamedPath } from './side-by-side.js';
import type { BenchResult } from './table.js';
import { measureTerminalEcho, openEchoTerminal, type EchoClient } from './terminal-echo.js';

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * `--profile NAME`: the whole section for REF's build, then for this checkout's, each with its own
 * agents behind its own emulators. Sections are minutes long, so they run one after the other, not in
 * turns; raw TCP and ssh run in both halves as controls that show how much the machine moved.
 */
async function compareProfile(ref: string, name: string): Promise<void> {
  const profile = parseProfile(['--profile', name])!;
  const base = buildRevision(ref);
  try {
    log(`profile ${name} with the agents of ${ref}…`);
    const b = await measureProfile(profile, log, base.cli);
    log(`profile ${name} with the agents of this checkout…`);
    const h = await measureProfile(profile, log);
    process.stdout.write(`${formatProfileComparison(ref, name, b.rows, h.rows)}\n`);
    for (const [who, r] of [
      [ref, b],
      ['this checkout', h],
    ] as const)
      for (const n of r.notes) process.stdout.write(`note (${who}): ${n}\n`);
  } finally {
    base.remove();
  }
}

/** Prints the verdict and makes the exit code say it: 1 when the gate failed. */
function report(title: string, baseName: string, verdict: GateVerdict): void {
  process.stdout.write(`${formatGate(title, baseName, verdict)}\n`);
  if (!verdict.pass) process.exitCode = 1;
}

/** `--baseline FILE`: one run's document against bench/baseline.json. */
function compareBaseline(file: string): void {
  // The file may hold npm's own lines before the document (`npm run bench -- --json > FILE`).
  const doc = parseScriptJson(readFileSync(file, 'utf8'));
  const baseline = parseBaseline(readFileSync(new URL('./baseline.json', import.meta.url), 'utf8'));
  const verdict = judgeAgainstBaseline(doc, baseline);
  report(
    `${file} against the last release (${baseline.release}); rows not in it are not judged`,
    'last release',
    verdict,
  );
}

/**
 * The forward and terminal rows for both builds, in turns inside one harness: REF's results and this
 * checkout's, named as the rows.
 */
async function measureRows(
  rows: readonly CompareRow[],
  cli: string,
): Promise<{ base: BenchResult[]; head: BenchResult[] }> {
  const base: BenchResult[] = [];
  const head: BenchResult[] = [];
  const collect = (results: readonly BenchResult[]) => {
    for (const r of results) {
      if (r.name.endsWith('@base')) base.push({ ...r, name: r.name.slice(0, -'@base'.length) });
      else if ((COMPARE_ROWS as readonly string[]).includes(r.name)) head.push(r);
    }
  };
  const stops: Array<() => Promise<void> | void> = [];
  const sink = startChild('./peer-child.ts');
  stops.unshift(() => sink.stop());
  try {
    const { port: sinkPort } = await sink.request<{ port: number }>('start', { kind: 'tcp' });
    for (const mode of ['direct', 'relay'] as const satisfies readonly PairMode[]) {
      const wanted = rows.filter(
        (r) => r.endsWith(`-${mode}`) || (mode === 'direct' && r === 'term-echo-idle'),
      );
      if (wanted.length === 0) continue;
      log(`starting agents of the base and of this checkout (${mode})…`);
      const pairs: [AgentPair, AgentPair] = [
        await startAgentPair(mode, cli),
        await startAgentPair(mode, CLI),
      ];
      stops.unshift(...pairs.map((p) => () => p.stop()));
      const tag = (name: string, i: number) => (i === 0 ? `${name}@base` : name);
      const paths: NamedPath[] = [];
      for (const row of wanted.filter((r) => !r.startsWith('term-echo'))) {
        const prepare = row.startsWith('forward') ? prepareForward : prepareSocks;
        for (const [i, pair] of pairs.entries())
          paths.push({ ...(await prepare(pair, sinkPort)), name: tag(row, i), short: false });
      }
      if (paths.length > 0) collect((await measureSideBySide(paths, log)).results);
      const echoRow = wanted.find((r) => r.startsWith('term-echo'));
      if (echoRow) {
        const clients: EchoClient[] = pairs.map((pair, i) => ({
          name: tag(echoRow, i),
          open: () => openEchoTerminal(pair.homeA, pair.cli),
        }));
        collect((await measureTerminalEcho(clients, null, log)).results);
      }
    }
  } finally {
    for (const stop of stops) await stop();
  }
  return { base, head };
}

/**
 * The sections: this checkout's bench/run.ts for REF's build and for this one, `rounds` times each in
 * turns (REF first in odd rounds, this checkout first in even ones, so neither always runs on a machine
 * the other just warmed). A run that fails counts as not measured for that build.
 */
async function measureSections(
  sections: readonly CompareSection[],
  rounds: number,
  cli: string,
): Promise<{ base: BenchDoc[]; head: BenchDoc[] }> {
  const base: BenchDoc[] = [];
  const head: BenchDoc[] = [];
  const args = ['--json', '--only', sections.join(',')];
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? (['base', 'head'] as const) : (['head', 'base'] as const);
    for (const who of order) {
      log(
        `round ${round} of ${rounds}: bench/run.ts ${args.join(' ')} with ${who === 'base' ? cli : 'this checkout'}…`,
      );
      try {
        const doc = await runScriptJson('run.ts', args, who === 'base' ? { CLAWBRIDGE_BENCH_CLI: cli } : {});
        (who === 'base' ? base : head).push(doc);
      } catch (err) {
        log(`  ${who} not measured: ${(err as Error).message}`);
      }
    }
  }
  return { base, head };
}

async function main(): Promise<void> {
  const args = parseCompareArgs(process.argv.slice(2));
  if (args.mode === 'baseline') return compareBaseline(args.file);
  if (args.mode === 'profile') return compareProfile(args.ref, args.profile);
  const { ref, rows, sections, rounds } = args;
  const base = buildRevision(ref);
  try {
    const measured = rows.length > 0 ? await measureRows(rows, base.cli) : { base: [], head: [] };
    const runs =
      sections.length > 0 ? await measureSections(sections, rounds, base.cli) : { base: [], head: [] };
    if (rows.length > 0)
      process.stdout.write(`${formatComparison(ref, rows, measured.base, measured.head)}\n\n`);
    const releaseRows = rowsMeasuredBy(sections);
    const verdict = judge([
      ...compareGateRows(rows, measured.base, measured.head),
      ...judgeRuns(releaseRows, runs.base, runs.head).rows,
    ]);
    const runsText =
      sections.length > 0 ? `; sections: medians of ${runs.base.length} and ${runs.head.length} runs` : '';
    report(`${ref} against this checkout, side by side${runsText}`, ref, verdict);
  } finally {
    base.remove();
  }
}

main().catch((err: unknown) => {
  log(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
