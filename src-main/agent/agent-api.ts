/**
 * The agent's implementation of the API contract: each method validated by the transport, answered
 * here from the agent's state. One place, so IPC, the control socket and the web UI behave alike.
 */
import { ClawError } from '../core/errors.js';
import { parseFingerprint } from '../core/fingerprint.js';
import { parseHostPort, formatHostPort } from '../core/host-port.js';
import type {
  ApiHandler,
  MethodName,
  MethodParams,
  MethodResults,
  PeerInfo,
  StatusResult,
} from '../api/contract.js';
import type { Agent } from './agent.js';

type Handlers = {
  [M in MethodName]: (params: MethodParams<M>) => Promise<MethodResults[M]> | MethodResults[M];
};

export function createApiHandler(agent: Agent): ApiHandler {
  const handlers: Handlers = {
    status: () => status(agent),
    'peers.list': () => peerList(agent),
    'peers.add': (p) => addPeer(agent, p),
    'peers.remove': (p) => removePeer(agent, p.peer),
    ping: (p) => ping(agent, p.peer, p.timeoutMs),
  };
  return {
    call: <M extends MethodName>(method: M, params: MethodParams<M>) =>
      Promise.resolve(
        (handlers[method] as (p: MethodParams<M>) => MethodResults[M] | Promise<MethodResults[M]>)(params),
      ),
    onEvent: (listener) => agent.events.on('changed', () => listener('changed', {})),
  };
}

function peerList(agent: Agent): PeerInfo[] {
  return agent.peerEntries().map(({ record, links }) => {
    const active = links.active;
    return {
      name: record.name,
      fingerprint: record.fingerprint,
      online: links.online,
      path: active?.path ?? null,
      address: active?.link.remote ?? null,
      relay: active?.path === 'relay' ? active.link.remote : null,
      rttMs: active ? links.rttMs : null,
      since: links.since?.toISOString() ?? null,
    };
  });
}

function status(agent: Agent): StatusResult {
  return {
    name: agent.name,
    fingerprint: agent.identity.fingerprint,
    listen: agent.listenAddress,
    relays: agent.relayClients().map((r) => ({
      url: r.url,
      connected: r.state === 'connected',
      ...(r.lastError ? { error: r.lastError } : {}),
    })),
    peers: peerList(agent),
  };
}

/** Finds a peer by name, full fingerprint (any formatting) or a unique fingerprint prefix. */
export function resolvePeer(agent: Agent, ref: string) {
  const entries = agent.peerEntries();
  const byName = entries.filter((e) => e.record.name === ref);
  if (byName.length === 1) return byName[0]!;
  const compact = ref.replace(/[\s:-]/g, '').toLowerCase();
  if (/^[0-9a-f]{4,64}$/.test(compact)) {
    const matches = entries.filter((e) => e.record.fingerprint.startsWith(compact));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `'${ref}' matches ${matches.length} peers; give more of the fingerprint`,
      );
    }
  }
  throw new ClawError('PEER_NOT_FOUND', `no peer named '${ref}'; \`clawbridge peers\` lists them`);
}

function addPeer(agent: Agent, p: MethodParams<'peers.add'>): PeerInfo {
  const fingerprint = parseFingerprint(p.fingerprint);
  if (fingerprint === agent.identity.fingerprint) {
    throw new ClawError('BAD_ARGUMENT', "that is this node's own fingerprint; add the other node's");
  }
  const address = p.address ? normalizeAddress(p.address) : undefined;
  const s = agent.settings.get();
  const clash = s.peers.find((x) => x.name === p.name && x.fingerprint !== fingerprint);
  if (clash) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `a peer named '${p.name}' already exists (${clash.fingerprint.slice(0, 8)}); pick another name`,
    );
  }
  const existing = s.peers.find((x) => x.fingerprint === fingerprint);
  const addresses = [...new Set([...(address ? [address] : []), ...(existing?.addresses ?? [])])];
  const record = {
    fingerprint,
    name: p.name,
    addresses,
    addedAt: existing?.addedAt ?? new Date().toISOString(),
  };
  agent.settings.update((cur) => ({
    ...cur,
    peers: [...cur.peers.filter((x) => x.fingerprint !== fingerprint), record],
  }));
  agent.trackPeer(record);
  agent.changed();
  return peerList(agent).find((x) => x.fingerprint === fingerprint)!;
}

function normalizeAddress(address: string): string {
  const { host, port } = parseHostPort(address);
  if (port === 0) throw new ClawError('BAD_ARGUMENT', `address ${address}: port 0 cannot be dialed`);
  return formatHostPort(host, port);
}

function removePeer(agent: Agent, ref: string): { name: string; fingerprint: string } {
  const entry = resolvePeer(agent, ref);
  const { name, fingerprint } = entry.record;
  agent.settings.update((cur) => ({ ...cur, peers: cur.peers.filter((x) => x.fingerprint !== fingerprint) }));
  agent.untrackPeer(fingerprint, `removed as a peer by ${agent.name}`);
  return { name, fingerprint };
}

async function ping(agent: Agent, ref: string, timeoutMs = 5000) {
  const entry = resolvePeer(agent, ref);
  const active = entry.links.active;
  if (!active) {
    const why = [entry.direct.lastError, entry.relay.lastError].filter(Boolean).join('; ');
    throw new ClawError(
      'PEER_OFFLINE',
      `peer ${entry.record.name} is offline${why ? ` (${why})` : ''}; check that its agent runs and shares a relay or network with this one`,
    );
  }
  const rttMs = await active.mux.ping(timeoutMs);
  entry.links.rttMs = rttMs;
  return { peer: entry.record.name, path: active.path, remote: active.link.remote, rttMs };
}
