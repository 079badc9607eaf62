/**
 * The soak's processes: a relay, agents `a` (driven) and `b` (serving), and a TCP proxy in front of
 * b's direct listener, all started from the built CLI and ended by PID. With root and iproute2, b and
 * its proxy live in their own network namespace joined to the host by a veth pair, and b listens on
 * the namespace's loopback: a can reach b directly only through the proxy (whatever address b
 * announces), so SIGSTOP of the proxy is a real blackhole (packets dropped, no close), as in
 * test/integration/dead-path-fallback.test.ts. Without root everything shares the host's loopback and
 * a may also dial b's announced address: the cut then only kills the link that ran through the proxy.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from '../bench/cli-agents.js';
import { processExists } from '../src-main/core/process-exists.js';
import { killByPid, launch, type Launched } from '../bench/processes.js';

/** How long a process may take to print its ready line, in ms. */
const START_TIMEOUT_MS = 30_000;
/** How long b may take to be online on the direct path after the peers were added, in ms. */
const READY_TIMEOUT_MS = 60_000;
/** The proxy's port inside b's namespace. */
const NAMESPACE_PROXY_PORT = 7701;

export interface Place {
  /** `ip netns exec NS` prefix for b's side, or [] on the shared loopback. */
  readonly wrapB: string[];
  /** Host-side address b's side reaches (relay, echo server); 127.0.0.1 without a namespace. */
  readonly hostAddr: string;
  /** Address of b's side as a reaches it (the proxy listens there). */
  readonly bAddr: string;
  /** Why there is no namespace (null when there is one). */
  readonly shared: string | null;
  destroy(): void;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/** Namespaces of soak runs are `cbsoak` + the PID of the run that made it. */
const PLACE_NAME = /^cbsoak(\d+)\b/;
/** The /30s b's namespace may take: 198.18.91.0/24 (benchmark range), 60 of them. */
const SUBNET_SLOTS = 60;

/**
 * The IDs (PIDs) of the soak namespaces in `ip netns list` output whose run is gone: a soak killed
 * before its cleanup (SIGKILL, a lost terminal) leaves its namespace and veth pair behind, and their
 * /30 would take the traffic of a later run given the same one.
 */
export function stalePlaceIds(netnsList: string, alive: (pid: number) => boolean): number[] {
  return netnsList
    .split('\n')
    .map((line) => PLACE_NAME.exec(line.trim())?.[1])
    .filter((id): id is string => id !== undefined)
    .map(Number)
    .filter((pid) => !alive(pid));
}

/**
 * The first /30 slot from `first` on (wrapping) whose host address is on no interface, so two soaks at
 * once (or a leftover that could not be removed) never share a subnet; undefined when all are taken.
 */
export function freeSubnetSlot(usedAddrs: ReadonlySet<string>, first: number): number | undefined {
  for (let i = 0; i < SUBNET_SLOTS; i++) {
    const slot = (first + i) % SUBNET_SLOTS;
    if (!usedAddrs.has(hostAddrOf(slot)) && !usedAddrs.has(bAddrOf(slot))) return slot;
  }
  return undefined;
}

const hostAddrOf = (slot: number) => `198.18.91.${4 * slot + 1}`;
const bAddrOf = (slot: number) => `198.18.91.${4 * slot + 2}`;

/** Removes what soaks killed before their cleanup left behind (stalePlaceIds). */
function removeStalePlaces(): void {
  const list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const id of stalePlaceIds(list, processExists)) {
    for (const undo of [() => ip('link', 'del', `cbsh${id}`), () => ip('netns', 'del', `cbsoak${id}`)]) {
      try {
        undo();
      } catch {
        /* gone already, or only half made */
      }
    }
    console.error(`soak: removed cbsoak${id}, left behind by a soak that was killed`);
  }
}

/** IPv4 addresses on this host's interfaces. */
function hostAddresses(): Set<string> {
  const out = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
  return new Set([...out.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!));
}

/** A namespace for b joined to the host by a veth pair on a /30 of 198.18.0.0/15 (benchmark range). */
export function createPlace(): Place {
  const shared = (why: string): Place => ({
    wrapB: [],
    hostAddr: '127.0.0.1',
    bAddr: '127.0.0.1',
    shared: why,
    destroy: () => undefined,
  });
  if (process.platform !== 'linux') return shared('network namespaces need Linux');
  if (process.getuid?.() !== 0) return shared('network namespaces need root');
  // The whole PID (interface names stay within 15 characters): stalePlaceIds tells a dead run by it.
  const id = process.pid;
  const ns = `cbsoak${id}`;
  const host = `cbsh${id}`;
  const peer = `cbsb${id}`;
  let hostAddr: string;
  let bAddr: string;
  try {
    removeStalePlaces();
    // A /30 of its own, so two soaks (or a soak beside the dead-path test's 198.18.77.0/30) do not collide.
    const slot = freeSubnetSlot(hostAddresses(), id % SUBNET_SLOTS);
    if (slot === undefined) throw new Error(`all ${SUBNET_SLOTS} subnets of 198.18.91.0/24 are in use`);
    hostAddr = hostAddrOf(slot);
    bAddr = bAddrOf(slot);
    ip('netns', 'add', ns);
    ip('link', 'add', host, 'type', 'veth', 'peer', 'name', peer);
    ip('link', 'set', peer, 'netns', ns);
    ip('addr', 'add', `${hostAddr}/30`, 'dev', host);
    ip('link', 'set', host, 'up');
    ip('-n', ns, 'addr', 'add', `${bAddr}/30`, 'dev', peer);
    ip('-n', ns, 'link', 'set', peer, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  } catch (err) {
    for (const undo of [() => ip('link', 'del', host), () => ip('netns', 'del', ns)]) {
      try {
        undo();
      } catch {
        /* never made */
      }
    }
    return shared(`could not create a network namespace: ${(err as Error).message.split('\n')[0]}`);
  }
  return {
    wrapB: ['ip', 'netns', 'exec', ns],
    hostAddr,
    bAddr,
    shared: null,
    destroy: () => {
      // The veth pair first (deleting one end removes both), then the namespace; each is said when it
      // stays behind, so a leftover never goes unnoticed.
      for (const [what, undo] of [
        [host, () => ip('link', 'del', host)],
        [ns, () => ip('netns', 'del', ns)],
      ] as const) {
        try {
          undo();
        } catch (err) {
          const msg = (err as Error).message.split('\n')[0] ?? '';
          if (!/Cannot find|No such/.test(msg)) console.error(`soak: could not remove ${what}: ${msg}`);
        }
      }
    },
  };
}

/** A free TCP port on `host` (bound then released: the relay and b restart on the same port). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Starts `cmd args` under `wrap` (which must exec, keeping the PID /proc is read by). */
function start(wrap: string[], args: string[]): Launched {
  const [cmd, ...pre] = [...wrap, process.execPath];
  return launch(cmd, [...pre, ...args], { ...process.env, CLAWBRIDGE_LOG: 'warn' });
}

export class Topology {
  relay: Launched | undefined;
  a: Launched | undefined;
  b: Launched | undefined;
  proxy: Launched | undefined;
  readonly homeA: string;
  readonly homeB: string;
  private readonly dir: string;
  private relayUrl = '';

  private constructor(
    readonly place: Place,
    private readonly ports: { relay: number; b: number; proxy: number },
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'cb-soak-'));
    this.homeA = join(this.dir, 'a');
    this.homeB = join(this.dir, 'b');
  }

  static async start(place: Place): Promise<Topology> {
    // b's listener is in its namespace (any port is free there) or on the shared loopback.
    const ports = {
      relay: await freePort(place.hostAddr),
      b: await freePort('127.0.0.1'),
      // Inside b's fresh namespace nothing else listens: a fixed port is free there.
      proxy: place.shared ? await freePort('127.0.0.1') : NAMESPACE_PROXY_PORT,
    };
    const t = new Topology(place, ports);
    try {
      await t.startRelay();
      await Promise.all([t.startA(), t.startB(), t.startProxy()]);
      const fa = await t.fingerprint(t.homeA);
      const fb = await t.fingerprint(t.homeB);
      const proxyAt = `${place.bAddr}:${ports.proxy}`;
      await runCli(['peers', 'add', fb, '--name', 'b', '--address', proxyAt, '--home', t.homeA]);
      await runCli(['peers', 'add', fa, '--name', 'a', '--home', t.homeB]);
      await t.waitDirect();
      return t;
    } catch (err) {
      await t.stop();
      throw err;
    }
  }

  /** Until a lists b online on the direct path (a dialled before b knew it: that retries). */
  private async waitDirect(): Promise<void> {
    const deadline = performance.now() + READY_TIMEOUT_MS;
    let last = 'not listed';
    while (performance.now() < deadline) {
      const peers = JSON.parse(await runCli(['peers', '--json', '--home', this.homeA])) as {
        name: string;
        online: boolean;
        path: string | null;
      }[];
      const b = peers.find((p) => p.name === 'b');
      if (b?.online && b.path === 'direct') return;
      last = b ? `online ${b.online}, path ${b.path ?? 'none'}` : 'not listed';
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`b was not online on the direct path within ${READY_TIMEOUT_MS} ms (${last})`);
  }

  private async fingerprint(home: string): Promise<string> {
    return (JSON.parse(await runCli(['id', '--json', '--home', home])) as { fingerprint: string })
      .fingerprint;
  }

  async startRelay(): Promise<void> {
    const args = [CLI, 'relay', '--no-tls', '--home', join(this.dir, 'relay')];
    this.relay = start([], [...args, '--listen', `${this.place.hostAddr}:${this.ports.relay}`]);
    this.relayUrl = (
      await this.relay.waitFor(/relay listening on (ws:\/\/\S+)/, START_TIMEOUT_MS, 'relay')
    )[1]!;
  }

  private async startAgent(name: 'a' | 'b', home: string, wrap: string[], listen: string): Promise<Launched> {
    const p = start(wrap, [
      CLI,
      'agent',
      '--home',
      home,
      '--name',
      name,
      '--relay',
      this.relayUrl,
      '--listen',
      listen,
    ]);
    await p.waitFor(new RegExp(`agent ${name} running`), START_TIMEOUT_MS, `agent ${name}`);
    return p;
  }

  async startA(): Promise<void> {
    this.a = await this.startAgent('a', this.homeA, [], '127.0.0.1:0');
  }

  async startB(): Promise<void> {
    this.b = await this.startAgent('b', this.homeB, this.place.wrapB, `127.0.0.1:${this.ports.b}`);
  }

  async startProxy(): Promise<void> {
    // A plain TCP relay of bytes; an error on one side ends the other (no half-open leftovers).
    const script = `const net=require('net');net.createServer((c)=>{const u=net.connect(${this.ports.b},'127.0.0.1');c.pipe(u).pipe(c);c.on('error',()=>u.destroy());u.on('error',()=>c.destroy());c.on('close',()=>u.destroy());u.on('close',()=>c.destroy());}).listen(${this.ports.proxy},'${this.place.bAddr}',()=>console.log('up'));`;
    const [cmd, ...pre] = [...this.place.wrapB, process.execPath];
    this.proxy = launch(cmd, [...pre, '-e', script]);
    await this.proxy.waitFor(/up/, START_TIMEOUT_MS, 'proxy');
  }

  /** Freezes (true) or thaws the proxy: a blackholed direct path, then the same path back. */
  freezeDirect(frozen: boolean): void {
    this.proxy?.proc.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  async restartRelay(): Promise<void> {
    await killByPid(this.relay?.proc);
    await this.startRelay();
  }

  /** kill -9 of b, then b again on the same home and port. */
  async killAndRestartB(downMs: number): Promise<void> {
    this.b?.proc.kill('SIGKILL');
    await new Promise((r) => this.b?.proc.once('exit', r) ?? r(undefined));
    await new Promise((r) => setTimeout(r, downMs));
    await this.startB();
  }

  /** Ends every process by its PID (a frozen proxy is thawed first: it cannot act on SIGTERM). */
  async stop(): Promise<void> {
    this.freezeDirect(false);
    await Promise.all([this.a, this.b, this.relay, this.proxy].map((p) => killByPid(p?.proc)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
