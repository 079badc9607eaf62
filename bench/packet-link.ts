/**
 * A packet-level emulated link for `npm run bench:packet` (bench/packet-check.ts): two network
 * namespaces, each with a TUN device, joined by bench/packet-emulator.py. Unlike the profile sections'
 * TCP proxy (bench/link-emulator.ts), which ends every TCP connection on loopback at each side, here
 * the kernels' TCP runs end to end across the delay and the bottleneck, as it does between two real
 * machines: the host's congestion control, its windows and its send buffers all act. The addresses
 * are from 198.18.0.0/15, the range set aside for benchmarks (RFC 2544); nothing outside the two
 * namespaces can reach them. Needs Linux, root, /dev/net/tun, iproute2 and python3.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandWrap } from './child.js';
import { REPO_ROOT } from './child.js';
import { onAbort } from './on-abort.js';
import { killByPid, launch, which, type Launched } from './processes.js';

/** The client side's address (agent a, curl) and the serving side's (agent b, the file server). */
export const CLIENT_ADDRESS = '198.18.0.1';
export const SERVING_ADDRESS = '198.18.0.2';
/** How long the emulator may take to open both devices, in ms. */
const START_TIMEOUT_MS = 10_000;
/** How long the emulator may take to write its statistics, in ms. */
const STATS_TIMEOUT_MS = 5_000;

export interface QueueStats {
  packets: number;
  drops: number;
  /** Bytes that crossed (IP packets, headers included) in `seconds`. */
  bytes: number;
  seconds: number;
  waitP50Ms: number;
  waitP99Ms: number;
  waitMaxMs: number;
}

export interface PacketLink {
  /** The namespaces: `client` holds CLIENT_ADDRESS, `serving` SERVING_ADDRESS. */
  client: string;
  serving: string;
  /** `cmd args` run inside a namespace. */
  wrap(netns: string): CommandWrap;
  /** The TCP congestion control a new connection uses in the namespaces (the host's default). */
  congestionControl: string;
  /** The bottleneck queues since the last call, per direction (client → serving is up). */
  stats(): Promise<{ up: QueueStats; down: QueueStats }>;
  destroy(): Promise<void>;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/** True once something accepts TCP connections at `host:port` as seen from inside `netns`. */
export function acceptsIn(netns: string, host: string, port: number): boolean {
  try {
    execFileSync('ip', ['netns', 'exec', netns, 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`], {
      stdio: 'ignore',
      timeout: 2_000,
    });
    return true;
  } catch {
    return false;
  }
}

/** Why this machine cannot run the packet link, or null when it can. */
export function packetLinkUnavailable(): string | null {
  if (process.platform !== 'linux') return 'needs Linux (network namespaces and TUN devices)';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and TUN devices)';
  if (!existsSync('/dev/net/tun')) return 'needs /dev/net/tun';
  const missing = ['ip', 'python3', 'curl'].find((cmd) => !which(cmd));
  return missing ? `needs ${missing}` : null;
}

/** Joins two new namespaces by an emulated link of `mbit` each way, `rttMs`, `bufferBytes` of queue. */
export async function startPacketLink(mbit: number, rttMs: number, bufferBytes: number): Promise<PacketLink> {
  const client = `cbpkc${process.pid}`;
  const serving = `cbpks${process.pid}`;
  const statsFile = join(tmpdir(), `cb-bench-packet-${process.pid}.json`);
  let emulator: Launched | undefined;
  const deleteNamespaces = () => {
    for (const ns of [client, serving]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        /* never made */
      }
    }
  };
  // A run stopped by a signal still deletes the namespaces (the emulator is ended by its PID).
  const forget = onAbort(deleteNamespaces);
  const destroy = async () => {
    forget();
    await killByPid(emulator?.proc);
    deleteNamespaces();
    rmSync(statsFile, { force: true });
  };
  try {
    for (const [ns, own, peer] of [
      [client, CLIENT_ADDRESS, SERVING_ADDRESS],
      [serving, SERVING_ADDRESS, CLIENT_ADDRESS],
    ] as const) {
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'tuntap', 'add', 'dev', 'tun0', 'mode', 'tun');
      ip('-n', ns, 'addr', 'add', own, 'peer', peer, 'dev', 'tun0');
      ip('-n', ns, 'link', 'set', 'tun0', 'up', 'mtu', '1500');
    }
    const congestionControl = execFileSync(
      'ip',
      ['netns', 'exec', client, 'cat', '/proc/sys/net/ipv4/tcp_congestion_control'],
      { encoding: 'utf8' },
    ).trim();
    emulator = launch('python3', [
      join(REPO_ROOT, 'bench', 'packet-emulator.py'),
      client,
      serving,
      String(mbit),
      String(rttMs),
      String(bufferBytes),
      statsFile,
    ]);
    await emulator.waitFor(/^ready$/m, START_TIMEOUT_MS, 'the packet emulator');
    const proc = emulator.proc;
    return {
      client,
      serving,
      wrap: (ns) => (cmd, args) => ({ cmd: 'ip', args: ['netns', 'exec', ns, cmd, ...args] }),
      congestionControl,
      stats: async () => {
        rmSync(statsFile, { force: true });
        proc.kill('SIGUSR1');
        const deadline = performance.now() + STATS_TIMEOUT_MS;
        while (!existsSync(statsFile)) {
          if (performance.now() > deadline) throw new Error('the packet emulator wrote no statistics');
          await new Promise((r) => setTimeout(r, 20));
        }
        const s = JSON.parse(readFileSync(statsFile, 'utf8')) as { aToB: QueueStats; bToA: QueueStats };
        return { up: s.aToB, down: s.bToA };
      },
      destroy,
    };
  } catch (err) {
    await destroy();
    throw err;
  }
}
