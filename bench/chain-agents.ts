/**
 * The four agents of a route, set up as the four-node route test does
 * (test/integration/multi-hop-routes.test.ts): a → b → c → d on 127.0.0.1, where a has b's address
 * only; b and c, c and d know each other's; b and c allow a `relay`. a has saved routes to d (via b,
 * c) and to c (via b). Used by chain-echo.ts (the rows) and hop-passes.ts (where a key's time goes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from './cli-agents.js';
import { killByPid, launch, type Launched } from './processes.js';

/** How long an agent may take to print its ready line, in ms. */
const START_TIMEOUT_MS = 20_000;
/** How long d may take to come online over the route, in ms. */
const ROUTE_TIMEOUT_MS = 40_000;
/** Pause between two `peers --json` polls, in ms. */
const POLL_MS = 250;

export interface ChainNode {
  name: string;
  home: string;
  fingerprint: string;
  /** The agent's direct listen address, host:port. */
  address: string;
  pid: number;
}

export interface Chain {
  a: ChainNode;
  b: ChainNode;
  c: ChainNode;
  d: ChainNode;
  /** Ends the four agents by PID and removes their homes. */
  stop(): Promise<void>;
}

interface ListedPeer {
  name: string;
  online: boolean;
  path: string | null;
}

async function waitForRoute(home: string, peer: string): Promise<void> {
  const deadline = performance.now() + ROUTE_TIMEOUT_MS;
  let last = 'never listed';
  while (performance.now() < deadline) {
    const list = JSON.parse(await runCli(['peers', '--json', '--home', home])) as ListedPeer[];
    const p = list.find((x) => x.name === peer);
    if (p?.online && p.path === 'route') return;
    last = p ? `online ${p.online}, path ${p.path ?? 'none'}` : 'not listed';
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`${peer} was not online over its route within ${ROUTE_TIMEOUT_MS} ms (${last})`);
}

/** Starts the four agents and waits until a reaches d (via b → c) and c (via b) over their routes. */
export async function startChain(log: (line: string) => void): Promise<Chain> {
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-chain-'));
  const procs: Launched[] = [];
  const stop = async () => {
    await Promise.all(procs.map((p) => killByPid(p.proc)));
    rmSync(dir, { recursive: true, force: true });
  };
  const env = { ...process.env, CLAWBRIDGE_LOG: 'warn' };
  try {
    log('starting four clawbridge agents (a → b → c → d)…');
    const start = async (name: string): Promise<ChainNode> => {
      const home = join(dir, name);
      const agent = launch(
        process.execPath,
        [CLI, 'agent', '--home', home, '--name', name, '--listen', '127.0.0.1:0'],
        env,
      );
      procs.push(agent);
      const m = await agent.waitFor(
        /fingerprint ([0-9a-f]{64}), direct (\S+)/,
        START_TIMEOUT_MS,
        `agent ${name}`,
      );
      return { name, home, fingerprint: m[1]!, address: m[2]!, pid: agent.proc.pid! };
    };
    const [a, b, c, d] = (await Promise.all(['a', 'b', 'c', 'd'].map(start))) as [
      ChainNode,
      ChainNode,
      ChainNode,
      ChainNode,
    ];
    // `at` trusts `peer`, by address when `withAddress`, allowing `allow`.
    const add = (at: ChainNode, peer: ChainNode, allow: string, withAddress: boolean) =>
      runCli([
        'peers',
        'add',
        peer.fingerprint,
        '--name',
        peer.name,
        '--allow',
        allow,
        ...(withAddress ? ['--address', peer.address] : []),
        '--home',
        at.home,
      ]);
    await Promise.all([
      add(a, b, 'terminal', true),
      add(a, c, 'terminal', false),
      add(a, d, 'terminal', false),
      add(b, a, 'terminal,relay', false),
      add(b, c, 'terminal', true),
      add(c, b, 'relay', true),
      add(c, d, 'terminal', true),
      add(c, a, 'relay,terminal', false),
      add(d, c, 'terminal', true),
      add(d, a, 'terminal', false),
    ]);
    await runCli(['peers', 'route', 'd', '--via', 'b', '--via', 'c', '--home', a.home]);
    await runCli(['peers', 'route', 'c', '--via', 'b', '--home', a.home]);
    await Promise.all([waitForRoute(a.home, 'd'), waitForRoute(a.home, 'c')]);
    log('  d online via b → c, c via b');
    return { a, b, c, d, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
