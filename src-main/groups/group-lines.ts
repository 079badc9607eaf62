/**
 * What one side of a `groups` exchange sends (docs/protocol.md §Groups): JSON lines, each at most
 * MAX_GROUP_LINE_BYTES, then the half-close. A line is a signed record (`{"record": …}`), a group this
 * person joined (`{"joined": ID, "inviters": [FP…]}`, between a person's own devices only) or where a
 * group's device may be dialed (`{"hint": FP, "addresses": […]}`, with `"relay": {"url": …,
 * "fingerprint": …}` when its home relay is known, from the group's devices to a member's: a hint
 * only, the link proves who answers). A side reads at most MAX_GROUP_EXCHANGE_LINES
 * lines; past any bound the whole exchange is refused.
 */
import type { Duplex } from 'node:stream';
import { dialAddressProblem } from '../core/host-port.js';
import { GROUP_ID, MAX_GROUP_LINE_BYTES, type GroupRecord } from '../protocol/group-records.js';
import { readLines } from '../services/exchange-lines.js';
import type { ExchangeTimers } from '../services/peer-exchanges.js';
import { GROUP_BOUNDS } from './group-plan.js';

/** The service's name on the registry. */
export const GROUPS_SERVICE = 'groups';
/** What the opener sends as the stream's arguments. */
export const GROUPS_OPEN_ARGS = { v: 1 } as const;
/** Lines one side may send: a group's records, the joined groups, a hint per device. */
export const MAX_GROUP_EXCHANGE_LINES =
  GROUP_BOUNDS.recordsPerExchange +
  GROUP_BOUNDS.groups +
  GROUP_BOUNDS.deletedGroups +
  GROUP_BOUNDS.devicesPerGroup;
/** Addresses one hint names. */
export const MAX_HINT_ADDRESSES = 8;

const FINGERPRINT = /^[0-9a-f]{64}$/;

/** Where a group's device may be met: a hint, as its hello told a device of its group. */
export interface DeviceHint {
  /** Direct addresses, best first. */
  addresses: readonly string[];
  /** Its home relay (never a token: only where, and the pin of a wss:// relay). */
  relay?: { url: string; fingerprint?: string };
}

/** What one side sent. */
export interface GroupExchange {
  records: unknown[];
  joined: Map<string, Set<string>>;
  hints: Map<string, DeviceHint>;
}

export function writeExchange(
  stream: Duplex,
  records: readonly GroupRecord[],
  joined: ReadonlyMap<string, ReadonlySet<string>>,
  hints: ReadonlyMap<string, DeviceHint>,
): void {
  if (!stream.writable || stream.destroyed) return;
  const line = (v: unknown) => stream.write(`${JSON.stringify(v)}\n`);
  for (const r of records) line({ record: r });
  for (const [g, inviters] of joined) line({ joined: g, inviters: [...inviters] });
  for (const [fp, { addresses, relay }] of hints)
    line({
      hint: fp,
      addresses: addresses.slice(0, MAX_HINT_ADDRESSES),
      ...(relay
        ? { relay: { url: relay.url, ...(relay.fingerprint ? { fingerprint: relay.fingerprint } : {}) } }
        : {}),
    });
}

/** One line, checked: why it is none of the three, or undefined when it was added to `into`. */
function takeLine(text: string, into: GroupExchange): string | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'a line that is not JSON';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'a line that is not an object';
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(',');
  if (keys === 'record') {
    into.records.push(o.record);
    return undefined;
  }
  const fps = (x: unknown, max: number): x is string[] =>
    Array.isArray(x) &&
    x.length >= 1 &&
    x.length <= max &&
    x.every((f) => typeof f === 'string' && FINGERPRINT.test(f));
  if (keys === 'inviters,joined') {
    if (
      typeof o.joined !== 'string' ||
      !GROUP_ID.test(o.joined) ||
      !fps(o.inviters, GROUP_BOUNDS.ownersPerGroup)
    )
      return 'a malformed joined line';
    into.joined.set(o.joined, new Set(o.inviters));
    return undefined;
  }
  if (keys === 'addresses,hint' || keys === 'addresses,hint,relay') {
    const list = o.addresses;
    if (
      typeof o.hint !== 'string' ||
      !FINGERPRINT.test(o.hint) ||
      !Array.isArray(list) ||
      list.length > MAX_HINT_ADDRESSES
    )
      return 'a malformed hint line';
    const ok = list.filter(
      (a): a is string => typeof a === 'string' && a.length <= 300 && !dialAddressProblem(a),
    );
    const relay = o.relay === undefined ? undefined : relayHint(o.relay);
    if (o.relay !== undefined && !relay) return 'a malformed hint line (its relay)';
    into.hints.set(o.hint, { addresses: ok, ...(relay ? { relay } : {}) });
    return undefined;
  }
  return `a line of unknown shape (${keys.slice(0, 40)})`;
}

/**
 * A hint's relay: a ws:// or wss:// URL of at most 300 characters with a host, and a certificate pin
 * only for wss:// (the only scheme with one); undefined for anything else.
 */
function relayHint(v: unknown): { url: string; fingerprint?: string } | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const { url, fingerprint, ...rest } = v as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || typeof url !== 'string' || url.length > 300) return undefined;
  // eslint-disable-next-line no-control-regex -- a URL with a control character is no URL here
  if (/[\u0000-\u001f\u007f]/.test(url)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if ((parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') || parsed.hostname === '') return undefined;
  if (fingerprint === undefined) return { url };
  if (typeof fingerprint !== 'string' || !FINGERPRINT.test(fingerprint) || parsed.protocol !== 'wss:')
    return undefined;
  return { url, fingerprint };
}

/** Every line on `stream` until its end, or why the exchange is refused (a bound, a bad line, time). */
export async function readExchange(
  stream: Duplex,
  timeoutMs: number,
  timers?: ExchangeTimers,
): Promise<GroupExchange | { problem: string }> {
  const got: GroupExchange = { records: [], joined: new Map(), hints: new Map() };
  const bounds = {
    noun: 'line',
    maxLines: MAX_GROUP_EXCHANGE_LINES,
    maxLineBytes: MAX_GROUP_LINE_BYTES,
    timeoutMs,
  };
  const read = await readLines(stream, bounds, (text) => takeLine(text, got), timers);
  return 'problem' in read ? read : got;
}
