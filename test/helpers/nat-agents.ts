/**
 * Real `clawbridge` agents in the NAT lab (test/helpers/nat-lab.ts): a relay on the lab's internet, and
 * agents each in its home's host namespace, given only the relay and the other's fingerprint. Shared by
 * the NAT integration tests and the NAT-lab bench (bench/nat-lab.ts), so both start agents the same way.
 */
import assert from 'node:assert/strict';
import type { PeerInfo } from '../../src-main/api/contract.js';
import type { NatLab } from './nat-lab.js';
import { agentCall, cli, nodeId, startAgent, startProcess, tempHome, type Proc } from './processes.js';
import { until } from './wait.js';

/** The port every lab agent's direct listener takes inside its own host namespace. */
export const NAT_AGENT_PORT = 7475;

export interface NatNode {
  home: string;
  fingerprint: string;
  name: string;
  proc?: Proc;
}

/** A relay on the lab's first internet address; resolves with its URL once it listens. */
export async function startNatRelay(lab: NatLab, label = 'nat-relay'): Promise<string> {
  const relay = startProcess(
    ['relay', '--listen', `${lab.internet.addrs[0]}:0`, '--no-tls', '--home', tempHome(label)],
    {},
    lab.exec(lab.internet.ns),
  );
  return (await relay.waitForLine(/^relay listening on (ws:\/\/\S+)$/m))[1]!;
}

/** A fresh home with its identity made (no agent yet). */
export async function natNode(label: string, name: string): Promise<NatNode> {
  const home = tempHome(label);
  return { home, fingerprint: (await nodeId(home)).fingerprint, name };
}

/** Starts `n`'s agent inside `ns` (a lab host) on `relayUrl`; resolves once it says it runs. */
export async function startNatAgent(
  lab: NatLab,
  ns: string,
  n: NatNode,
  relayUrl: string,
  extra: string[] = [],
): Promise<Proc> {
  if (n.proc) return n.proc;
  n.proc = await startAgent(n.home, {
    name: n.name,
    relay: relayUrl,
    listen: `0.0.0.0:${NAT_AGENT_PORT}`,
    ui: false,
    args: extra,
    prefix: lab.exec(ns),
  });
  return n.proc;
}

/** Each of the pair adds the other by fingerprint alone. */
export async function befriend(x: NatNode, y: NatNode): Promise<void> {
  for (const [a, b] of [
    [x, y],
    [y, x],
  ] as const) {
    const r = await cli(['peers', 'add', b.fingerprint, '--name', b.name, '--home', a.home]);
    assert.equal(r.code, 0, r.stderr);
  }
}

/** What `a`'s agent knows of `b`. */
export const peerOn = async (a: NatNode, b: NatNode): Promise<PeerInfo | undefined> =>
  (await agentCall(a.home, 'peers.list', {})).find((p) => p.fingerprint === b.fingerprint);

/** Waits (at most `ms`) until both sides say `direct`; the ms it took from the call. */
export async function directWithin(a: NatNode, b: NatNode, ms: number): Promise<number> {
  const started = Date.now();
  await until(
    `${a.name} and ${b.name} direct`,
    async () => (await peerOn(a, b))?.path === 'direct' && (await peerOn(b, a))?.path === 'direct',
    ms,
  );
  return Date.now() - started;
}
