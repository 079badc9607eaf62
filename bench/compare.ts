/**
 * `npm run bench:compare -- REF [--only ROW,…]`: the same rows for the build of git revision REF and for
 * this checkout's build, measured side by side in one run — the two builds' downloads taking turns,
 * their keystrokes in alternating blocks — so a change is judged against its baseline under the same
 * load of the machine. Two `npm run bench` runs minutes apart differ by ±20 % here, more than most
 * changes do. REF is built (tsc only) in a temporary git worktree that shares node_modules; each build
 * gets its own pair of agents (and relay), started from its own CLI. `--profile NAME` compares one
 * emulated-link section instead (issue 29), every row with the 5 % limit beside it.
 */
import { prepareForward, prepareSocks } from './agent-paths.js';
import { buildRevision } from './build-revision.js';
import { startChild } from './child.js';
import { CLI, startAgentPair, type AgentPair, type PairMode } from './cli-agents.js';
import {
  COMPARE_ROWS,
  formatComparison,
  formatProfileComparison,
  parseCompareArgs,
} from './compare-report.js';
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

async function main(): Promise<void> {
  const { ref, rows, profile } = parseCompareArgs(process.argv.slice(2));
  if (profile !== undefined) return compareProfile(ref, profile);
  const base = buildRevision(ref);
  const stops: Array<() => Promise<void> | void> = [base.remove];
  const sink = startChild('./peer-child.ts');
  stops.unshift(() => sink.stop());
  const baseResults: BenchResult[] = [];
  const headResults: BenchResult[] = [];
  try {
    const { port: sinkPort } = await sink.request<{ port: number }>('start', { kind: 'tcp' });
    for (const mode of ['direct', 'relay'] as const satisfies readonly PairMode[]) {
      const wanted = rows.filter(
        (r) => r.endsWith(`-${mode}`) || (mode === 'direct' && r === 'term-echo-idle'),
      );
      if (wanted.length === 0) continue;
      log(`starting agents of ${ref} and of this checkout (${mode})…`);
      const pairs: [AgentPair, AgentPair] = [
        await startAgentPair(mode, base.cli),
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
  process.stdout.write(`${formatComparison(ref, rows, baseResults, headResults)}\n`);

  function collect(results: readonly BenchResult[]): void {
    for (const r of results) {
      if (r.name.endsWith('@base')) baseResults.push({ ...r, name: r.name.slice(0, -'@base'.length) });
      else if ((COMPARE_ROWS as readonly string[]).includes(r.name)) headResults.push(r);
    }
  }
}

main().catch((err: unknown) => {
  log(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
