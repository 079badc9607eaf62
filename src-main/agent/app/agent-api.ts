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
  PendingInfo,
  StatusResult,
} from '../../api/contract.js';
import type { PeerRecord, PendingRecord } from '../state/settings.js';
import { pendingDisplayNames } from '../state/pending.js';
import type { Approvals } from '../pairing/approvals.js';
import type { Logger } from 'pino';
import type { Notices } from '../state/notices.js';
import type { NodeStateReader } from '../state/node-state.js';
import {
  addPeer,
  peerInfo,
  peerList,
  ping,
  removePeer,
  renamePeer,
  setForwardLimits,
  setListenLimits,
  setPermission,
  setRoute,
  type PeersDeps,
} from './peer-api.js';
import type { CodeIssuer } from '../pairing/pairing-issuer.js';
import type { CodeJoiner } from '../pairing/pairing-joiner.js';
import type { PairingProgress } from '../pairing/pairing-progress.js';
import {
  addForward,
  addProxy,
  listForwards,
  listProxies,
  removeForward,
  removeProxy,
  setForwardEnabled,
} from '../../forwards/forward-api.js';
import type { ForwardManager } from '../../forwards/forward-manager.js';
import type { Terminals } from '../../terminal/terminal-service.js';
import { ClawError } from '../../core/errors.js';
import { getSettings, setSettings, type SettingsDeps } from './api/settings.js';
import { probeRelay } from './api/relay-probe.js';
import { ApiEventHub, type Clock, realClock } from './api/events.js';
import type { ConnectionTable } from '../../connections/connection-table.js';
import { listAudit, type AuditDeps } from './api/audit.js';
import { messageEventSources, messageHandlers, type MessagesApiDeps } from './api/messages.js';

type Handlers = {
  [M in MethodName]: (params: MethodParams<M>) => Promise<MethodResults[M]> | MethodResults[M];
};

/**
 * The node as the API methods see it: what peer-api.ts and api/settings.ts need, and status.
 */
export type ApiNode = Omit<SettingsDeps, 'relays' | 'notices'> &
  PeersDeps & {
    readonly log: Logger;
    readonly notices: Pick<Notices, 'changed' | 'onChanged' | 'onForwardNotice'>;
    readonly relays: SettingsDeps['relays'] & {
      /** True for a relay used only to reach a peer's home relay (relay-set.ts). */
      isOnDemand(url: string): boolean;
    };
  };

/** What the API handler is built from (run-agent.ts wires it); each method reaches only its part. */
export interface ApiParts {
  node: ApiNode;
  approvals: Pick<Approvals, 'list' | 'approve' | 'reject'>;
  issuer: Pick<CodeIssuer, 'newCode' | 'cancel' | 'list'>;
  joiner: Pick<CodeJoiner, 'join' | 'cancel' | 'isJoining' | 'list'>;
  progress: PairingProgress;
  /** The running forward manager, or undefined once forwarding stopped. */
  forwards: () => ForwardManager | undefined;
  /** The running terminals, or undefined once they stopped. */
  terminals: () => Terminals | undefined;
  /**
   * The web UI this agent serves, once it runs (run-agent starts it after the handler, which it needs),
   * or null without one (--no-ui): `ui.url` answers with its link.
   */
  webUi?: () => { url(newToken: boolean): string } | null;
  /** The live connections this node carries (`connections.list`, `connections.close`, the event). */
  connections?: ConnectionTable;
  /** The audit log (`audit.list`); absent in agents built without one. */
  audit?: AuditDeps;
  /** The node's inbox and outbox (`messages.*`, the message events); absent in agents built without them. */
  messages?: MessagesApiDeps;
  /** Shuts the agent down (`agent.stop`); called after the answer is on its way. */
  requestStop?: () => void;
}

export function createApiHandler(parts: ApiParts, clock: Clock = realClock): ApiHandler {
  const { node: agent, approvals, issuer, joiner, terminals, forwards } = parts;
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
  const fwd = () => ({
    forwards: requireForwards(),
    peerEntries: () => agent.links.peerEntries(),
    self: () => agent.links.self(),
  });
  const pendingList = () => pendingInfoList(approvals, agent.state);
  const handlers: Handlers = {
    status: () => status(agent),
    'peers.list': () => peerList(agent),
    // `peers add --rename` and `peers rename`: forwards through the peer follow (node-state.ts).
    'peers.add': (p) => addPeer(agent, p),
    'peers.remove': (p) => removePeer(agent, p.peer),
    'peers.allow': (p) => setPermission(agent, p.peer, p.permission, true),
    'peers.deny': (p) => setPermission(agent, p.peer, p.permission, false),
    'peers.limit': (p) => {
      // Either or both: each given list (or null, lifting it) replaces that limit.
      let info = p.forwardTo !== undefined ? setForwardLimits(agent, p.peer, p.forwardTo) : undefined;
      if (p.listenOn !== undefined) info = setListenLimits(agent, p.peer, p.listenOn);
      return info!;
    },
    'peers.rename': (p) => renamePeer(agent, p.peer, p.name),
    'peers.route': (p) => setRoute(agent, p.peer, p.via),
    ping: (p) => ping(agent, p.peer, p.timeoutMs),
    'pending.list': () => pendingList(),
    'pending.approve': (p) => {
      const peer = approvals.approve(
        { ...ref(p), ...(p.fingerprint !== undefined ? { fingerprint: p.fingerprint } : {}) },
        p.allow,
      );
      return peerInfo(agent.links.stateSource(), agent.links.peerEntry(peer.fingerprint)!);
    },
    'pending.reject': (p) => {
      const r = approvals.reject(ref(p));
      return { name: r.name, fingerprint: r.fingerprint };
    },
    'pair.new': (p) => issuer.newCode(p.ttlMs),
    'pair.join': (p) => joiner.join(p.code, p.timeoutMs, p.allow),
    // A code this node is joining with cancels the join (the issuer's request is withdrawn); else
    // it is one of this node's open codes.
    'pair.cancel': (p) => ({
      code: joiner.isJoining(p.code) ? joiner.cancel(p.code) : issuer.cancel(p.code),
    }),
    'pair.list': () => ({ codes: issuer.list(), joins: joiner.list() }),
    'forward.add': (p) => addForward(fwd(), p),
    'forward.list': () => listForwards(fwd()),
    'forward.remove': (p) => removeForward(fwd(), p.name),
    'forward.enable': (p) => setForwardEnabled(fwd(), p.name, true, p.kind),
    'forward.disable': (p) => setForwardEnabled(fwd(), p.name, false, p.kind),
    'proxy.add': (p) => addProxy(fwd(), p),
    'proxy.list': () => listProxies(fwd()),
    'proxy.remove': (p) => removeProxy(fwd(), p.name),
    'ui.url': (p) => {
      const ui = parts.webUi?.();
      if (!ui) {
        throw new ClawError(
          'BAD_ARGUMENT',
          'the web UI is off (agent --no-ui): restart the agent with --ui-listen 127.0.0.1:7476 to serve it',
        );
      }
      return { url: ui.url(p.newToken ?? false) };
    },
    'settings.get': () => getSettings(agent),
    'settings.set': (p) => setSettings(agent, p),
    'relay.probe': (p) => probeRelay(p.url, p.timeoutMs),
    'terminal.list': () => terminals()?.viewers.list() ?? [],
    'terminal.close': (p) => requireTerminals().viewers.close(p.id),
    'connections.list': () => parts.connections?.list() ?? [],
    'connections.close': (p) => {
      if (!parts.connections) throw new ClawError('INTERNAL', 'this agent does not list its connections');
      // The reason reaches whoever is at the other end, a viewer on another node too: "this node"
      // would be theirs there, so it names this one.
      return parts.connections.close(p.id, `closed by the owner of ${agent.name}`);
    },
    'audit.list': (p) => {
      if (!parts.audit) throw new ClawError('INTERNAL', 'this agent keeps no audit log');
      return listAudit(parts.audit, p);
    },
    ...messagesApi(parts.messages),
    'agent.stop': () => {
      const stop = parts.requestStop;
      if (!stop) throw new ClawError('BAD_ARGUMENT', 'this agent cannot be stopped through its API');
      // Answer first: the caller learns the name, then watches the control socket disappear.
      setTimeout(stop, 50);
      return { name: agent.name };
    },
  };
  const audit = parts.audit;
  const hub = new ApiEventHub(
    {
      onChanged: (l) => agent.notices.onChanged(l),
      onPairing: (l) => parts.progress.events.on('step', l),
      onTerminal: (l) => terminals()?.viewers.events.on('terminal', l) ?? (() => undefined),
      onActivity: (l) => forwards()?.activity.on('moved', l) ?? (() => undefined),
      onNotice: (l) => agent.notices.onForwardNotice(l),
      ...(audit ? { onAudit: (l: (lines: number) => void) => audit.onWritten(l) } : {}),
      ...(parts.messages ? messageEventSources(parts.messages) : {}),
      onSettingsChanged: (l) =>
        agent.state.subscribe((c) => {
          if (c.kind === 'option' || c.kind === 'relay') l();
        }),
      snapshot: () => ({
        status: status(agent),
        pending: pendingList(),
        forwards: forwards()?.forwards() ?? [],
        proxies: forwards()?.proxies() ?? [],
      }),
      pending: () => pendingList(),
      ...(parts.connections ? { connections: parts.connections } : {}),
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

/** The messages methods, or (an agent built without messages) each saying so. */
function messagesApi(deps: MessagesApiDeps | undefined): ReturnType<typeof messageHandlers> {
  if (deps) return messageHandlers(deps);
  const off = () => {
    throw new ClawError('INTERNAL', 'messages are not running in this agent; restart the agent');
  };
  return {
    'messages.send': off,
    'messages.list': off,
    'messages.ack': off,
    'messages.outbox': off,
    'messages.delete': off,
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
  state: Pick<NodeStateReader, 'peers' | 'peer'>,
): PendingInfo[] {
  const list = approvals.list();
  const names = pendingDisplayNames(list, state.peers());
  return list.map((p) => pendingInfo(p, names.get(p.id) ?? p.name, state.peer(p.fingerprint)));
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
    listen: agent.local.listenAddress,
    relays: agent.relays.clients().map((r) => ({
      url: r.url,
      connected: r.state === 'connected',
      ...(r.lastError ? { error: r.lastError } : {}),
      ...(agent.relays.isOnDemand(r.url) ? { onDemand: true as const } : {}),
    })),
    peers: peerList(agent),
  };
}
