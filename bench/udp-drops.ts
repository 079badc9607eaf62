/**
 * Where a UDP row's datagrams were lost in the kernel: Linux counts, per UDP socket, the datagrams it
 * dropped because the socket's receive buffer was full (the `drops` column of /proc/net/udp and
 * /proc/net/udp6). Read before and after a measurement, keyed by local port, it says which socket
 * (sender, forward listener, exit socket, sink) overflowed. The parsing is pure and unit-tested
 * (test/unit/bench/udp-drops.test.ts).
 */
import { readFileSync } from 'node:fs';

/** Kernel drops per local port in the text of /proc/net/udp (or udp6); ports with several sockets add up. */
export function parseProcNetUdp(text: string): Map<number, number> {
  const drops = new Map<number, number>();
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
    const local = cols[1];
    const count = Number(cols[cols.length - 1]);
    if (cols.length < 13 || !local?.includes(':') || !Number.isFinite(count)) continue;
    const port = Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    if (!Number.isInteger(port)) continue;
    drops.set(port, (drops.get(port) ?? 0) + count);
  }
  return drops;
}

/** Kernel drops per local UDP port on this machine, or null where /proc/net/udp does not exist. */
export function udpDropsByPort(): Map<number, number> | null {
  try {
    const all = new Map<number, number>();
    for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      for (const [port, n] of parseProcNetUdp(text)) all.set(port, (all.get(port) ?? 0) + n);
    }
    return all.size > 0 ? all : null;
  } catch {
    return null;
  }
}

/**
 * Drops between two readings, per port with a name in `names` (other ports with new drops are summed as
 * `other`: the exit's socket, whose port the bench does not learn). Only ports that dropped anything.
 */
export function dropsBetween(
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
  names: ReadonlyMap<number, string>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [port, n] of after) {
    const delta = n - (before.get(port) ?? 0);
    if (delta <= 0) continue;
    const name = names.get(port) ?? 'other';
    out.set(name, (out.get(name) ?? 0) + delta);
  }
  return out;
}

/** CPU seconds (user + system) `pid` has used, from /proc/PID/stat; null where it cannot be read. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    // USER_HZ is 100 on every Linux the bench runs on.
    return Number.isFinite(ticks) ? ticks / 100 : null;
  } catch {
    return null;
  }
}

/**
 * Packets a network device dropped, from the JSON of `ip -j -s link show dev DEV` and of
 * `tc -j -s qdisc show dev DEV`: the device's own receive and transmit drops (a TUN device drops on
 * transmit when the program reading it, wireguard-go, lets its queue fill) and its qdiscs' drops.
 * Null when the link's JSON has no statistics.
 */
export function parseDeviceDrops(linkJson: string, qdiscJson: string): number | null {
  const link = JSON.parse(linkJson) as {
    stats64?: { rx?: { dropped?: number }; tx?: { dropped?: number } };
  }[];
  const stats = link[0]?.stats64;
  if (!stats) return null;
  let qdiscDrops = 0;
  try {
    for (const q of JSON.parse(qdiscJson) as { drops?: number }[]) qdiscDrops += q.drops ?? 0;
  } catch {
    // No qdisc statistics (an older tc without -j): the device's own counters still count.
  }
  return (stats.rx?.dropped ?? 0) + (stats.tx?.dropped ?? 0) + qdiscDrops;
}

/**
 * Packets a network device carried both ways (received + transmitted), from the JSON of
 * `ip -j -s link show dev DEV`; null when it has no statistics. Through a tunnel's TUN device, one
 * packet is one tunnel datagram. Pure.
 */
export function parseDevicePackets(linkJson: string): number | null {
  const link = JSON.parse(linkJson) as {
    stats64?: { rx?: { packets?: number }; tx?: { packets?: number } };
  }[];
  const stats = link[0]?.stats64;
  if (!stats) return null;
  return (stats.rx?.packets ?? 0) + (stats.tx?.packets ?? 0);
}

/**
 * Where CPU is what limits (every process busy on shared cores), packets go at the rate their CPU
 * allows, so a path whose packets cost `pathUs` (the tunnel's own processes) plus `agentsUs` (the
 * forward's agents) of CPU carries about `plainUs` / (`pathUs` + `agentsUs`) of what plain UDP, at
 * `plainUs` a packet, carries. An estimate, not a measurement: on cores shared with other work, a
 * path with more busy processes also gets a larger share of them, so the measured ratio may read
 * higher. 0 when nothing was measured. Pure.
 */
export function cpuBoundRatio(plainUs: number, pathUs: number, agentsUs: number): number {
  const cost = pathUs + agentsUs;
  return plainUs > 0 && cost > 0 ? plainUs / cost : 0;
}
