/**
 * The port mapping of a real agent on a hostile LAN, in the NAT lab (test/helpers/nat-lab.ts): the home's
 * router lies (its UPnP IGD and NAT-PMP report 127.0.0.1 as the external address and grant port 22, and
 * its NAT-PMP sends short and garbage datagrams before each answer), and another host on the LAN (a
 * namespace bridged onto it) answers the agent's SSDP search with thousands of answers whose LOCATIONs
 * point at the agent's own loopback and at other hosts, plus one that streams endless `text/xml`, while
 * flooding 2-byte and garbage datagrams at the NAT-PMP client port 5350 and across the agent's ephemeral
 * ports. The agent stays up and answers `status`, its memory and open files stay bounded, nothing reaches
 * its loopback, the lying address is not told to its peer and `status` says why, and at stop the mapping
 * the router granted (port 22, not the one asked) is the one removed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startChild, type BenchChild } from '../../bench/child.js';
import type { SoapCall } from '../helpers/fake-router.js';
import {
  befriend,
  NAT_AGENT_PORT,
  natNode,
  peerOn,
  startNatAgent,
  startNatRelay,
  type NatNode,
} from '../helpers/nat-agents.js';
import { createNatLab, natLabUnavailable, type NatLab } from '../helpers/nat-lab.js';
import { agentCall, cli, stopAll } from '../helpers/processes.js';
import { sleep, until } from '../helpers/wait.js';

const skip = natLabUnavailable();
/** The hostile host's address on the home's LAN. */
const HOSTILE_ADDR = '192.168.1.66';
/** The agent's own loopback service the hostile LOCATIONs name. */
const LOOPBACK_PORT = 8080;
/** SSDP answers the hostile host sends per search. */
const HOSTILE_ANSWERS = 3000;
/** How long the flood runs, in ms: through discovery and the requests that follow. */
const FLOOD_MS = 15_000;
/** How long the lying router takes to answer a search, in ms (well within discovery's window). */
const ROUTER_SSDP_DELAY_MS = 1_000;
/** The most the agent's RSS may grow while attacked, in bytes (an unbounded body grew it by far more). */
const RSS_GROWTH_LIMIT = 120 * 1024 * 1024;
/** The most the agent's open files may grow while attacked (each leaked fetch held one). */
const FD_GROWTH_LIMIT = 40;

let lab: NatLab;
let relayUrl: string;
let hostileNs: string;
const children: BenchChild[] = [];
let router: BenchChild;
let hostile: BenchChild;
let loopback: BenchChild;
const nodes: NatNode[] = [];

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'pipe', encoding: 'utf8' });

/**
 * Puts a second host on home 1's LAN: the router's LAN side becomes a bridge (multicast flooded to every
 * port, as a home switch does) with the host and a new namespace on it; forwarding from the bridge out
 * to the internet is allowed as it was from the LAN interface.
 */
function addLanHost(): string {
  const r = lab.homes[0]!.router;
  const ns = `${r.ns}x`;
  const br = `${r.ns}b`;
  sh('ip', ['netns', 'add', ns]);
  hostileNs = ns;
  sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  sh('ip', ['-n', r.ns, 'link', 'add', br, 'type', 'bridge', 'mcast_snooping', '0']);
  sh('ip', ['-n', r.ns, 'addr', 'del', `${r.lanAddr}/24`, 'dev', r.lanIf]);
  sh('ip', ['-n', r.ns, 'link', 'set', r.lanIf, 'master', br]);
  sh('ip', ['-n', r.ns, 'addr', 'add', `${r.lanAddr}/24`, 'dev', br]);
  sh('ip', ['-n', r.ns, 'link', 'set', br, 'up']);
  // Frames between bridge ports are switched, not routed: the router's firewall must not see them (it
  // would with br_netfilter loaded, and its forward policy drops).
  try {
    sh('ip', ['netns', 'exec', r.ns, 'sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=0']);
  } catch {
    /* br_netfilter not loaded: bridged frames bypass the firewall already */
  }
  sh('ip', ['-n', r.ns, 'link', 'add', `${r.ns}xa`, 'type', 'veth', 'peer', 'name', `${r.ns}xb`]);
  sh('ip', ['-n', r.ns, 'link', 'set', `${r.ns}xb`, 'netns', ns]);
  sh('ip', ['-n', r.ns, 'link', 'set', `${r.ns}xa`, 'master', br]);
  sh('ip', ['-n', r.ns, 'link', 'set', `${r.ns}xa`, 'up']);
  sh('ip', ['-n', ns, 'addr', 'add', `${HOSTILE_ADDR}/24`, 'dev', `${r.ns}xb`]);
  sh('ip', ['-n', ns, 'link', 'set', `${r.ns}xb`, 'up']);
  sh('ip', ['-n', ns, 'route', 'add', 'default', 'via', r.lanAddr]);
  sh('ip', [
    'netns',
    'exec',
    r.ns,
    'nft',
    'add',
    'rule',
    'inet',
    'lab',
    'forward',
    'iifname',
    br,
    'oifname',
    r.wanIf,
    'accept',
  ]);
  return ns;
}

const inNs = (ns: string) => (cmd: string, args: string[]) => ({
  cmd: 'ip',
  args: ['netns', 'exec', ns, cmd, ...args],
});

function child(ns: string): BenchChild {
  const c = startChild('../test/helpers/hostile-lan-child.ts', [], inNs(ns));
  children.push(c);
  return c;
}

/** The agent's resident memory and open files, from /proc (its PID is the same inside the namespace). */
function footprint(pid: number): { rss: number; fds: number } {
  const rssKb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { rss: Number(rssKb) * 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}

before(async () => {
  if (skip) return;
  lab = await createNatLab([{ nat: 'preserve' }, { nat: 'preserve' }]);
  const home = lab.homes[0]!;
  addLanHost();
  relayUrl = await startNatRelay(lab);
  router = child(home.router.ns);
  hostile = child(hostileNs);
  loopback = child(home.host.ns);
  await router.request('fake-router', {
    lanAddr: home.router.lanAddr,
    externalAddress: '127.0.0.1',
    grant: 22,
    // A slow router: the hostile host's endless description is fetched first.
    ssdpDelayMs: ROUTER_SSDP_DELAY_MS,
  });
  await loopback.request('count-server', { port: LOOPBACK_PORT });
  await hostile.request('hostile-lan', {
    addr: HOSTILE_ADDR,
    victim: home.host.addr,
    loopbackPort: LOOPBACK_PORT,
    answers: HOSTILE_ANSWERS,
    floodMs: FLOOD_MS,
  });
  nodes.push(await natNode('hostile-lan-a', 'ha'), await natNode('hostile-lan-b', 'hb'));
});

after(async () => {
  if (skip) return;
  await stopAll();
  await Promise.all(children.map((c) => c.stop()));
  if (hostileNs) sh('ip', ['netns', 'del', hostileNs]);
  await lab?.destroy();
});

test(
  'a lying router and a hostile LAN host: the agent stays up and bounded, fetches nothing it should not, announces no bad address, and removes the granted mapping',
  { skip, timeout: 120_000 },
  async () => {
    const [a, b] = nodes as [NatNode, NatNode];
    const proc = await startNatAgent(lab, lab.homes[0]!.host.ns, a, relayUrl);
    const pid = proc.child.pid!;
    const start = footprint(pid);
    let peak = start;
    const sample = () => {
      const now = footprint(pid);
      peak = { rss: Math.max(peak.rss, now.rss), fds: Math.max(peak.fds, now.fds) };
    };

    // The router's answer is taken, its lie recorded: mapped, but not told.
    const mapped = await until(
      'the mapping settled',
      async () => {
        sample();
        const m = (await agentCall(a.home, 'status', {})).nat?.mapping;
        return m && m.state !== 'idle' && m.state !== 'searching' ? m : undefined;
      },
      30_000,
    );
    assert.equal(mapped.state, 'mapped', JSON.stringify(mapped));
    assert.ok(mapped.state === 'mapped', "mapped.state === 'mapped'");
    assert.deepEqual(mapped.external, { host: '127.0.0.1', port: 22 });
    assert.match(mapped.unannounced ?? '', /127\.0\.0\.1.*loopback/);
    const text = await cli(['status', '--home', a.home]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^mapped: 127\.0\.0\.1:22 -> .*; not told to peers: the router reports "127\.0\.0\.1"/m,
    );

    // Its peer links and hears this node's candidates, without the lying address.
    await startNatAgent(lab, lab.homes[1]!.host.ns, b, relayUrl);
    await befriend(a, b);
    await until('the peer linked', async () => (await peerOn(b, a))?.path != null, 30_000);
    // Through the rest of the flood: the agent answers, stays bounded, and its peer learns no mapping.
    const floodEnds = Date.now() + FLOOD_MS;
    while (Date.now() < floodEnds) {
      sample();
      assert.equal(proc.child.exitCode, null, proc.stderr().slice(-2000));
      assert.ok((await agentCall(a.home, 'status', {})).nat, 'status answered without nat');
      await sleep(500, 'sampling the agent while the hostile host floods');
    }
    // Nothing of the agent's listens on the NAT-PMP client port, where any host or local user could aim.
    const listening5350 = lab.run(lab.homes[0]!.host.ns, ['ss', '-Hulnp', 'sport', '=', ':5350']);
    assert.doesNotMatch(listening5350, new RegExp(`pid=${pid},`), listening5350);
    const addresses = (await peerOn(b, a))?.addresses ?? [];
    assert.ok(
      !addresses.some((x) => x.from.includes('mapped') || x.address === '127.0.0.1:22'),
      JSON.stringify(addresses),
    );

    assert.ok(peak.rss - start.rss < RSS_GROWTH_LIMIT, `RSS ${start.rss} → ${peak.rss}`);
    assert.ok(peak.fds - start.fds < FD_GROWTH_LIMIT, `open files ${start.fds} → ${peak.fds}`);
    assert.deepEqual(await loopback.request<string[]>('count'), [], "a request reached the agent's loopback");
    const stats = await hostile.request<{ ssdpAnswers: number; endlessOpened: number; endlessOpen: number }>(
      'hostile-stats',
    );
    assert.ok(stats.ssdpAnswers >= HOSTILE_ANSWERS, JSON.stringify(stats));
    // The endless description was fetched (it answered first), at most once per search, and closed.
    assert.ok(stats.endlessOpened >= 1 && stats.endlessOpened <= 2, JSON.stringify(stats));
    await until(
      'the endless fetches closed',
      async () => (await hostile.request<typeof stats>('hostile-stats')).endlessOpen === 0,
      30_000,
    );

    // Stop removes the mapping the router granted (port 22), not the port asked.
    await proc.stop();
    const calls = await router.request<SoapCall[]>('router-calls');
    const add = calls.find((c) => c.action === 'AddAnyPortMapping');
    assert.equal(add?.args.NewExternalPort, String(NAT_AGENT_PORT));
    const del = calls.filter((c) => c.action === 'DeletePortMapping');
    assert.deepEqual(
      del.map((c) => c.args.NewExternalPort),
      ['22'],
      JSON.stringify(calls),
    );
  },
);
