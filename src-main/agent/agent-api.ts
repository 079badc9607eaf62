/**
 * The agent's implementation of the API contract: each method validated by the transport, answered
 * here from the agent's state. One place, so IPC, the control socket and the web UI behave alike.
 */
import type {
  ApiHandler,
  MethodName,
  MethodParams,
  MethodResults,
  PendingInfo,
  StatusResult,
} from '../api/contract.js';
import type { Agent } from './agent.js';
import type { PendingRecord } from './settings.js';
import { DEFAULT_ALLOW } from './settings.js';
import { pendingDisplayNames } from './pending.js';
import {
  addPeer,
  peerInfo,
  peerList,
  ping,
  removePeer,
  setForwardLimits,
  setPermission,
} from './peer-api.js';
import type { Pairing } from './pairing.js';
import {
  addForward,
  addProxy,
  listForwards,
  listProxies,
  removeForward,
  removeProxy,
} from '../forwards/forward-api.js';

type Handlers = {
  [M in MethodName]: (params: MethodParams<M>) => Promise<MethodResults[M]> | MethodResults[M];
};

export function createApiHandler(agent: Agent, pairing: Pairing): ApiHandler {
  const handlers: Handlers = {
    status: () => status(agent),
    'peers.list': () => peerList(agent),
    'peers.add': (p) => addPeer(agent, p),
    'peers.remove': (p) => removePeer(agent, p.peer),
    'peers.allow': (p) => setPermission(agent, p.peer, p.permission, true),
    'peers.deny': (p) => setPermission(agent, p.peer, p.permission, false),
    'peers.limit': (p) => setForwardLimits(agent, p.peer, p.forwardTo),
    ping: (p) => ping(agent, p.peer, p.timeoutMs),
    'pending.list': () => {
      const list = agent.approvals.list();
      const names = pendingDisplayNames(list, agent.settings.get().peers);
      return list.map((p) => pendingInfo(p, names.get(p.id) ?? p.name));
    },
    'pending.approve': (p) => {
      const peer = agent.approvals.approve(
        { ...ref(p), ...(p.fingerprint !== undefined ? { fingerprint: p.fingerprint } : {}) },
        p.allow ?? DEFAULT_ALLOW,
      );
      return peerInfo(agent, agent.peerEntries().find((e) => e.record.fingerprint === peer.fingerprint)!);
    },
    'pending.reject': (p) => {
      const r = agent.approvals.reject(ref(p));
      return { name: r.name, fingerprint: r.fingerprint };
    },
    'pair.new': (p) => pairing.newCode(p.ttlMs),
    'pair.join': (p) => pairing.join(p.code, p.timeoutMs, p.allow ?? []),
    'forward.add': (p) => addForward(agent, p),
    'forward.list': () => listForwards(agent),
    'forward.remove': (p) => removeForward(agent, p.name),
    'proxy.add': (p) => addProxy(agent, p),
    'proxy.list': () => listProxies(agent),
    'proxy.remove': (p) => removeProxy(agent, p.name),
  };
  return {
    call: <M extends MethodName>(method: M, params: MethodParams<M>) =>
      Promise.resolve(
        (handlers[method] as (p: MethodParams<M>) => MethodResults[M] | Promise<MethodResults[M]>)(params),
      ),
    onEvent: (listener) => agent.events.on('changed', () => listener('changed', {})),
  };
}

function ref(p: { id?: string | undefined; latest?: boolean | undefined }): {
  id?: string;
  latest?: boolean;
} {
  return p.latest ? { latest: true } : { id: p.id! };
}

function pendingInfo(p: PendingRecord, displayName: string): PendingInfo {
  return {
    id: p.id,
    name: p.name,
    displayName,
    fingerprint: p.fingerprint,
    via: p.via,
    address: p.address,
    age: Math.max(0, Math.round((Date.now() - Date.parse(p.firstSeen)) / 1000)),
  };
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
