/**
 * Two agents in network namespaces of their own and a relay between them (test/helpers/netns.ts): a
 * and the relay in the first namespace, b in the second, the relay on the veth where both reach it.
 * Each agent listens for direct links on its own loopback, so what b announces is nothing a can reach:
 * a test decides how a reaches b directly, usually through a port forward in b's namespace
 * (`linkThroughForward`), which SIGSTOP freezes (a path that drops packets instead of closing, as a
 * NAT that forgot the mapping does).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createNetnsPair, startPortForward, type NetnsPair } from './netns.js';
import {
  cli,
  nodeId,
  peerOf,
  startAgent,
  startProcess,
  stopAll,
  tempHome,
  type AgentProc,
} from './processes.js';
import { until } from './wait.js';

export interface NetnsAgents {
  pair: NetnsPair;
  /** Prefixes that run a command in a's namespace, in b's. */
  inA: string[];
  inB: string[];
  relayUrl: string;
  homeA: string;
  homeB: string;
  a: AgentProc;
  b: AgentProc;
  /** Keeps a child (a port forward, a client) to be ended with the rest. */
  own(child: ChildProcess): ChildProcess;
  /** Ends every process started here and by `own`ed children (stopped ones included), then removes the namespaces. */
  end(): Promise<void>;
}

export interface NetnsAgentsOptions {
  /** Where a listens for direct links, in its namespace (default: its loopback, any port). */
  listenA?: string;
  /** Where b listens, in its namespace (default: its loopback, any port). */
  listenB?: string;
  /** Environment added to both agents' (e.g. `CLAWBRIDGE_LOG: 'info'` to watch their links). */
  env?: NodeJS.ProcessEnv;
  /** More `clawbridge agent` flags for both. */
  args?: string[];
}

/** Creates the namespaces and starts the relay, then a and b on it; resolves once both run. */
export async function startNetnsAgents(tag: string, opts: NetnsAgentsOptions = {}): Promise<NetnsAgents> {
  const pair = createNetnsPair();
  const children: ChildProcess[] = [];
  const end = async () => {
    for (const c of children) {
      // A stopped process cannot act on SIGTERM until it is continued.
      c.kill('SIGCONT');
      c.kill('SIGTERM');
    }
    await stopAll();
    pair.destroy();
  };
  try {
    const inA = pair.exec(pair.a);
    const inB = pair.exec(pair.b);
    const relay = startProcess(
      ['relay', '--listen', `${pair.addrA}:0`, '--no-tls', '--home', tempHome(`${tag}-relay`)],
      {},
      inA,
    );
    const relayUrl = (await relay.waitForLine(/^relay listening on (ws:\/\/\S+)$/m))[1]!;
    const homeA = tempHome(`${tag}-a`);
    const homeB = tempHome(`${tag}-b`);
    const agent = (ns: string, home: string, name: string, listen = '127.0.0.1:0') =>
      startAgent(home, { name, relay: relayUrl, listen, netns: ns, env: opts.env, args: opts.args });
    const [a, b] = await Promise.all([
      agent(pair.a, homeA, 'a', opts.listenA),
      agent(pair.b, homeB, 'b', opts.listenB),
    ]);
    const own = (child: ChildProcess) => {
      children.push(child);
      return child;
    };
    return { pair, inA, inB, relayUrl, homeA, homeB, a, b, own, end };
  } catch (err) {
    await end();
    throw err;
  }
}

/** The port of an agent's direct listener, from the address it printed. */
export function listenPort(agent: AgentProc): number {
  assert.ok(agent.listen, `agent ${agent.name} listens for direct links`);
  return Number(agent.listen.slice(agent.listen.lastIndexOf(':') + 1));
}

export interface ForwardOptions {
  /** The port the forward listens on, at b's veth address. */
  forwardPort: number;
  /** `--allow` for a on b (what a may do there), when a test needs more than the default. */
  allow?: string;
  /** How long the links may take to come up, in ms. */
  timeoutMs?: number;
}

/**
 * Makes b reachable from a directly only through a TCP port forward in b's namespace (b's veth
 * address, `forwardPort` → b's listener), adds each to the other (a with that address), and waits
 * until a's link to b is direct and a relay link is up beside it (what a session moves to when the
 * direct path dies; seen in a's log, so a runs with `CLAWBRIDGE_LOG: 'info'`). Resolves with the
 * forward: SIGSTOP it to freeze the direct path.
 */
export async function linkThroughForward(world: NetnsAgents, opts: ForwardOptions): Promise<ChildProcess> {
  const { pair, inB, homeA, homeB, a, b } = world;
  const forward = world.own(
    await startPortForward(
      inB,
      { host: pair.addrB, port: opts.forwardPort },
      { host: '127.0.0.1', port: listenPort(b) },
    ),
  );
  const fa = (await nodeId(homeA)).fingerprint;
  const fb = (await nodeId(homeB)).fingerprint;
  const allow = opts.allow === undefined ? [] : ['--allow', opts.allow];
  for (const r of [
    await cli([
      'peers',
      'add',
      fb,
      '--name',
      'b',
      '--address',
      `${pair.addrB}:${opts.forwardPort}`,
      '--home',
      homeA,
    ]),
    await cli(['peers', 'add', fa, '--name', 'a', ...allow, '--home', homeB]),
  ]) {
    assert.equal(r.code, 0, r.stderr);
  }
  const timeoutMs = opts.timeoutMs ?? 40_000;
  await until('a→b direct', async () => (await peerOf(homeA, 'b'))?.path === 'direct', timeoutMs);
  await until(
    'a relay link to b beside direct',
    () => /"peer":"b","path":"relay"[^\n]*"msg":"link up"/.test(a.stderr()),
    timeoutMs,
  );
  return forward;
}
