/**
 * The messages section of `npm run bench` (issue 54 item 6; measured by bench/messages-section.ts):
 * its figures, the lines they are judged against and how the section is printed and put in `--json`.
 * Pure, unit-tested in test/unit/bench/messages-report.test.ts.
 */
import { alignColumns, formatValue, multiple, ratio, ratiosObject, round, type TargetLine } from './table.js';

/**
 * Target: Clawbridge's messages/s (10,000 × 200 B, every send answered and b's listener holding all in
 * order) at least this share of mosquitto's QoS 1 through its own C clients (issue 83).
 */
export const TARGET_MSG_OVER_MQTT = 1;
/** Target: one message's send → `msg listen --json` printing it, p50 on loopback over direct, in ms. */
export const TARGET_MSG_LISTEN_P50_MS = 2;
/** Target: a cold `msg ask` against `msg serve -- cat` at most this multiple of a cold `term b -- true` (p50). */
export const TARGET_ASK_OVER_TERM = 1.2;

/** A throughput row: one turn's messages/s each (null: that turn failed), or why it did not run. */
export interface RateFigures {
  perS: readonly number[];
  /** Set when the row did not run at all (e.g. `mosquitto not installed`). */
  skipped?: string;
}

/** A time row: samples in ms. */
export interface TimeFigures {
  samplesMs: readonly number[];
  skipped?: string;
}

export interface MessagesFigures {
  /** Messages sent in each throughput turn, and their body size in bytes. */
  count: number;
  bodyBytes: number;
  /** Until every send was answered and b's listener had every message in order (judged). */
  clawbridge: RateFigures;
  /** The same turns until a saw every `delivered` (every message durable in b's inbox). */
  delivered: RateFigures;
  mosquitto: RateFigures;
  /** What the mosquitto row ran: version and client, for the row's text. */
  mosquittoWhat: string;
  listen: TimeFigures;
  ask: TimeFigures;
  termTrue: TimeFigures;
}

/** Nearest-rank percentile, as table.ts's (p in 0..100); NaN for none. */
function pct(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(Math.ceil((p / 100) * sorted.length) - 1, 0)]!;
}

/** The median of a row's turns (the middle one; the mean of the two middle ones), or null for none. */
export function medianRate(f: RateFigures): number | null {
  if (f.skipped !== undefined || f.perS.length === 0) return null;
  const s = [...f.perS].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function p50(f: TimeFigures): number | null {
  return f.skipped !== undefined || f.samplesMs.length === 0 ? null : pct(f.samplesMs, 50);
}

/** The section's lines: the three targets of issue 54 item 6, and p99 of the listener shown. */
export function messagesLines(f: MessagesFigures): TargetLine[] {
  const rate = ratio(medianRate(f.clawbridge), medianRate(f.mosquitto));
  const listenP50 = p50(f.listen);
  const listenP99 =
    f.listen.samplesMs.length > 0 && f.listen.skipped === undefined ? pct(f.listen.samplesMs, 99) : null;
  const ask = ratio(p50(f.ask), p50(f.termTrue));
  const delivered = ratio(medianRate(f.delivered), medianRate(f.mosquitto));
  return [
    {
      key: 'msg-10k/mqtt-10k',
      value: rate,
      unit: 'x',
      target: `>= ${multiple(TARGET_MSG_OVER_MQTT)}x`,
      pass: rate === null ? undefined : rate >= TARGET_MSG_OVER_MQTT,
    },
    { key: 'msg-10k-delivered/mqtt-10k', value: delivered, unit: 'x', target: '', pass: undefined },
    {
      key: 'msg-listen p50Ms',
      value: listenP50,
      unit: 'ms',
      target: `<= ${TARGET_MSG_LISTEN_P50_MS} ms`,
      pass: listenP50 === null ? undefined : listenP50 <= TARGET_MSG_LISTEN_P50_MS,
    },
    { key: 'msg-listen p99Ms', value: listenP99, unit: 'ms', target: '', pass: undefined },
    {
      key: 'msg-ask/term-true p50',
      value: ask,
      unit: 'x',
      target: `<= ${multiple(TARGET_ASK_OVER_TERM)}x`,
      pass: ask === null ? undefined : ask <= TARGET_ASK_OVER_TERM,
    },
  ];
}

const n = (v: number) => Math.round(v).toLocaleString('en-US');

function rateText(f: RateFigures, what: string): string {
  const m = medianRate(f);
  if (m === null) return f.skipped !== undefined ? `skipped: ${f.skipped}` : 'not measured';
  const turns = f.perS.map((x) => n(x)).join(', ');
  return `${n(m)} msg/s (median of ${f.perS.length} turn${f.perS.length === 1 ? '' : 's'}: ${turns}); ${what}`;
}

function timeText(f: TimeFigures, what: string): string {
  if (f.skipped !== undefined) return `skipped: ${f.skipped}`;
  if (f.samplesMs.length === 0) return 'not measured';
  return `p50 ${pct(f.samplesMs, 50).toFixed(2)} ms, p99 ${pct(f.samplesMs, 99).toFixed(2)} ms over ${f.samplesMs.length}; ${what}`;
}

/** The rows as printed: [name, text]. */
export function messagesRows(f: MessagesFigures): Array<[string, string]> {
  const each = `${n(f.count)} × ${f.bodyBytes} B`;
  return [
    [
      'msg-10k',
      rateText(
        f.clawbridge,
        `${each} a → b over direct, all sent at once through clawbridge/client (the library carries the calls of one tick in pipelined messages.sendMany requests of up to 1,000), timed until every send was answered (durable in a's outbox: fdatasync per batch) and b's listener (the library's listen, each message acknowledged read) had all in order`,
      ),
    ],
    [
      'msg-10k-delivered',
      rateText(
        f.delivered,
        "the same turns, timed until a also saw every delivered (all durable in b's inbox: fdatasync per batch before each receipt)",
      ),
    ],
    [
      'mqtt-10k',
      rateText(
        f.mosquitto,
        `${each} through ${f.mosquittoWhat} at QoS 1 on loopback, persistence false, timed from mosquitto_pub's start until it had every PUBACK and mosquitto_sub printed all in order; no disk write at all`,
      ),
    ],
    [
      'msg-listen',
      timeText(
        f.listen,
        'send (clawbridge/client on a) → the line of `msg listen --json` on b, one message at a time',
      ),
    ],
    [
      'msg-ask',
      timeText(f.ask, '`msg ask b TEXT` against `msg serve --topic T -- cat`, each a cold CLI process'),
    ],
    ['term-true', timeText(f.termTrue, '`term b -- true`, cold, in turns with msg-ask')],
  ];
}

/** The section as printed after the loopback table: rows, lines with targets, notes. */
export function formatMessagesSection(f: MessagesFigures, notes: readonly string[]): string {
  const rows = messagesRows(f);
  const width = Math.max(...rows.map(([name]) => name.length));
  const out = ['messages: loopback, agents a and b over direct, side by side with mosquitto'];
  for (const [name, text] of rows) out.push(`  ${name.padEnd(width)}  ${text}`);
  const lines = messagesLines(f);
  out.push(
    '',
    ...alignColumns([
      ['ratio', 'value', 'target', 'result'],
      ...lines.map((l) => [
        `messages ${l.key}`,
        l.value === null ? '-' : formatValue(l.value, l.unit),
        l.target || '-',
        l.pass === undefined ? (l.target ? 'n/a' : '') : l.pass ? 'PASS' : 'MISS',
      ]),
    ]).map((l) => `  ${l}`),
  );
  for (const note of notes) out.push(`  note: ${note}`);
  return out.join('\n');
}

/** The section in `--json`: each row's figures (rounded) and the lines' values, keyed as printed. */
export function messagesJson(f: MessagesFigures): Record<string, unknown> {
  const r = (v: number | null) => (v === null || !Number.isFinite(v) ? null : round(v, 3));
  const time = (t: TimeFigures) =>
    t.skipped !== undefined || t.samplesMs.length === 0
      ? { skipped: t.skipped ?? 'not measured' }
      : { p50Ms: r(pct(t.samplesMs, 50)), p99Ms: r(pct(t.samplesMs, 99)), count: t.samplesMs.length };
  const rate = (x: RateFigures) =>
    x.skipped !== undefined
      ? { skipped: x.skipped }
      : { perS: r(medianRate(x)), turns: x.perS.map((v) => r(v)) };
  return {
    'msg-10k': rate(f.clawbridge),
    'msg-10k-delivered': rate(f.delivered),
    'mqtt-10k': rate(f.mosquitto),
    'msg-listen': time(f.listen),
    'msg-ask': time(f.ask),
    'term-true': time(f.termTrue),
    ratios: ratiosObject(messagesLines(f)),
  };
}
