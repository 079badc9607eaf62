/**
 * The agent's implementation of the API contract: the composition root that maps each method (already
 * validated by the transport) to the domain module answering it — peers (peer-api.ts), pairing
 * (pairing.ts), forwards (forwards/forward-api.ts), settings and relay probes (api/), terminals
 * (terminal/viewer-sessions.ts) — and the events (api/events.ts). One place, so IPC, the control
 * socket and the web UI behave alike.
 */
import type {
  ApiHandler,
  MethodName,
  MethodParams,
  MethodResults,
  NoticeEvent,
  PendingInfo,
  StatusResult,
} from '../api/contract.js';
import type { PeerRecord, PendingRecord } from './settings.js';
import type { TrustStore } from './trust-store.js';
import { pendingDisplayNames } from './pending.js';
import type { Approvals } from './approvals.js';
import type { ChangeSource, LoggerPort } from './ports.js';
import {
  addPeer,
  peerInfo,
  peerList,
  ping,
  removePeer,
  renamePeer,
  setForwardLimits,
  setPermission,
  type PeersHost,
} from './peer-api.js';
import type { Pairing } from './pairing.js';
import {
  addForward,
  addProxy,
  listForwards,
  listProxies,
  removeForward,
  removeProxy,
  setForwardEnabled,
} from '../forwards/forward-api.js';
import type { ForwardManager } from '../forwards/forward-manager.js';
import type { Terminals } from '../terminal/terminal-service.js';
import { ClawError } from '../core/errors.js';
import { getSettings, setSettings, type SettingsHost } from './api/settings.js';
import { probeRelay } from './api/relay-probe.js';
import { ApiEventHub, type Clock, realClock } from './api/events.js';

type Handlers = {
  [M in MethodName]: (params: MethodParams<M>) => Promise<MethodResults[M]> | MethodResults[M];
};

/**
 * The node as the API methods see it: what peer-api.ts and api/settings.ts need, and status. SettingsHost
 * comes first because its relayClients() (with url and error) is the overload status() must get.
 */
export type ApiNode = SettingsHost &
  PeersHost &
  ChangeSource &
  LoggerPort & {
    /** Where the direct listener is bound now, or null. */
    readonly listenAddress: string | null;
    /** True for a relay used only to reach a peer's home relay (relay-set.ts). */
    isOnDemandRelay(url: string): boolean;
    /** The agent's notices about a forward or proxy (the `notice` API event). */
    onForwardNotice(listener: (notice: NoticeEvent) => void): () => void;
  };

/** What the API handler is built from (run-agent.ts wires it); each method reaches only its part. */
export interface ApiParts {
  node: ApiNode;
  approvals: Pick<Approvals, 'list' | 'approve' | 'reject'>;
  pairing: Pick<Pairing, 'newCode' | 'join' | 'cancel' | 'list' | 'progress'>;
  /** The running forward manager, or undefined once forwarding stopped. */
  forwards: () => ForwardManager | undefined;
  /** The running terminals, or undefined once they stopped. */
  terminals: () => Terminals | undefined;
  /** Shuts the agent down (`agent.stop`); called after the answer is on its way. */
  requestStop?: () => void;
}

export function createApiHandler(parts: ApiParts, clock: Clock = realClock): ApiHandler {
  const { node: agent, approvals, pairing, terminals, forwards } = parts;
  const requireTerminals = (): Terminals => {
    const t = terminals();
    if (!t) throw new ClawError('INTERNAL', 'terminals are not running in this agent; restart the agent');
    return t;
  };
  const requireForwards = (): ForwardManager => {
    const f = forwards();
    if (!f) throw new ClawError('INTERNAL', 'forwarding is not running in this agent; restart the agent');
    return f;
  };
  // The forward methods name exit peers: they see the peers and the running manager.
  const fwd = () => ({ forwards: requireForwards(), peerEntries: () => agent.peerEntries() });
  const pendingList = () => pendingInfoList(approvals, agent);
  const handlers: Handlers = {
    status: () => status(agent),
    'peers.list': () => peerList(agent),
    'peers.add': (p) => {
      const names = new Map(agent.trust.peers().map((x) => [x.fingerprint, x.name]));
      const peer = addPeer(agent, p);
      // `peers add --rename`: forwards through the peer follow, as with `peers rename`.
      const before = names.get(peer.fingerprint);
      if (before !== undefined && before !== peer.name)
        forwards()?.renameVia(peer.fingerprint, before, peer.name);
      return peer;
    },
    'peers.remove': (p) => removePeer(agent, p.peer),
    'peers.allow': (p) => setPermission(agent, p.peer, p.permission, true),
    'peers.deny': (p) => setPermission(agent, p.peer, p.permission, false),
    'peers.limit': (p) => setForwardLimits(agent, p.peer, p.forwardTo),
    'peers.rename': (p) => {
      const { before, peer } = renamePeer(agent, p.peer, p.name);
      // Forwards name their exit peer: they follow the rename.
      if (before !== peer.name) requireForwards().renameVia(peer.fingerprint, before, peer.name);
      return peer;
    },
    ping: (p) => ping(agent, p.peer, p.timeoutMs),
    'pending.list': () => pendingList(),
    'pending.approve': (p) => {
      const peer = approvals.approve(
        { ...ref(p), ...(p.fingerprint !== undefined ? { fingerprint: p.fingerprint } : {}) },
        p.allow,
      );
      return peerInfo(
        agent,
        agent.peerEntries().find((e) => e.record.fingerprint === peer.fingerprint)!,
      );
    },
    'pending.reject': (p) => {
      const r = approvals.reject(ref(p));
      return { name: r.name, fingerprint: r.fingerprint };
    },
    'pair.new': (p) => pairing.newCode(p.ttlMs),
    'pair.join': (p) => pairing.join(p.code, p.timeoutMs, p.allow),
    'pair.cancel': (p) => ({ code: pairing.cancel(p.code) }),
    'pair.list': () => pairing.list(),
    'forward.add': (p) => addForward(fwd(), p),
    'forward.list': () => listForwards(fwd()),
    'forward.remove': (p) => removeForward(fwd(), p.name),
    'forward.enable': (p) => setForwardEnabled(fwd(), p.name, true, p.kind),
    'forward.disable': (p) => setForwardEnabled(fwd(), p.name, false, p.kind),
    'proxy.add': (p) => addProxy(fwd(), p),
    'proxy.list': () => listProxies(fwd()),
    'proxy.remove': (p) => removeProxy(fwd(), p.name),
    // Answered by the web UI server, which run-agent starts around this handler (web-ui/server.ts).
    'ui.url': () => {
      throw new ClawError('BAD_ARGUMENT', 'this agent does not serve the web UI');
    },
    'settings.get': () => getSettings(agent),
    'settings.set': (p) => setSettings(agent, p),
    'relay.probe': (p) => probeRelay(p.url, p.timeoutMs),
    'terminal.list': () => terminals()?.viewers.list() ?? [],
    'terminal.close': (p) => requireTerminals().viewers.close(p.id),
    'agent.stop': () => {
      const stop = parts.requestStop;
      if (!stop) throw new ClawError('BAD_ARGUMENT', 'this agent cannot be stopped through its API');
      // Answer first: the caller learns the name, then watches the control socket disappear.
      setTimeout(stop, 50);
      return { name: agent.name };
    },
  };
  const hub = new ApiEventHub(
    {
      onChanged: (l) => agent.onChanged(l),
      onPairing: (l) => pairing.progress.on('step', l),
      onTerminal: (l) => terminals()?.viewers.events.on('terminal', l) ?? (() => undefined),
      onActivity: (l) => forwards()?.activity.on('moved', l) ?? (() => undefined),
      onNotice: (l) => agent.onForwardNotice(l),
      snapshot: () => ({
        status: status(agent),
        pending: pendingList(),
        forwards: forwards()?.forwards() ?? [],
        proxies: forwards()?.proxies() ?? [],
      }),
      pending: () => pendingList(),
      busy: () => (forwards()?.openConnections() ?? 0) > 0,
      onError: (err) => agent.log.warn({ err }, 'API event failed'),
    },
    clock,
  );
  return {
    call: <M extends MethodName>(method: M, params: MethodParams<M>) =>
      Promise.resolve().then(() =>
        (handlers[method] as (p: MethodParams<M>) => MethodResults[M] | Promise<MethodResults[M]>)(params),
      ),
    onEvent: (listener) => hub.subscribe(listener),
  };
}

function ref(p: { id?: string | undefined; latest?: boolean | undefined }): {
  id?: string;
  latest?: boolean;
} {
  return p.latest ? { latest: true } : { id: p.id! };
}

function pendingInfoList(
  approvals: Pick<Approvals, 'list'>,
  node: { readonly trust: TrustStore },
): PendingInfo[] {
  const list = approvals.list();
  const names = pendingDisplayNames(list, node.trust.peers());
  return list.map((p) => pendingInfo(p, names.get(p.id) ?? p.name, node.trust.peer(p.fingerprint)));
}

function pendingInfo(p: PendingRecord, displayName: string, known: PeerRecord | undefined): PendingInfo {
  return {
    id: p.id,
    name: p.name,
    displayName,
    fingerprint: p.fingerprint,
    via: p.via,
    address: p.address,
    age: Math.max(0, Math.round((Date.now() - Date.parse(p.firstSeen)) / 1000)),
    knownAs: known ? { name: known.name, allow: known.allow } : null,
  };
}

function status(agent: ApiNode): StatusResult {
  return {
    name: agent.name,
    fingerprint: agent.identity.fingerprint,
    listen: agent.listenAddress,
    relays: agent.relayClients().map((r) => ({
      url: r.url,
      connected: r.state === 'connected',
      ...(r.lastError ? { error: r.lastError } : {}),
      ...(agent.isOnDemandRelay(r.url) ? { onDemand: true as const } : {}),
    })),
    peers: peerList(agent),
  };
}
