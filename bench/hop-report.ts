/**
 * Where a keystroke's time goes along a route, read from packet timestamps (bench/hop-passes.ts):
 * each link's TLS records are seen on loopback as the kernel takes them, so the time from a record
 * arriving at a hop to the record it sends on is that hop's pass, with nothing of ours in the clock.
 * Pure: tcpdump's text lines in, delays out (test/unit/bench/hop-report.test.ts).
 */
import { percentile } from './table.js';

/** One TCP segment with payload, as tcpdump -nn -tt printed it. */
export interface Segment {
  /** When the kernel saw it, in ms. */
  t: number;
  srcPort: number;
  dstPort: number;
  length: number;
}

const LINE = /^(\d+\.\d+) IP6? \S+?\.(\d+) > \S+?\.(\d+): .*\blength (\d+)/;

/** A segment with payload from one line of `tcpdump -nn -tt` (IPv4 or IPv6 TCP); null for anything else. */
export function parseTcpdumpLine(line: string): Segment | null {
  const m = LINE.exec(line);
  if (!m) return null;
  const length = Number(m[4]);
  if (length === 0) return null; // a bare TCP ACK carries none of our records
  // Seconds and their fraction apart: a double of the whole epoch in ms would lose the microseconds.
  const [seconds, fraction] = m[1]!.split('.') as [string, string];
  const t = Number(seconds) * 1000 + Number(`0.${fraction}`) * 1000;
  return { t, srcPort: Number(m[2]), dstPort: Number(m[3]), length };
}

/** A segment between two of the chain's agents, by name (owner maps each agent's local ports). */
interface Hop {
  t: number;
  from: string;
  to: string;
}

/** One key as typed: which session, when it was written (epoch ms, tcpdump's clock) and its echo time. */
export interface TypedKey {
  routed: boolean;
  at: number;
  echoMs: number;
}

/** The passes of one key on the route a → b → c → d and back, in order: [from, to] of each segment. */
const ROUTE: readonly (readonly [string, string])[] = [
  ['a', 'b'],
  ['b', 'c'],
  ['c', 'd'],
  ['d', 'c'],
  ['c', 'b'],
  ['b', 'a'],
];
const DIRECT: readonly (readonly [string, string])[] = [
  ['a', 'b'],
  ['b', 'a'],
];

/** What each interval between two consecutive segments of a routed key is. */
export const ROUTE_PASSES = [
  'b passes the key from a on to c',
  'c passes the key from b on to d',
  'd: key in → echo out (its terminal and cat)',
  'c passes the echo from d on to b',
  'b passes the echo from c on to a',
] as const;
export const ROUTE_TOTAL = 'a → b … d … b → a on the wire';
export const DIRECT_TURN = 'direct: b key in → echo out (its terminal and cat)';

/** Slack around a key's window, in ms: the two clocks are read microseconds apart from the writes. */
const WINDOW_SLACK_MS = 0.5;

/**
 * Times each pass of each key. A key's segments are those within its own window (from its write to
 * its echo), so the links' heartbeats and the delayed acknowledgements of earlier keys stay out; in
 * the window the key's steps are the first segments in route order. A key whose window lacks a step
 * (a lost capture) is skipped.
 * @param owner local port → agent name, for every port of the chain's links
 */
export function keyPasses(
  segments: readonly Segment[],
  owner: ReadonlyMap<number, string>,
  keys: readonly TypedKey[],
): Map<string, number[]> {
  const hops: Hop[] = [];
  for (const s of segments) {
    const from = owner.get(s.srcPort);
    const to = owner.get(s.dstPort);
    if (from && to) hops.push({ t: s.t, from, to });
  }
  hops.sort((x, y) => x.t - y.t);
  const out = new Map<string, number[]>();
  const add = (k: string, v: number) => out.set(k, [...(out.get(k) ?? []), v]);
  for (const key of keys) {
    const from = key.at - WINDOW_SLACK_MS;
    const until = key.at + key.echoMs + WINDOW_SLACK_MS;
    const window = hops.filter((h) => h.t >= from && h.t <= until);
    const times: number[] = [];
    let t = from;
    for (const [a, b] of key.routed ? ROUTE : DIRECT) {
      const h = window.find((x) => x.from === a && x.to === b && x.t >= t);
      if (!h) break;
      times.push(h.t);
      t = h.t;
    }
    if (!key.routed) {
      if (times.length === 2) add(DIRECT_TURN, times[1]! - times[0]!);
      continue;
    }
    if (times.length !== ROUTE.length) continue;
    ROUTE_PASSES.forEach((name, i) => add(name, times[i + 1]! - times[i]!));
    add(ROUTE_TOTAL, times.at(-1)! - times[0]!);
  }
  return out;
}

/** One line per pass: `name  p50 / p90 ms  (n keys)`. */
export function passLines(passes: ReadonlyMap<string, number[]>): string[] {
  const names = [...ROUTE_PASSES, ROUTE_TOTAL, DIRECT_TURN];
  const width = Math.max(...names.map((n) => n.length));
  return names
    .filter((n) => (passes.get(n)?.length ?? 0) > 0)
    .map((n) => {
      const xs = passes.get(n)!;
      return `  ${n.padEnd(width)}  ${percentile(xs, 50).toFixed(2)} / ${percentile(xs, 90).toFixed(2)} ms  (${xs.length} keys)`;
    });
}

/** What `ss -tnpH` says: local port → the PID of the process that owns the socket. */
export function portOwners(ssOutput: string, names: ReadonlyMap<number, string>): Map<number, string> {
  const owners = new Map<number, string>();
  for (const line of ssOutput.split('\n')) {
    const m = /\S+:(\d+)\s+\S+:\d+\s.*\bpid=(\d+)/.exec(line);
    const name = m && names.get(Number(m[2]));
    if (name) owners.set(Number(m[1]), name);
  }
  return owners;
}
