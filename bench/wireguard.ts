/**
 * `npm run bench:wireguard`: issue 56's WireGuard row. One wireguard-go tunnel between two network
 * namespaces this bench creates, its endpoint changed between turns: plain UDP over the namespaces' veth
 * (the control), a Clawbridge UDP forward over a direct link, and one over a relay-only link (the relay
 * in the first namespace, over `wss://`). In each turn iperf3 runs TCP inside the tunnel (Mbit/s,
 * retransmits), then UDP at UDP_RATE (what iperf3 counted lost), and over each run the bench reads what
 * the forward counted dropped, the kernel's drops per socket (/proc/net/udp of each namespace: the
 * forward's listener, the far WireGuard's socket, the exit's sockets, `other`) and the TUN devices'
 * own drops (`ip -s link`, `tc -s qdisc`), so a turn's loss splits into where it happened. The
 * paths alternate within each turn so their ratios are measured side by side. Needs Linux, root,
 * /dev/net/tun, iproute2, wireguard-go, wg and iperf3; prints why it skips otherwise. Every process it
 * starts is ended by its PID and both namespaces are deleted.
 *
 * Topology: agent a and the relay in namespace 1; agent b (direct, listening on the veth) and agent c
 * (`--no-direct`) in namespace 2. Forwards on a: `wgd` via b and `wgr` via c, both to the far
 * WireGuard's port on namespace 2's loopback.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI as BUILT_CLI, runCli as runBuiltCli } from './cli-agents.js';
import { killByPid, launch, which, type Launched } from './processes.js';
import {
  cpuBoundRatio,
  cpuSeconds,
  dropsBetween,
  parseDeviceDrops,
  parseDevicePackets,
  parseProcNetUdp,
} from './udp-drops.js';
import { median } from './table.js';

/** Seconds of each iperf3 run. */
const SECONDS = Number(process.env.CLAWBRIDGE_BENCH_WG_SECONDS ?? 5);
/** Turns: each runs every path once (TCP then UDP). */
const TURNS = Number(process.env.CLAWBRIDGE_BENCH_WG_TURNS ?? 2);
/** iperf3's UDP offered rate (the issue's 200 Mbit/s). */
const UDP_RATE = process.env.CLAWBRIDGE_BENCH_WG_UDP_RATE ?? '200M';
/** iperf3's UDP payload: one datagram per WireGuard packet under the tunnel's 1,420-byte MTU. */
const UDP_LENGTH = 1280;
/** Issue 56's lines: TCP inside the tunnel through the forward over plain UDP's. */
const TARGET_DIRECT = 0.8;
const TARGET_RELAY = 0.6;
/** Ports inside the namespaces (new namespaces: free). */
const WG_PORT_B = 51820;
const WG_PORT_A = 51821;
const FWD_DIRECT_PORT = 41001;
const FWD_RELAY_PORT = 41002;
const AGENT_B_PORT = 7475;
const START_MS = 20_000;
/** The CLI to run: this checkout's build, or another's (CLAWBRIDGE_BENCH_CLI=/path/to/bin/clawbridge.js). */
const CLI = process.env.CLAWBRIDGE_BENCH_CLI ?? BUILT_CLI;
const runCli = (args: string[], cli = CLI) => runBuiltCli(args, cli);
/**
 * A second build to measure side by side (CLAWBRIDGE_BENCH_WG_CLI_B=/path/to/bin/clawbridge.js): its own
 * pair of agents in the same namespaces, its own forward, measured as path `directB` in the same turns
 * as the others, so a change to the forward is compared with the build before it in one run.
 */
const CLI_B = process.env.CLAWBRIDGE_BENCH_WG_CLI_B;
const FWD_DIRECT_B_PORT = 41003;
const AGENT_B2_PORT = 7476;

type PathName = 'plain' | 'direct' | 'relay' | 'directB';
/** The paths measured (CLAWBRIDGE_BENCH_WG_PATHS=plain,direct to leave one out while profiling). */
const PATHS: PathName[] = (
  process.env.CLAWBRIDGE_BENCH_WG_PATHS ?? `plain,direct,relay${CLI_B ? ',directB' : ''}`
)
  .split(',')
  .filter(
    (p): p is PathName => p === 'plain' || p === 'direct' || p === 'relay' || (p === 'directB' && !!CLI_B),
  );
/** Extra Node options for the agents (as bench/cli-agents.ts reads them: `--cpu-prof --cpu-prof-dir=DIR`). */
const AGENT_NODE_ARGS = (process.env.CLAWBRIDGE_BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);

export function wireguardUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces and TUN devices need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces and TUN devices need root';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  for (const [cmd, pkg] of [
    ['ip', 'iproute2'],
    ['wireguard-go', 'wireguard-go'],
    ['wg', 'wireguard-tools'],
    ['iperf3', 'iperf3'],
  ] as const) {
    if (!which(cmd)) return `${cmd} is not installed (Debian package ${pkg})`;
  }
  return undefined;
}

const run = (cmd: string, args: string[], input?: string): string =>
  execFileSync(cmd, args, { stdio: 'pipe', ...(input !== undefined ? { input } : {}) })
    .toString()
    .trim();
const inNs = (ns: string, cmd: string, ...args: string[]): string =>
  run('ip', ['netns', 'exec', ns, cmd, ...args]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ForwardCounts {
  datagramsIn: number;
  datagramsOut: number;
  dropped: number;
  kernelDropped?: number;
}

interface UdpTurn {
  path: PathName;
  sent: number;
  lost: number;
  lostPercent: number;
  forward?: { dropped: number; out: number; kernelDropped?: number };
  /** CPU time of the agents (and relay) on the path per datagram the forward sent on, in µs. */
  cpuUsPerDatagram?: number;
  kernel: Record<string, number>;
}

interface TcpTurn {
  path: PathName;
  mbps: number;
  retransmits: number;
  /** The tunnelled TCP's mean and largest RTT (iperf3's sender, from the kernel's tcp_info), in ms. */
  rttMs: number;
  maxRttMs: number;
  /** Its largest congestion window, in KiB. */
  cwndKiB: number;
  /** CPU time of the agents (and relay) on the path per datagram the forward carried either way, in µs. */
  cpuUsPerDatagram?: number;
  /**
   * CPU time of the tunnel's own processes (both wireguard-go, both iperf3) per packet through the
   * sending TUN device either way, in µs: what the tunnel costs without a forward.
   */
  tunnelUsPerPacket?: number;
}

async function main(): Promise<void> {
  const why = wireguardUnavailable();
  if (why) {
    console.log(`wireguard: skipped (${why})`);
    return;
  }
  const id = `cbwb${process.pid % 10000}`;
  const [n1, n2] = [`${id}1`, `${id}2`];
  const [vethA, vethB, wgA, wgB] = [`${id}va`, `${id}vb`, `${id}wa`, `${id}wb`];
  const [addrA, addrB] = ['198.18.91.1', '198.18.91.2'];
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-wg-'));
  const procs: Launched[] = [];
  /** wireguard-go on both sides and the iperf3 server: the tunnel's processes (`ip netns exec` execs them). */
  const tunnelPids: number[] = [];
  const cleanups: (() => void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const env = { ...process.env, CLAWBRIDGE_LOG: 'warn' };
  const inNsLaunch = (ns: string, cmd: string, args: string[], extraEnv?: NodeJS.ProcessEnv): Launched => {
    const p = launch('ip', ['netns', 'exec', ns, cmd, ...args], { ...env, ...extraEnv });
    procs.push(p);
    return p;
  };
  try {
    run('ip', ['netns', 'add', n1]);
    cleanups.push(() => run('ip', ['netns', 'del', n1]));
    run('ip', ['netns', 'add', n2]);
    cleanups.push(() => run('ip', ['netns', 'del', n2]));
    run('ip', ['link', 'add', vethA, 'type', 'veth', 'peer', 'name', vethB]);
    run('ip', ['link', 'set', vethA, 'netns', n1]);
    run('ip', ['link', 'set', vethB, 'netns', n2]);
    for (const [ns, dev, addr] of [
      [n1, vethA, addrA],
      [n2, vethB, addrB],
    ] as const) {
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      run('ip', ['-n', ns, 'addr', 'add', `${addr}/30`, 'dev', dev]);
      run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }

    // The relay and agent a in namespace 1; b (direct) and c (relay only) in namespace 2.
    const relay = inNsLaunch(n1, process.execPath, [
      CLI,
      'relay',
      '--home',
      join(dir, 'relay'),
      '--listen',
      `${addrA}:0`,
    ]);
    const [, url, relayFp] = await relay.waitFor(
      /relay listening on (wss:\/\/\S+) fingerprint ([0-9a-f]{64})/,
      START_MS,
      'relay',
    );
    const relayArgs = ['--relay', url!, '--relay-fingerprint', relayFp!];
    const relayPid = relay.proc.pid ?? 0;
    const agent = async (ns: string, name: string, extra: string[], cli = CLI) => {
      const home = join(dir, name);
      const p = inNsLaunch(ns, process.execPath, [
        ...AGENT_NODE_ARGS,
        cli,
        'agent',
        '--home',
        home,
        '--name',
        name,
        ...extra,
      ]);
      const m = await p.waitFor(/fingerprint ([0-9a-f]{64}), direct (\S+)/, START_MS, `agent ${name}`);
      return { home, fingerprint: m[1]!, pid: p.proc.pid ?? 0 };
    };
    const [a, b, c] = await Promise.all([
      agent(n1, 'a', [...relayArgs, '--listen', `${addrA}:0`]),
      agent(n2, 'b', [...relayArgs, '--listen', `${addrB}:${AGENT_B_PORT}`]),
      agent(n2, 'c', [...relayArgs, '--no-direct']),
    ]);
    await runCli(['peers', 'add', a.fingerprint, '--name', 'a', '--home', b.home]);
    await runCli(['peers', 'add', a.fingerprint, '--name', 'a', '--home', c.home]);
    await runCli([
      'peers',
      'add',
      b.fingerprint,
      '--name',
      'b',
      '--address',
      `${addrB}:${AGENT_B_PORT}`,
      '--home',
      a.home,
    ]);
    await runCli(['peers', 'add', c.fingerprint, '--name', 'c', '--home', a.home]);
    await waitForPath(a.home, 'b', 'direct');
    await waitForPath(a.home, 'c', 'relay');
    for (const [name, port, via] of [
      ['wgd', FWD_DIRECT_PORT, 'b'],
      ['wgr', FWD_RELAY_PORT, 'c'],
    ] as const) {
      await runCli([
        'forward',
        'add',
        '--udp',
        '--listen',
        `127.0.0.1:${port}`,
        '--via',
        via,
        '--to',
        `127.0.0.1:${WG_PORT_B}`,
        '--name',
        name,
        '--home',
        a.home,
      ]);
    }
    // The other build's pair (CLAWBRIDGE_BENCH_WG_CLI_B): a2 beside a, b2 beside b, a direct link.
    let pairB: { a2: { home: string; pid: number }; b2: { pid: number } } | undefined;
    if (CLI_B && PATHS.includes('directB')) {
      const [a2, b2] = await Promise.all([
        agent(n1, 'a2', ['--listen', `${addrA}:0`], CLI_B),
        agent(n2, 'b2', ['--listen', `${addrB}:${AGENT_B2_PORT}`], CLI_B),
      ]);
      await runCli(['peers', 'add', a2.fingerprint, '--name', 'a', '--home', b2.home], CLI_B);
      await runCli(
        [
          'peers',
          'add',
          b2.fingerprint,
          '--name',
          'b',
          '--address',
          `${addrB}:${AGENT_B2_PORT}`,
          '--home',
          a2.home,
        ],
        CLI_B,
      );
      await waitForPath(a2.home, 'b', 'direct', CLI_B);
      await runCli(
        [
          'forward',
          'add',
          '--udp',
          '--listen',
          `127.0.0.1:${FWD_DIRECT_B_PORT}`,
          '--via',
          'b',
          '--to',
          `127.0.0.1:${WG_PORT_B}`,
          '--name',
          'wgdB',
          '--home',
          a2.home,
        ],
        CLI_B,
      );
      pairB = { a2, b2 };
    }

    // WireGuard on both sides: wgB listens on WG_PORT_B (all addresses) and learns its peer's endpoint
    // from what arrives; wgA's endpoint is what each turn sets.
    const keys = [0, 1].map(() => {
      const priv = run('wg', ['genkey']);
      return { priv, pub: run('wg', ['pubkey'], priv) };
    });
    keys.forEach((k, i) => writeFileSync(join(dir, `k${i}`), k.priv, { mode: 0o600 }));
    for (const [ns, dev] of [
      [n1, wgA],
      [n2, wgB],
    ] as const) {
      const wg = inNsLaunch(ns, 'wireguard-go', ['--foreground', dev], {
        WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD: '1',
      });
      tunnelPids.push(wg.proc.pid ?? 0);
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          inNs(ns, 'ip', 'link', 'show', dev);
          break;
        } catch {
          if (Date.now() > deadline) throw new Error(`wireguard-go did not create ${dev}`);
          await sleep(100);
        }
      }
    }
    inNs(n1, 'wg', 'set', wgA, 'listen-port', String(WG_PORT_A), 'private-key', join(dir, 'k0'));
    inNs(n1, 'wg', 'set', wgA, 'peer', keys[1]!.pub, 'allowed-ips', '10.99.0.2/32');
    inNs(n2, 'wg', 'set', wgB, 'listen-port', String(WG_PORT_B), 'private-key', join(dir, 'k1'));
    inNs(n2, 'wg', 'set', wgB, 'peer', keys[0]!.pub, 'allowed-ips', '10.99.0.1/32');
    inNs(n1, 'ip', 'addr', 'add', '10.99.0.1/24', 'dev', wgA);
    inNs(n2, 'ip', 'addr', 'add', '10.99.0.2/24', 'dev', wgB);
    inNs(n1, 'ip', 'link', 'set', wgA, 'up');
    inNs(n2, 'ip', 'link', 'set', wgB, 'up');
    const server = inNsLaunch(n2, 'iperf3', ['-s', '-B', '10.99.0.2', '--forceflush']);
    await server.waitFor(/Server listening/, START_MS, 'iperf3 -s');
    tunnelPids.push(server.proc.pid ?? 0);
    const tunnelCpu = () => tunnelPids.reduce((sum, pid) => sum + (cpuSeconds(pid) ?? 0), 0);
    /** Packets through the sending side's TUN device, both ways (one tunnel datagram each). */
    const tunPackets = (): number =>
      parseDevicePackets(inNs(n1, 'ip', '-j', '-s', 'link', 'show', 'dev', wgA)) ?? 0;

    const endpoint: Record<PathName, string> = {
      plain: `${addrB}:${WG_PORT_B}`,
      direct: `127.0.0.1:${FWD_DIRECT_PORT}`,
      relay: `127.0.0.1:${FWD_RELAY_PORT}`,
      directB: `127.0.0.1:${FWD_DIRECT_B_PORT}`,
    };
    const forwardName: Partial<Record<PathName, string>> = { direct: 'wgd', relay: 'wgr', directB: 'wgdB' };
    let lastEndpoint = '';
    let lastPath: PathName | undefined;
    const usePath = async (path: PathName) => {
      if (path === lastPath) return;
      lastPath = path;
      inNs(n1, 'wg', 'set', wgA, 'peer', keys[1]!.pub, 'endpoint', endpoint[path]);
      // A datagram into the tunnel until the far side has moved its endpoint to where this path's
      // packets come from (the handshake or the roam done before anything is timed).
      const host = path === 'plain' ? addrA : '127.0.0.1';
      // What the last turn queued on the path it used may still arrive (and move the endpoint back).
      await sleep(1_000);
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        run('ip', ['netns', 'exec', n1, 'bash', '-c', 'echo probe > /dev/udp/10.99.0.2/9']);
        await sleep(200);
        const now = inNs(n2, 'wg', 'show', wgB, 'endpoints').split(/\s+/)[1] ?? '';
        if (now.startsWith(`${host}:`) && (path === 'plain' || now !== lastEndpoint)) {
          lastEndpoint = now;
          return;
        }
      }
      throw new Error(`the tunnel did not move to the ${path} path (endpoint ${lastEndpoint})`);
    };
    const forwardCounts = async (name: string): Promise<ForwardCounts> => {
      const [home, cli] = name === 'wgdB' && pairB ? [pairB.a2.home, CLI_B] : [a.home, CLI];
      const list = JSON.parse(
        await runCli(['forward', 'list', '--json', '--home', home], cli),
      ) as (ForwardCounts & {
        name: string;
      })[];
      const f = list.find((x) => x.name === name);
      return {
        datagramsIn: f?.datagramsIn ?? 0,
        datagramsOut: f?.datagramsOut ?? 0,
        dropped: f?.dropped ?? 0,
        ...(f?.kernelDropped !== undefined ? { kernelDropped: f.kernelDropped } : {}),
      };
    };
    const kernelDrops = () => {
      const read = (ns: string) =>
        parseProcNetUdp(
          inNs(ns, 'cat', '/proc/net/udp') +
            '\n' +
            inNs(ns, 'cat', '/proc/net/udp6').split('\n').slice(1).join('\n'),
        );
      return { n1: read(n1), n2: read(n2) };
    };
    /**
     * Packets the tunnel's devices dropped in each namespace: the TUN device's own counters (a full
     * queue between the kernel and wireguard-go: `ip -s link`) and its qdisc's (`tc -s qdisc`).
     * iperf3's datagrams that never reached the forward's socket are lost here or inside wireguard-go.
     */
    const deviceDrops = (): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const [ns, dev, label] of [
        [n1, wgA, 'n1 wg a device'],
        [n2, wgB, 'n2 wg b device'],
      ] as const) {
        try {
          let qdisc = '[]';
          try {
            qdisc = inNs(ns, 'tc', '-j', '-s', 'qdisc', 'show', 'dev', dev);
          } catch {
            // No tc: the device's own counters still count.
          }
          const n = parseDeviceDrops(inNs(ns, 'ip', '-j', '-s', 'link', 'show', 'dev', dev), qdisc);
          if (n !== null) out[label] = n;
        } catch {
          // No JSON from ip: the split below leaves these in "the rest".
        }
      }
      return out;
    };
    const deviceDropsBetween = (a: Record<string, number>, b: Record<string, number>) => {
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(b)) if (v - (a[k] ?? 0) > 0) out[k] = v - (a[k] ?? 0);
      return out;
    };
    const names1 = new Map<number, string>([
      [FWD_DIRECT_PORT, 'forward listener'],
      [FWD_RELAY_PORT, 'forward listener'],
      [FWD_DIRECT_B_PORT, 'forward listener B'],
      [WG_PORT_A, 'wg a'],
    ]);
    const names2 = new Map<number, string>([[WG_PORT_B, 'wg b']]);

    const tcp: TcpTurn[] = [];
    const udp: UdpTurn[] = [];
    // Uncounted warm-up through each path: the agents' first seconds run code not compiled yet.
    for (const path of PATHS) {
      await usePath(path);
      await iperf(n1, ['-t', '2']);
    }
    for (let turn = 1; turn <= TURNS; turn++) {
      for (const path of PATHS) {
        await usePath(path);
        const name = forwardName[path];
        const pids =
          path === 'direct'
            ? [a.pid, b.pid]
            : path === 'relay'
              ? [a.pid, c.pid, relayPid]
              : path === 'directB' && pairB
                ? [pairB.a2.pid, pairB.b2.pid]
                : [];
        const cpu = () => pids.reduce((sum, pid) => sum + (cpuSeconds(pid) ?? 0), 0);
        const tcpBefore = name ? await forwardCounts(name) : undefined;
        const tcpK0 = kernelDrops();
        const tcpD0 = deviceDrops();
        const tcpCpu0 = cpu();
        const tunnelCpu0 = tunnelCpu();
        const packets0 = tunPackets();
        const t = await iperf(n1, ['-t', String(SECONDS)]);
        const tcpCpu = cpu() - tcpCpu0;
        const packets = tunPackets() - packets0;
        // The iperf3 client is gone by now: its own CPU share as iperf3 measured it (% of the run).
        const clientCpu =
          (((t.end as { cpu_utilization_percent?: { host_total?: number } }).cpu_utilization_percent
            ?.host_total ?? 0) *
            SECONDS) /
          100;
        const tunnelUsPerPacket = (1e6 * (tunnelCpu() - tunnelCpu0 + clientCpu)) / Math.max(1, packets);
        const tcpK1 = kernelDrops();
        const tcpD1 = deviceDrops();
        const tcpAfter = name ? await forwardCounts(name) : undefined;
        // Where the tunnelled TCP's segments were lost: the forward's drops and each socket's kernel drops.
        const tcpKernel: Record<string, number> = {};
        for (const [k, v] of dropsBetween(tcpK0.n1, tcpK1.n1, names1)) tcpKernel[`n1 ${k}`] = v;
        for (const [k, v] of dropsBetween(tcpK0.n2, tcpK1.n2, names2)) tcpKernel[`n2 ${k}`] = v;
        Object.assign(tcpKernel, deviceDropsBetween(tcpD0, tcpD1));
        const end = t.end as {
          sum_received: { bits_per_second: number };
          sum_sent: { retransmits?: number };
          streams?: { sender?: { mean_rtt?: number; max_rtt?: number; max_snd_cwnd?: number } }[];
        };
        const sender = end.streams?.[0]?.sender;
        const row: TcpTurn = {
          path,
          mbps: end.sum_received.bits_per_second / 1e6,
          retransmits: end.sum_sent.retransmits ?? 0,
          rttMs: (sender?.mean_rtt ?? 0) / 1000,
          maxRttMs: (sender?.max_rtt ?? 0) / 1000,
          cwndKiB: (sender?.max_snd_cwnd ?? 0) / 1024,
          tunnelUsPerPacket,
          ...(tcpBefore && tcpAfter
            ? {
                cpuUsPerDatagram:
                  (1e6 * tcpCpu) /
                  Math.max(
                    1,
                    tcpAfter.datagramsOut -
                      tcpBefore.datagramsOut +
                      tcpAfter.datagramsIn -
                      tcpBefore.datagramsIn,
                  ),
              }
            : {}),
        };
        tcp.push(row);
        console.log(
          `wireguard turn ${turn} tcp ${path}: ${row.mbps.toFixed(0)} Mbit/s, ${row.retransmits} retransmits, RTT mean ${row.rttMs.toFixed(1)} max ${row.maxRttMs.toFixed(0)} ms, cwnd max ${row.cwndKiB.toFixed(0)} KiB, the tunnel's CPU ${tunnelUsPerPacket.toFixed(1)} µs per packet${row.cpuUsPerDatagram !== undefined ? `, agents' CPU ${row.cpuUsPerDatagram.toFixed(1)} µs per datagram` : ''}` +
            (tcpBefore && tcpAfter ? `, forward dropped ${tcpAfter.dropped - tcpBefore.dropped}` : '') +
            `; kernel drops ${JSON.stringify(tcpKernel)} (load ${loadAvg()})`,
        );
        const before = name ? await forwardCounts(name) : undefined;
        const k0 = kernelDrops();
        const d0 = deviceDrops();
        const udpCpu0 = cpu();
        const u = await iperf(n1, ['-u', '-b', UDP_RATE, '-l', String(UDP_LENGTH), '-t', String(SECONDS)]);
        // Let the last datagrams drain before the counters are read.
        await sleep(500);
        const udpCpu = cpu() - udpCpu0;
        const k1 = kernelDrops();
        const d1 = deviceDrops();
        const after = name ? await forwardCounts(name) : undefined;
        const sum = (u.end as { sum: { packets: number; lost_packets: number; lost_percent: number } }).sum;
        const kernel: Record<string, number> = {};
        for (const [k, v] of dropsBetween(k0.n1, k1.n1, names1)) kernel[`n1 ${k}`] = v;
        for (const [k, v] of dropsBetween(k0.n2, k1.n2, names2)) kernel[`n2 ${k}`] = v;
        Object.assign(kernel, deviceDropsBetween(d0, d1));
        const urow: UdpTurn = {
          path,
          sent: sum.packets,
          lost: sum.lost_packets,
          lostPercent: sum.lost_percent,
          kernel,
          ...(before && after
            ? {
                forward: {
                  dropped: after.dropped - before.dropped,
                  out: after.datagramsOut - before.datagramsOut,
                  ...(after.kernelDropped !== undefined
                    ? { kernelDropped: after.kernelDropped - (before.kernelDropped ?? 0) }
                    : {}),
                },
                cpuUsPerDatagram: (1e6 * udpCpu) / Math.max(1, after.datagramsOut - before.datagramsOut),
              }
            : {}),
        };
        udp.push(urow);
        console.log(
          `wireguard turn ${turn} udp ${path}: ${urow.lost}/${urow.sent} lost (${urow.lostPercent.toFixed(2)} %)` +
            (urow.forward
              ? `, forward counted ${urow.forward.dropped} dropped` +
                (urow.forward.kernelDropped !== undefined
                  ? ` (${urow.forward.kernelDropped} by the kernel)`
                  : '') +
                ` of ${urow.forward.out} sent on, agents' CPU ${urow.cpuUsPerDatagram?.toFixed(1)} µs per datagram`
              : '') +
            `; kernel drops ${JSON.stringify(kernel)}`,
        );
      }
    }

    const mbpsOf = (path: PathName) => median(tcp.filter((r) => r.path === path).map((r) => r.mbps));
    const plain = mbpsOf('plain');
    console.log('');
    console.log(`wireguard rows (median of ${TURNS} turns of ${SECONDS} s; load ${loadAvg()})`);
    const tunnelUsOf = (path: PathName) =>
      median(tcp.filter((r) => r.path === path).map((r) => r.tunnelUsPerPacket ?? 0));
    for (const path of PATHS) {
      const m = mbpsOf(path);
      const retr = median(tcp.filter((r) => r.path === path).map((r) => r.retransmits));
      const tunnelUs = tunnelUsOf(path);
      const agentsUs = median(tcp.filter((r) => r.path === path).map((r) => r.cpuUsPerDatagram ?? 0));
      const cpu =
        path === 'plain'
          ? `  CPU ${tunnelUs.toFixed(1)} µs/packet`
          : `  CPU ${tunnelUs.toFixed(1)} + agents ${agentsUs.toFixed(1)} µs/packet (CPU-bound estimate ${cpuBoundRatio(tunnelUsOf('plain'), tunnelUs, agentsUs).toFixed(2)}x)`;
      const ratio = path === 'plain' ? '' : `  ${(m / plain).toFixed(3)}x plain`;
      const line =
        path === 'direct' || path === 'directB'
          ? ` (line ${TARGET_DIRECT}x)`
          : path === 'relay'
            ? ` (line ${TARGET_RELAY}x)`
            : '';
      console.log(
        `  wg-tcp-${path.padEnd(7)} ${m.toFixed(0).padStart(6)} Mbit/s  retransmits ${retr}${ratio}${line}${cpu}`,
      );
    }
    for (const path of PATHS) {
      const rows = udp.filter((r) => r.path === path);
      const sent = rows.reduce((s, r) => s + r.sent, 0);
      const lost = rows.reduce((s, r) => s + r.lost, 0);
      const dropped = rows.reduce((s, r) => s + (r.forward?.dropped ?? 0), 0);
      const kernelDropped = rows.reduce((s, r) => s + (r.forward?.kernelDropped ?? 0), 0);
      // The far WireGuard's own socket: beyond the forward, and it drops over plain UDP too.
      const far = rows.reduce((s, r) => s + (r.kernel['n2 wg b'] ?? 0), 0);
      // The sending side's TUN device (its queue into wireguard-go): before the forward, on every path.
      const tun = rows.reduce((s, r) => s + (r.kernel['n1 wg a device'] ?? 0), 0);
      console.log(
        `  wg-udp-${path.padEnd(7)} ${UDP_RATE}: lost ${lost}/${sent} (${((100 * lost) / Math.max(1, sent)).toFixed(2)} %)` +
          (path === 'plain'
            ? `; far WireGuard's socket dropped ${far}, the sending TUN device ${tun}, the rest ${lost - far - tun}`
            : `; forward dropped ${dropped} (${kernelDropped} by the kernel at its socket), far WireGuard's socket ${far}, ` +
              `the sending TUN device ${tun}, the rest ${lost - dropped - far - tun}`),
      );
    }
  } finally {
    for (const p of procs.reverse()) await killByPid(p.proc);
    for (const f of cleanups.reverse()) {
      try {
        f();
      } catch {
        /* already gone */
      }
    }
  }
}

function loadAvg(): string {
  try {
    return run('cat', ['/proc/loadavg']).split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

/** Runs one iperf3 client in `ns` against the tunnel's far address and returns its JSON. */
async function iperf(ns: string, args: string[]): Promise<Record<string, unknown>> {
  // A report every second up to 5 s runs, then 5 in all: a long run's JSON stays within the tail
  // `launch` keeps (iperf3's max RTT and cwnd are taken from these reports, so not -i 0).
  const interval = String(Math.max(1, Math.ceil(SECONDS / 5)));
  const p = launch('ip', ['netns', 'exec', ns, 'iperf3', '-c', '10.99.0.2', '-J', '-i', interval, ...args]);
  const code = await new Promise<number | null>((resolve) => p.proc.once('close', resolve));
  const out = p.stdout();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(out) as Record<string, unknown>;
  } catch {
    throw new Error(`iperf3 ${args.join(' ')} printed no JSON (${code}): ${p.stderr().slice(-300)}`);
  }
  if (typeof json.error === 'string') throw new Error(`iperf3 ${args.join(' ')}: ${json.error}`);
  return json;
}

async function waitForPath(home: string, peer: string, path: 'direct' | 'relay', cli = CLI): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = 'never listed';
  while (Date.now() < deadline) {
    const list = JSON.parse(await runCli(['peers', '--json', '--home', home], cli)) as {
      name: string;
      online: boolean;
      path: string | null;
    }[];
    const p = list.find((x) => x.name === peer);
    if (p?.online && p.path === path) return;
    last = p ? `online ${p.online}, path ${p.path ?? 'none'}` : 'not listed';
    await sleep(250);
  }
  throw new Error(`peer ${peer} was not online on the ${path} path within 30 s (${last})`);
}

await main();
