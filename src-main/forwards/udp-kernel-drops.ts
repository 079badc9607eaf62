/**
 * Datagrams the kernel dropped at one of this process's UDP sockets because its receive buffer was full
 * (a burst that arrived while the event loop was busy). Linux counts them per socket, in the last
 * column (`drops`) of /proc/net/udp and /proc/net/udp6 of the network namespace; Node does not expose
 * SO_RXQ_OVFL, so a UDP forward reads them there, by its bound address and port, when its counters are
 * asked for (docs/design/windows.md §A UDP flow's queue; ADR 0055). Elsewhere (no /proc) nothing is
 * counted. The parsing is pure; reading is one small file per call.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { endianness } from 'node:os';

/** One socket's line: its local address as /proc prints it (hex), its port, and its drops. */
export interface ProcUdpSocket {
  localHex: string;
  port: number;
  drops: number;
}

/** The sockets listed in the text of /proc/net/udp or /proc/net/udp6 (lines it cannot read are skipped). */
export function parseProcUdp(text: string): ProcUdpSocket[] {
  const out: ProcUdpSocket[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
    if (cols.length < 13) continue;
    const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(cols[1] ?? '');
    const drops = Number(cols[cols.length - 1]);
    if (!m || !Number.isSafeInteger(drops) || drops < 0) continue;
    out.push({ localHex: m[1]!.toUpperCase(), port: Number.parseInt(m[2]!, 16), drops });
  }
  return out;
}

/** The 16 (IPv6) or 4 (IPv4) bytes of an IP address, or null when `address` is not one. */
export function addressBytes(address: string): Uint8Array | null {
  const family = isIP(address);
  if (family === 4) return Uint8Array.from(address.split('.').map(Number));
  if (family !== 6) return null;
  let text = address.split('%')[0]!;
  // An IPv4 tail (::ffff:1.2.3.4) is two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const double = text.indexOf('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const head = groups(double < 0 ? text : text.slice(0, double));
  const rest = double < 0 ? [] : groups(text.slice(double + 2));
  const words =
    double < 0 ? head : [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  if (words.length !== 8) return null;
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = (w >> 8) & 0xff;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/**
 * How /proc/net/udp{,6} prints `address`: each 32-bit word of it in the host's byte order, in hex
 * (`little` on x86 and arm64). Null when `address` is not an IP address.
 */
export function procAddressHex(address: string, order: 'LE' | 'BE' = endianness()): string | null {
  const bytes = addressBytes(address);
  if (!bytes) return null;
  let hex = '';
  for (let i = 0; i < bytes.length; i += 4) {
    const word = [...bytes.subarray(i, i + 4)];
    if (order === 'LE') word.reverse();
    hex += word.map((b) => b.toString(16).padStart(2, '0')).join('');
  }
  return hex.toUpperCase();
}

/** The drops of the socket bound to `address`:`port` in the listed sockets, or null if none is listed. */
export function dropsOf(sockets: readonly ProcUdpSocket[], address: string, port: number): number | null {
  const hex = procAddressHex(address);
  if (!hex) return null;
  let found: number | null = null;
  for (const s of sockets) {
    if (s.port === port && s.localHex === hex) found = (found ?? 0) + s.drops;
  }
  return found;
}

/**
 * Kernel drops so far of this process's UDP socket bound to `address`:`port` (its network namespace's
 * /proc/net/udp, or udp6 for an IPv6 address), or null where that cannot be read (not Linux).
 */
export function readKernelDrops(address: string, port: number): number | null {
  const file = isIP(address) === 6 ? '/proc/self/net/udp6' : '/proc/self/net/udp';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  return dropsOf(parseProcUdp(text), address, port);
}
