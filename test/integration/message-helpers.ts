/**
 * Real agents for the message tests (issue 54): started with the built CLI in temp homes, driven
 * through their control sockets (the API a program uses: messages.send, .list, .ack, .outbox and the
 * message events), restarted on the same home, killed by PID.
 */
import assert from 'node:assert/strict';
import type { InboxMessage, OutboxMessage } from '../../src-main/messages/messages-contract.js';
import type { ContractConnection } from '../helpers/contract-suite.js';
import { controlConnection } from '../helpers/control-connection.js';
import { addPeer as addLoopbackPeer } from '../helpers/loopback-nodes.js';
import {
  agentCall,
  cli,
  tempHome,
  type Proc,
  nodeId,
  startAgent,
  type AgentOptions,
} from '../helpers/processes.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

export interface MessageNode {
  name: string;
  home: string;
  fingerprint: string;
  /** `127.0.0.1:PORT` its direct listener is on (fixed across restarts), or null with --no-direct. */
  address: string | null;
  /** How its agent was started: the same again on a restart. */
  agent: AgentOptions;
  proc: Proc;
  api: ContractConnection;
}

/** Starts (or, given `node`, starts again on the same home and port) an agent with no web UI. */
export async function startNode(
  name: string,
  opts: { relay?: string; direct?: boolean; node?: MessageNode; home?: string } = {},
): Promise<MessageNode> {
  let agent = opts.node?.agent;
  let address = opts.node?.address ?? null;
  if (!agent) {
    address = opts.direct === false ? null : `127.0.0.1:${await freePort()}`;
    agent = { name, ui: false, listen: address ?? false, relay: opts.relay };
  }
  const home = opts.node?.home ?? opts.home ?? tempHome(`msg-${name}`);
  const proc = await startAgent(home, agent);
  const { fingerprint } = await nodeId(home);
  // Subscribed before any test waits for an event: a receipt from the other node must not beat it.
  const api = await controlConnection(home, { events: true });
  return { name, home, fingerprint, address, agent, proc, api };
}

export async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  assert.equal(r.code, 0, `clawbridge ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** `at` trusts `peer` under its name, with `allow` and, when known, its direct address. */
export async function addPeer(
  at: MessageNode,
  peer: MessageNode,
  allow = 'terminal,forward,message',
  withAddress = true,
): Promise<void> {
  const dial = Boolean(withAddress && peer.address);
  await addLoopbackPeer(at, { ...peer, address: peer.address ?? undefined }, allow, dial);
}

/** Waits until `from` sees `to` online, and returns the path it uses. */
export async function online(from: MessageNode, to: string, timeoutMs = 30_000): Promise<string> {
  return until(
    `${from.name} sees ${to} online`,
    async () => {
      const p = (await agentCall(from.home, 'peers.list', {})).find((x) => x.name === to);
      return p?.state === 'online' ? (p.path ?? 'unknown') : undefined;
    },
    timeoutMs,
  );
}

export const send = (from: MessageNode, params: Record<string, unknown>) =>
  from.api.call('messages.send', params) as Promise<OutboxMessage>;
export const inbox = (at: MessageNode, params: Record<string, unknown> = {}) =>
  at.api.call('messages.list', params) as Promise<InboxMessage[]>;
export const outbox = (at: MessageNode, params: Record<string, unknown> = {}) =>
  at.api.call('messages.outbox', params) as Promise<OutboxMessage[]>;

/** The next `message` event on `at` that `match` accepts (listening from now on). */
export function nextMessage(
  at: MessageNode,
  match: (m: InboxMessage) => boolean,
  timeoutMs: number,
): Promise<InboxMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no matching message event on ${at.name} within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = at.api.onEvent((event, data) => {
      if (event !== 'message' || !match(data as InboxMessage)) return;
      clearTimeout(timer);
      stop();
      resolve(data as InboxMessage);
    });
  });
}

/** The next `message.state` event on `at` for message `id` in state `state`. */
export function nextState(
  at: MessageNode,
  id: string,
  state: OutboxMessage['state'],
  timeoutMs: number,
): Promise<OutboxMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`message ${id} did not become ${state} on ${at.name} within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = at.api.onEvent((event, data) => {
      const m = data as OutboxMessage;
      if (event !== 'message.state' || m.id !== id || m.state !== state) return;
      clearTimeout(timer);
      stop();
      resolve(m);
    });
  });
}

/**
 * One message a → b while `b` listens: its `message` event arrives after `send` returns
 * (issue 54, must-be-true 1; its 1 s is the bench's), acknowledging it gives a `read` receipt, and both boxes say so.
 */
export async function roundTrip(a: MessageNode, b: MessageNode, text: string): Promise<void> {
  const arrived = nextMessage(b, (m) => m.text === text, 10_000);
  const queued = await send(a, { peer: b.name, text, topic: 'it' });
  assert.equal(queued.state, 'queued');
  assert.deepEqual(queued.peer, { name: b.name, fingerprint: b.fingerprint });
  const got = await arrived;
  // How soon is said, not asserted: a loaded machine's scheduler decides it; the bench measures it
  // (TARGET_MSG_LISTEN_P50_MS).
  assert.equal(got.id, queued.id);
  assert.deepEqual(got.from, { name: a.name, fingerprint: a.fingerprint });
  assert.equal(got.topic, 'it');
  assert.equal(got.read, false);
  const read = nextState(a, queued.id, 'read', 10_000);
  assert.deepEqual(await b.api.call('messages.ack', { ids: [got.id] }), { acked: 1 });
  await read;
  const [mine] = await outbox(a, { ids: [queued.id] });
  assert.equal(mine?.state, 'read');
  const theirs = (await inbox(b, { topic: 'it' })).find((m) => m.id === queued.id);
  assert.equal(theirs?.read, true);
}
