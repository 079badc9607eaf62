/**
 * The footprint rows of issue 83 as named figures beside their anchors, for bench/run.ts to call
 * (`measureFootprintRows()`), or run alone: `npx tsx bench/footprint-rows.ts [--quick] [--json]`.
 *
 * - **idle agent, 2 linked**: bench/footprint.ts's first window (agent a with b direct and c relayed,
 *   idle), its RSS beside an idle `node -e 'setInterval(()=>{},1e3)'` started with it.
 * - **terminal server side**: bench/terminal-footprint.ts, agent + session host with one terminal
 *   open through the relay, beside WeTTY + ssh + sshd with one terminal open (or the reason it was
 *   skipped).
 *
 * Each figure is measured with its anchor in the same minutes; the load before and after is reported
 * with them, since RSS of a process on a loaded machine is steady but its start-up is not.
 */
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { runFootprint, TARGETS } from './footprint.js';
import {
  measureOurServerSide,
  measureWettyServerSide,
  WETTY_VERSION,
  type ServerSide,
} from './terminal-footprint.js';

/** The server side of the browser terminal with one terminal open, at most, in bytes (issue 83). */
export const TERMINAL_SERVER_SIDE_TARGET_BYTES = 90 * 1e6;

/** One figure beside what it is compared with. */
export interface FootprintFigure {
  name: string;
  /** Ours, in bytes of RSS. */
  bytes: number;
  /** What it is compared with, measured beside it; null when that could not run (`note` says why). */
  anchor: { name: string; bytes: number } | null;
  /** bytes ÷ anchor.bytes. */
  ratio: number | null;
  target: string;
  met: boolean;
  /** What each figure is made of, or why the anchor is missing. */
  note?: string;
}

export interface FootprintFigures {
  idleSeconds: number;
  loadBefore: string;
  loadAfter: string;
  figures: FootprintFigure[];
}

function loadLine(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return 'load unknown';
  }
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const parts = (s: ServerSide) => s.parts.map((p) => `${p.name} ${mb(p.rssBytes)}`).join(' + ');

/** Measures the rows (each with its anchor beside it); `quick`: 10 s idle windows instead of 60 s. */
export async function measureFootprintRows({
  quick = false,
}: { quick?: boolean } = {}): Promise<FootprintFigures> {
  const idleS = quick ? 10 : 60;
  const loadBefore = loadLine();
  const idle = await runFootprint({ quick, firstOnly: true });
  const agentRow = idle.rows[0]!;
  const floor = idle.rows.find((r) => r.name.startsWith('node floor'))!;
  const ours = await measureOurServerSide(idleS);
  const wetty = await measureWettyServerSide(idleS);
  const figures: FootprintFigure[] = [
    {
      name: 'idle agent, 2 linked (direct + relay), vs an idle node',
      bytes: agentRow.rssBytes,
      anchor: { name: "node -e 'setInterval(()=>{},1e3)'", bytes: floor.rssBytes },
      ratio: agentRow.rssBytes / floor.rssBytes,
      target: `≤ ${TARGETS.agentTwoLinked}× the idle node`,
      met: agentRow.rssBytes / floor.rssBytes <= TARGETS.agentTwoLinked,
    },
    {
      name: 'terminal server side, one terminal open (agent + session host)',
      bytes: ours.totalBytes,
      anchor:
        'skip' in wetty ? null : { name: `WeTTY ${WETTY_VERSION} + ssh + sshd`, bytes: wetty.totalBytes },
      ratio: 'skip' in wetty ? null : ours.totalBytes / wetty.totalBytes,
      target: `≤ ${mb(TERMINAL_SERVER_SIDE_TARGET_BYTES)} MB`,
      met: ours.totalBytes <= TERMINAL_SERVER_SIDE_TARGET_BYTES,
      note: `ours: ${parts(ours)}; ${'skip' in wetty ? `WeTTY skipped: ${wetty.skip}` : `WeTTY: ${parts(wetty)}`}`,
    },
  ];
  return { idleSeconds: idleS, loadBefore, loadAfter: loadLine(), figures };
}

/** The figures as a table. */
export function formatFigures(r: FootprintFigures): string {
  const lines = [`footprint rows (idle windows ${r.idleSeconds} s)`, `load before: ${r.loadBefore}`, ''];
  for (const f of r.figures) {
    const anchor = f.anchor
      ? `${f.anchor.name} ${mb(f.anchor.bytes)} MB, ${f.ratio!.toFixed(2)}×`
      : 'no anchor';
    lines.push(`${f.name}: ${mb(f.bytes)} MB (${anchor}); target ${f.target} ${f.met ? 'met' : 'MISSED'}`);
    if (f.note) lines.push(`  ${f.note}`);
  }
  lines.push('', `load after: ${r.loadAfter}`);
  return lines.join('\n');
}

/** The gate's figures (bench/compare-rows.ts): the terminal's server side in MB, and over WeTTY's. */
export function footprintRatios(r: FootprintFigures): Record<string, number> {
  const terminal = r.figures.find((f) => f.name.startsWith('terminal server side'));
  if (!terminal) return {};
  const ratios: Record<string, number> = { 'terminal-server MB': terminal.bytes / 1e6 };
  if (terminal.ratio !== null) ratios['terminal-server/wetty'] = terminal.ratio;
  return ratios;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  measureFootprintRows({ quick: args.includes('--quick') }).then(
    (r) => {
      const doc = { ...r, ratios: footprintRatios(r) };
      process.stdout.write(`${args.includes('--json') ? JSON.stringify(doc, null, 2) : formatFigures(r)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
