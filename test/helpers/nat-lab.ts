/**
 * A NAT lab in network namespaces: an "internet" namespace holding public-looking addresses (where a
 * relay or any "internet host" runs), and per home a router namespace (WAN veth to the internet, LAN
 * veth to a host namespace) that does real NAT with nftables, so traversal is tested against the
 * kernel's conntrack and not against a model of it:
 *
 * - `preserve`: `masquerade`, which keeps the source port when it is free (Linux's default, and what
 *   most home routers do);
 * - `random`: `masquerade random`, a new port for every connection, so each destination sees another
 *   port (a "symmetric" NAT);
 * - a stateful firewall on every router: established/related in, new from the LAN out, new from the
 *   WAN dropped unless miniupnpd opened it (its chains are jumped to from ours, in one table);
 * - optionally miniupnpd (UPnP IGD v2, NAT-PMP/PCP) listening on the LAN, its external interface the WAN;
 * - optionally a carrier NAT (`cgn`: a port-preserving NAT with the same firewall) between the home
 *   router and the internet, for double NAT.
 *
 * Addresses: the internet holds 11.0.0.1 and 11.0.0.2 (two "internet hosts", e.g. two relays); home k
 * (from 1) has WAN 11.k.0.2 (or, behind a CGN, WAN 100.64.k.2 and the CGN's WAN 11.k.0.2), LAN
 * 192.168.k.0/24 with the router on .1 and the host on .2. The internet range is public-looking on
 * purpose: miniupnpd refuses a reserved WAN address, and port-mapping libraries treat reserved ranges
 * as private. Nothing routes out of the namespaces, so nothing here reaches a real network.
 *
 * Needs root, iproute2 and nft (miniupnpd for `upnp`); `natLabUnavailable()` says why not.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netnsUnavailable } from './netns.js';
import { sleep, until } from './wait.js';

/** How the home router translates: keep the port when free, or a new port per connection. */
export type NatMapping = 'preserve' | 'random';

export interface HomeSpec {
  nat: NatMapping;
  /** Run miniupnpd (UPnP IGD + NAT-PMP/PCP) on the home router. */
  upnp?: boolean;
  /** Put a port-preserving carrier NAT between the home router and the internet. */
  cgn?: boolean;
  /**
   * The home's uplink, in Mbit/s: a token bucket (tc `tbf`) on what the router sends to the internet,
   * as a home connection's upload is. Unset: the veth's own speed (no link of the kind a home has).
   */
  wanMbit?: number;
}

export interface LabRouter {
  ns: string;
  wanIf: string;
  lanIf: string;
  wanAddr: string;
  lanAddr: string;
}

export interface LabHome {
  spec: HomeSpec;
  /** The host behind the NAT: where an agent or a probe runs. */
  host: { ns: string; addr: string };
  router: LabRouter;
  cgn?: LabRouter;
  /** The address the internet sees this home's connections come from. */
  publicAddr: string;
  miniupnpd?: { pid: number; log(): string };
}

export interface NatLab {
  internet: { ns: string; addrs: [string, string] };
  homes: LabHome[];
  /** Prefix that runs a command inside `ns` (`ip netns exec` execs, so the PID stays the command's). */
  exec(ns: string): string[];
  /** Runs a command inside `ns` and returns its stdout. */
  run(ns: string, cmd: string[]): string;
  /** Ends miniupnpd (by PID, waiting for it) and deletes every namespace the lab made. */
  destroy(): Promise<void>;
}

/** How long miniupnpd may take to listen after it starts, in ms. */
const MINIUPNPD_START_MS = 5_000;
/** How long destroy() waits for a killed daemon to be reaped, in ms. */
const DAEMON_EXIT_WAIT_MS = 2_000;
/** miniupnpd's HTTP port on the LAN (fixed: the namespace is this router's alone). */
export const MINIUPNPD_HTTP_PORT = 5000;

const INTERNET_ADDRS: [string, string] = ['11.0.0.1', '11.0.0.2'];

function which(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** Why the lab cannot run here (not root, a tool missing), or undefined when it can. */
export function natLabUnavailable(opts: { upnp?: boolean } = {}): string | undefined {
  const why = netnsUnavailable();
  if (why) return why;
  if (!which('nft')) return 'nft is not installed (apt package nftables)';
  if (opts.upnp && !which('miniupnpd')) return 'miniupnpd is not installed (apt package miniupnpd-nftables)';
  return undefined;
}

let labCount = 0;

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], input, encoding: 'utf8' });
}

/**
 * The router's ruleset: one table, so miniupnpd's chains (which it fills) are jumped to from the chains
 * that decide. nftables evaluates every base chain on a hook, and an accept in one table does not spare a
 * packet another table's drop, so the firewall and miniupnpd's rules must share one table.
 */
function routerRules(r: LabRouter, nat: NatMapping): string {
  return `table inet lab {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "${r.lanIf}" oifname "${r.wanIf}" accept
    iifname "${r.wanIf}" jump miniupnpd
  }
  chain miniupnpd {
  }
  chain input {
    type filter hook input priority 0; policy accept;
    iifname "${r.wanIf}" ct state established,related accept
    iifname "${r.wanIf}" icmp type echo-request accept
    iifname "${r.wanIf}" drop
  }
  chain prerouting {
    type nat hook prerouting priority -100; policy accept;
    iifname "${r.wanIf}" jump prerouting_miniupnpd
  }
  chain prerouting_miniupnpd {
  }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    jump postrouting_miniupnpd
    oifname "${r.wanIf}" masquerade${nat === 'random' ? ' random' : ''}
  }
  chain postrouting_miniupnpd {
  }
}
`;
}

function miniupnpdConfig(r: LabRouter, dir: string, k: number): string {
  return [
    `ext_ifname=${r.wanIf}`,
    `listening_ip=${r.lanIf}`,
    `http_port=${MINIUPNPD_HTTP_PORT}`,
    'enable_natpmp=yes',
    'enable_upnp=yes',
    'secure_mode=yes',
    'system_uptime=yes',
    `uuid=3d3cec3a-8cf0-11e0-98ee-00000000000${k}`,
    'upnp_table_name=lab',
    'upnp_nat_table_name=lab',
    'upnp_forward_chain=miniupnpd',
    'upnp_nat_chain=prerouting_miniupnpd',
    'upnp_nat_postrouting_chain=postrouting_miniupnpd',
    `lease_file=${join(dir, 'leases')}`,
    'allow 1024-65535 192.168.0.0/16 1024-65535',
    'deny 0-65535 0.0.0.0/0 0-65535',
    '',
  ].join('\n');
}

/** Builds the lab; on any failure what was built is removed before the error is thrown. */
export async function createNatLab(homes: HomeSpec[]): Promise<NatLab> {
  if (homes.length > 9) throw new Error('the lab has room for 9 homes');
  const p = `nl${process.pid % 10000}${String.fromCharCode(97 + (labCount++ % 26))}`;
  const namespaces: string[] = [];
  const daemons: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'cb-natlab-'));
  const exec = (ns: string) => ['ip', 'netns', 'exec', ns];
  const run = (ns: string, cmd: string[]) => sh('ip', ['netns', 'exec', ns, ...cmd]);
  const addNs = (ns: string) => {
    sh('ip', ['netns', 'add', ns]);
    namespaces.push(ns);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  };
  /** A veth between two namespaces, each end addressed and up. */
  const veth = (nsA: string, ifA: string, addrA: string, nsB: string, ifB: string, addrB: string) => {
    sh('ip', ['link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB]);
    sh('ip', ['link', 'set', ifA, 'netns', nsA]);
    sh('ip', ['link', 'set', ifB, 'netns', nsB]);
    sh('ip', ['-n', nsA, 'addr', 'add', addrA, 'dev', ifA]);
    sh('ip', ['-n', nsB, 'addr', 'add', addrB, 'dev', ifB]);
    sh('ip', ['-n', nsA, 'link', 'set', ifA, 'up']);
    sh('ip', ['-n', nsB, 'link', 'set', ifB, 'up']);
  };
  const forwarding = (ns: string) => run(ns, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  const removeAll = () => {
    for (const ns of namespaces.splice(0).reverse()) {
      try {
        sh('ip', ['netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  /** Ends the daemons by PID and waits (bounded) for their exit, so none is left unreaped, then removes all. */
  const destroy = async () => {
    await Promise.all(
      daemons.map(async (d) => {
        if (d.exitCode !== null || d.signalCode !== null || d.pid === undefined) return;
        const exited = new Promise((r) => d.once('exit', r));
        try {
          process.kill(d.pid, 'SIGKILL');
        } catch {
          return;
        }
        await Promise.race([exited, sleep(DAEMON_EXIT_WAIT_MS, 'the most a daemon gets to exit')]);
      }),
    );
    removeAll();
  };

  try {
    const inet = `${p}i`;
    addNs(inet);
    for (const a of INTERNET_ADDRS) sh('ip', ['-n', inet, 'addr', 'add', `${a}/32`, 'dev', 'lo']);
    forwarding(inet);
    const built: LabHome[] = [];
    for (const [i, spec] of homes.entries()) {
      const k = i + 1;
      const h = `${p}h${k}`;
      const r = `${p}r${k}`;
      addNs(h);
      addNs(r);
      const router: LabRouter = {
        ns: r,
        wanIf: `${p}r${k}w`,
        lanIf: `${p}r${k}l`,
        wanAddr: spec.cgn ? `100.64.${k}.2` : `11.${k}.0.2`,
        lanAddr: `192.168.${k}.1`,
      };
      let cgn: LabRouter | undefined;
      if (spec.cgn) {
        const c = `${p}c${k}`;
        addNs(c);
        cgn = {
          ns: c,
          wanIf: `${p}c${k}w`,
          lanIf: `${p}c${k}l`,
          wanAddr: `11.${k}.0.2`,
          lanAddr: `100.64.${k}.1`,
        };
        veth(inet, `${p}i${k}`, `11.${k}.0.1/24`, c, cgn.wanIf, `${cgn.wanAddr}/24`);
        veth(c, cgn.lanIf, `${cgn.lanAddr}/24`, r, router.wanIf, `${router.wanAddr}/24`);
        sh('ip', ['-n', c, 'route', 'add', 'default', 'via', `11.${k}.0.1`]);
        sh('ip', ['-n', r, 'route', 'add', 'default', 'via', cgn.lanAddr]);
        forwarding(c);
        sh('ip', ['netns', 'exec', c, 'nft', '-f', '-'], routerRules(cgn, 'preserve'));
      } else {
        veth(inet, `${p}i${k}`, `11.${k}.0.1/24`, r, router.wanIf, `${router.wanAddr}/24`);
        sh('ip', ['-n', r, 'route', 'add', 'default', 'via', `11.${k}.0.1`]);
      }
      veth(r, router.lanIf, `${router.lanAddr}/24`, h, `${p}h${k}l`, `192.168.${k}.2/24`);
      sh('ip', ['-n', h, 'route', 'add', 'default', 'via', router.lanAddr]);
      forwarding(r);
      sh('ip', ['netns', 'exec', r, 'nft', '-f', '-'], routerRules(router, spec.nat));
      if (spec.wanMbit !== undefined) {
        sh(
          'ip',
          ['netns', 'exec', r, 'tc', 'qdisc', 'add', 'dev', router.wanIf, 'root', 'tbf'].concat([
            'rate',
            `${spec.wanMbit}mbit`,
            'burst',
            '256kb',
            'latency',
            '50ms',
          ]),
        );
      }
      const home: LabHome = {
        spec,
        host: { ns: h, addr: `192.168.${k}.2` },
        router,
        cgn,
        publicAddr: `11.${k}.0.2`,
      };
      if (spec.upnp) home.miniupnpd = await startMiniupnpd(router, dir, k, exec, daemons);
      built.push(home);
    }
    return { internet: { ns: inet, addrs: INTERNET_ADDRS }, homes: built, exec, run, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

async function startMiniupnpd(
  router: LabRouter,
  dir: string,
  k: number,
  exec: (ns: string) => string[],
  daemons: ChildProcess[],
): Promise<{ pid: number; log(): string }> {
  const conf = join(dir, `miniupnpd-${k}.conf`);
  writeFileSync(conf, miniupnpdConfig(router, dir, k));
  const [cmd, ...args] = [
    ...exec(router.ns),
    'miniupnpd',
    '-d',
    '-f',
    conf,
    '-P',
    join(dir, `miniupnpd-${k}.pid`),
  ];
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  daemons.push(child);
  let log = '';
  // -d logs to stderr; keep the tail only, a long test must not grow it without bound.
  const keep = (c: string) => (log = (log + c).slice(-200_000));
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  await until(
    `miniupnpd listening on ${router.ns}`,
    () => {
      if (child.exitCode !== null) throw new Error(`miniupnpd exited on ${router.ns}: ${log.slice(-2000)}`);
      return /Listening for NAT-PMP\/PCP traffic/.test(log);
    },
    MINIUPNPD_START_MS,
  ).catch((err: unknown) => {
    throw new Error(`miniupnpd did not start on ${router.ns}: ${String(err)}: ${log.slice(-2000)}`);
  });
  if (child.pid === undefined) throw new Error('miniupnpd has no pid');
  return { pid: child.pid, log: () => log };
}
