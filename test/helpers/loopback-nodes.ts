/**
 * Real agents on loopback, linked by hand, for the tests of routes and of what a node serves
 * (multi-hop-routes, route-hop-abuse, served-connections, audit-terminal-links): each agent has a
 * direct listener of its own and neither relay nor web UI, and each test says who knows whose address
 * and who allows what, so a route through them is the only way between some of them.
 */
import assert from 'node:assert/strict';
import type { StatusResult } from '../../src-main/api/contract.js';
import { parseAllow } from '../../src-main/cli/permissions.js';
import { agentCall, cli, peerOf, startAgent, tempHome } from './processes.js';
import { until } from './wait.js';

/** A running agent: its name, home, fingerprint and direct listener's `127.0.0.1:PORT`. */
export interface LoopbackNode {
  name: string;
  home: string;
  fingerprint: string;
  address: string;
}

/**
 * `clawbridge agent` named `name` in a new home (`label` names its temporary folder), listening for
 * direct links on 127.0.0.1:`port` (a free port when absent), with no web UI; resolves once it runs.
 * Stopped by the processes helper's `stopAll`.
 */
export async function startLoopbackNode(name: string, label: string, port?: number): Promise<LoopbackNode> {
  const home = tempHome(`${label}-${name}`);
  const agent = await startAgent(home, { name, listen: `127.0.0.1:${port ?? 0}`, ui: false });
  return { name, home, fingerprint: agent.fingerprint, address: agent.listen! };
}

/**
 * `clawbridge agent` named `name` in a new home (`label` names its folder), direct on a port of its own
 * choosing on 127.0.0.1, no web UI; resolves with its status once it listens.
 */
export async function startListeningAgent(
  name: string,
  label: string,
): Promise<{ home: string; status: StatusResult }> {
  const home = tempHome(`${label}-${name}`);
  await startAgent(home, {
    name,
    listen: '127.0.0.1:0',
    ui: false,
    env: { CLAWBRIDGE_TEST: '1' },
  });
  const status = await until(
    `agent ${name} listening`,
    async () => {
      const s = await agentCall(home, 'status', {});
      return typeof s.listen === 'string' && s;
    },
    15_000,
  );
  return { home, status };
}

/** `clawbridge ARGS`, which must exit 0; its stdout. */
export async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  assert.equal(r.code, 0, `clawbridge ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/**
 * `at` trusts `peer` under `peer.name`, allowing `allow` (`none`: nothing). With `dial`, `at` is told
 * where it lives (`peer.address`, or the address given) and dials it; without, only `peer` can dial.
 */
export async function addPeer(
  at: Pick<LoopbackNode, 'home'>,
  peer: { name: string; fingerprint: string; address?: string },
  allow: string,
  dial: boolean | string = false,
): Promise<void> {
  const address = typeof dial === 'string' ? dial : dial ? peer.address : undefined;
  if (dial && !address) throw new Error(`no address to dial ${peer.name} at`);
  // Over the control socket, as `clawbridge peers add` does, without starting a CLI process for it:
  // set-up, not what these tests are about (cli-first-hour and the tour run the command itself).
  await agentCall(at.home, 'peers.add', {
    fingerprint: peer.fingerprint,
    name: peer.name,
    allow: parseAllow(allow),
    ...(address ? { address } : {}),
  });
}

/** Waits until `at` lists `peer` online (30 s at most). */
export async function online(at: Pick<LoopbackNode, 'name' | 'home'>, peer: string): Promise<void> {
  await until(
    `${at.name} → ${peer} online`,
    async () => (await peerOf(at.home, peer))?.state === 'online',
    30_000,
  );
}

/**
 * `at` and `peer` add each other marked as one person's devices (`--mine`), `at` told where `peer`
 * lives; with `bothDial`, `peer` is told `at`'s address too. Resolves once `at` has `peer` online.
 */
export async function pairMine(at: LoopbackNode, peer: LoopbackNode, bothDial = false): Promise<void> {
  const { name, fingerprint, address } = peer;
  // A node on a relay only has no address: nothing to dial, as the CLI skips an empty --address.
  await agentCall(at.home, 'peers.add', { fingerprint, name, ...(address ? { address } : {}), mine: true });
  const back = bothDial && at.address ? { address: at.address } : {};
  await agentCall(peer.home, 'peers.add', {
    fingerprint: at.fingerprint,
    name: at.name,
    ...back,
    mine: true,
  });
  await online(at, peer.name);
}

/** Saves `at`'s route to `target` through `via` and waits until `at` reaches it that way (30 s at most). */
export async function routeVia(at: Pick<LoopbackNode, 'home'>, target: string, via: string[]): Promise<void> {
  await ok(['peers', 'route', target, ...via.flatMap((hop) => ['--via', hop]), '--home', at.home]);
  await until(
    `${target} over the route via ${via.join(', ')}`,
    async () => (await peerOf(at.home, target))?.path === 'route',
    30_000,
  );
}
