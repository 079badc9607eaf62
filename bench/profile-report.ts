/**
 * How an emulated-link section is printed and put in `--json` (bench/run.ts), and the per-hop line
 * under the echo-under-load rows. Pure, unit-tested in test/unit/bench/profile-report.test.ts.
 */
import type { QueueSummary } from './link-shape.js';
import type { ProfileRowFigures } from './profile-targets.js';
import { alignColumns, formatValue, ratiosObject, round, type TargetLine } from './table.js';

export interface SectionRow extends ProfileRowFigures {
  text: string;
}

export interface PrintedSection {
  name: string;
  describe: string;
  rows: readonly SectionRow[];
  lines: readonly TargetLine[];
  notes: readonly string[];
}

const kib = (bytes: number) =>
  bytes >= 1000 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;

/**
 * Where keys' time went while a download shared their path: the set RTT, the time segments spent in
 * each direction's bottleneck queue while the keys were typed (every segment of that direction, the
 * keys' among them: one FIFO, so a key waits as long as the bytes around it), and what is left of the
 * echo p50 — the end hosts: processes, mux and socket buffers.
 */
export function hopBreakdown(
  queue: { up: QueueSummary; down: QueueSummary },
  echo: { p50Ms: number; p99Ms: number },
  rttMs: number,
): string {
  const dir = (name: string, q: QueueSummary) =>
    q.segments === 0
      ? `${name}: no segments`
      : `${name} p50 ${q.waitMs.p50.toFixed(1)} / p99 ${q.waitMs.p99.toFixed(1)} ms (p99 ${kib(q.aheadBytes.p99)} ahead)`;
  const rest = echo.p50Ms - rttMs - queue.up.waitMs.p50 - queue.down.waitMs.p50;
  return [
    `set RTT ${rttMs} ms`,
    `bottleneck queue ${dir('up', queue.up)}, ${dir('down', queue.down)}, ${queue.up.segments + queue.down.segments} segments`,
    `echo p50 ${echo.p50Ms.toFixed(1)} ms − RTT − queues' p50 = ${rest.toFixed(1)} ms in the end hosts (processes, mux, socket buffers)`,
  ].join('; ');
}

/** The emulator's timing error (p99, ms) above which a section's figures are flagged. */
export const LATE_NOTE_MIN_MS = 5;

/**
 * A note when the emulator itself ran late — more than LATE_NOTE_MIN_MS or a tenth of the RTT at p99,
 * segments released that much after their due time — so a starved machine's section is not read as
 * the link's figures; null when it kept time.
 */
export function lateNote(lateP99Ms: number, rttMs: number): string | null {
  const limit = Math.max(LATE_NOTE_MIN_MS, rttMs / 10);
  if (!(lateP99Ms > limit)) return null;
  return `the emulator released segments up to ${lateP99Ms.toFixed(0)} ms late at p99 (more than ${limit.toFixed(0)} ms): the machine starved it, so this section's delays and rates are those of a slower, burstier link than the profile's`;
}

/** The section as printed under the loopback table: rows, ratios with targets, notes. */
export function formatSection(s: PrintedSection): string {
  const out = [`profile ${s.name}: ${s.describe}`];
  const width = Math.max(...s.rows.map((r) => r.name.length), 0);
  for (const r of s.rows) out.push(`  ${r.name.padEnd(width)}  ${r.text}`);
  if (s.lines.length > 0) {
    out.push(
      '',
      ...alignColumns([
        ['ratio', 'value', 'target', 'result'],
        ...s.lines.map((l) => [
          `${s.name} ${l.key}`,
          l.value === null ? '-' : formatValue(l.value, l.unit),
          l.target || '-',
          l.pass === undefined ? (l.target ? 'n/a' : '') : l.pass ? 'PASS' : 'MISS',
        ]),
      ]).map((l) => `  ${l}`),
    );
  }
  for (const n of s.notes) out.push(`  note: ${n}`);
  return out.join('\n');
}

/** A section in `--json`: its rows' figures (rounded) and its ratios, keyed as printed. */
export function sectionJson(s: PrintedSection): {
  name: string;
  rows: Array<Record<string, string | number | null>>;
  ratios: Record<string, number | null>;
} {
  const r3 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : round(v, 3));
  return {
    name: s.name,
    rows: s.rows.map((r) => ({
      name: r.name,
      MBps: r3(r.MBps),
      p50Ms: r3(r.p50Ms),
      p99Ms: r3(r.p99Ms),
      loadMBps: r3(r.loadMBps),
    })),
    ratios: ratiosObject(s.lines),
  };
}
