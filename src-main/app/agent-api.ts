/**
 * The agent's implementation of the API contract: the composition root that maps each method (already
 * validated by the transport) to the part answering it — the node's own (peers: peer-api.ts, the
 * owner's devices: mine-api.ts, pairing, pending requests, settings and relay probes: api/) and, for
 * the rest, the domain that answers it (links/domain.ts; which ones, app/domains.ts says: this file
 * names none) — and the events (api/events.ts). One place, so IPC, the control socket and the web UI
 * behave alike.
 */
import { joinedSource, revokePeer, setMine, thenMine } from './mine-api.js';
import type { Introductions } from '../pairing/introductions.js';
import type {
  MethodName,
  MethodParams,
  PendingInfo,
  ProcessMemory,
  StatusEvent,
  StatusResult,
  NatStatus,
} from '../api/contract.js';
import type { PeerRecord, PendingRecord } from '../state/settings.js';
import { pendingDisplayNames } from '../state/pending.js';
import type { Approvals } from '../pairing/approvals.js';
import type { Logger } from 'pino';
import type { Notices } from '../state/notices.js';
import type { NodeStateReader } from '../state/node-state.js';
import {
  refuseGuest,
  type GuestChange,
  type AskedWords,
  type GuestLookup,
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
  retryDirect,
  type PeersDeps,
} from './peer-api.js';
import type { CodeIssuer } from '../pairing/pairing-issuer.js';
import type { CodeJoiner } from '../pairing/pairing-joiner.js';
import type { PairingProgress } from '../pairing/pairing-progress.js';
import { ClawError, errorMessage, isClawError } from '../core/errors.js';
import { getSettings, setSettings, type RestartSettings, type SettingsDeps } from './api/settings.js';
import { probeRelay } from './api/relay-probe.js';
import { ApiEventHub, type Clock, type ConnectionsSource, realClock } from './api/events.js';
import type { ConnectionTable } from '../connections/connection-table.js';
import { listAudit, type AuditDeps } from './api/audit.js';
import type { MethodHandlers } from '../links/domain.js';
import type { Contract, ServedApi } from '../api/contract-registry.js';
import type { DomainApi } from './domain-set.js';

/**
 * What the API handler is built from (run-agent.ts wires it): named parts, each narrowed to what the
 * methods use (architecture.md §Rules the code keeps); each method reaches only its part.
 */
export interface ApiDeps {
  identity: { readonly fingerprint: string };
  /** This node's name as the settings give it now. */
  name(): string;
  log: Pick<Logger, 'warn'>;
  /** Read for status, peers and pending; written by the peer and settings methods; followed for `settings`. */
  state: PeersDeps['state'] & SettingsDeps['state'];
  /** The peers' links: status, `peers.*`, and the exit peers forward methods name. */
  links: PeersDeps['links'];
  relays: SettingsDeps['relays'] & {
    /** True for a relay used only to reach a peer's home relay (relay-set.ts). */
    isOnDemand(url: string): boolean;
  };
  /** Where the direct listener is bound now. */
  local: SettingsDeps['local'];
  /** What this node learned of itself across NATs (links/nat-candidates.ts); absent in tests without it. */
  nat?: { view(): NatStatus };
  notices: Pick<Notices, 'changed' | 'onChanged' | 'onNoticeOf'>;
  /** The settings that take a restart, as the running agent started with them. */
  startedWith(): RestartSettings;
  approvals: Pick<Approvals, 'list' | 'find' | 'approve' | 'reject'>;
  issuer: Pick<CodeIssuer, 'newCode' | 'cancel' | 'list'>;
  joiner: Pick<CodeJoiner, 'join' | 'cancel' | 'isJoining' | 'list'>;
  progress: Pick<PairingProgress, 'events'>;
  /**
   * The contract this agent answers (api/contract-registry.ts): the node's own pieces and its domains',
   * which the transports check requests against and the event hub follows the domains' events by.
   */
  contract: Contract;
  /**
   * The node's domains (app/domain-set.ts): the methods, events and status they answer. Absent: an
   * agent built without them, whose domain methods each say so.
   */
  domains?: DomainApi;
  /**
   * The web UI this agent serves (`ui.url` answers with its link), or null without one (--no-ui).
   * Built before the handler; it listens once the agent runs (run-agent.ts).
   */
  webUi?: {
    url(newToken: boolean): string;
    /** Where it serves, once it does (status's `ui`). */
    readonly server?: { address: string; movedFrom: number | undefined } | undefined;
  } | null;
  /** The live connections this node carries (`connections.list`, `connections.close`, the event). */
  connections?: ConnectionsSource & Pick<ConnectionTable, 'close'>;
  /** The audit log (`audit.list`); absent in agents built without one. */
  audit?: AuditDeps;
  /** Shuts the agent down (`agent.stop`); called after the answer is on its way. */
  requestStop?: () => void;
  /**
   * Whether the agent is stopping: a call that fails inside then (a store closed under it) is answered
   * NO_AGENT, as if it had come a moment later, so that clients which wait for the agent to come back
   * (`msg listen`) do, instead of taking an internal error for a fault.
   */
  stopping?: () => boolean;
  /** The nodes let in without a pairing (services/admission.ts): `peers` says why each is. */
  guests?: GuestLookup;
  /** The owner's devices (`peers.mine`, `peers.revoke`, `mine` when adding or approving: ADR 0056). */
  introductions?: Pick<Introductions, 'markMine' | 'revoke' | 'events'>;
}

/** The API handler, and the methods it answers (every one the contract lists, with the whole list of domains). */
export type AgentApi = ServedApi & { readonly answers: ReadonlySet<MethodName> };

export function createApiHandler(deps: ApiDeps, clock: Clock = realClock): AgentApi {
  const { approvals, issuer, joiner, links, state, notices } = deps;
  const domains = deps.domains;
  // The views peer-api.ts and api/settings.ts take, from the named parts.
  const peers: PeersDeps = {
    identity: deps.identity,
    state,
    links,
    notices,
    ...(deps.guests ? { guests: deps.guests } : {}),
  };
  // A guest has no record here to change: its access is its group's (peer-api.ts refuseGuest).
  const asPeer = (ref: string, what: string, change?: GuestChange, asked?: AskedWords): string => {
    refuseGuest(peers, ref, what, change, asked);
    return ref;
  };
  const settings: SettingsDeps = {
    get name() {
      return deps.name();
    },
    identity: deps.identity,
    state,
    local: deps.local,
    get startedWith() {
      return deps.startedWith();
    },
    relays: deps.relays,
    notices,
  };
  const statusOf = () => status(deps, peers);
  const pendingList = () => pendingInfoList(approvals, state);
  const mine = () => {
    const introductions = deps.introductions;
    if (!introductions) throw new ClawError('INTERNAL', "this agent has no part for the owner's devices");
    return { links, notices, introductions };
  };
  // The node's own methods; the domains answer the rest.
  const own: MethodHandlers = {
    status: () => ({
      ...statusOf(),
      // Only in the call, as `process`: the status events stay what they were.
      ...domains?.status.call(),
      process: processMemory(),
    }),
    'peers.list': () => peerList(peers),
    // `peers add --rename` and `peers rename`: forwards through the peer follow (node-state.ts).
    'peers.add': (p) => {
      const { mine: asMine, ...rest } = p;
      const info = addPeer(peers, rest);
      return asMine ? setMine(mine(), { peer: info.fingerprint, on: true }) : info;
    },
    // A peer marked mine is removed on all the owner's devices (ADR 0056).
    'peers.remove': (p) => {
      asPeer(p.peer, 'remove');
      if (!deps.introductions) return removePeer(peers, p.peer);
      const { name, fingerprint } = revokePeer(mine(), p.peer);
      return { name, fingerprint };
    },
    'peers.mine': (p) => setMine(mine(), { ...p, peer: asPeer(p.peer, 'mark as yours') }),
    'peers.revoke': (p) => revokePeer(mine(), asPeer(p.peer, 'revoke')),
    'peers.allow': (p) =>
      setPermission(
        peers,
        asPeer(p.peer, 'change the permissions of', 'words', { permission: p.permission, on: true }),
        p.permission,
        true,
      ),
    'peers.deny': (p) =>
      setPermission(
        peers,
        asPeer(p.peer, 'change the permissions of', 'words', { permission: p.permission, on: false }),
        p.permission,
        false,
      ),
    'peers.limit': (p) => {
      asPeer(p.peer, 'limit', 'words');
      // Either or both: each given list (or null, lifting it) replaces that limit.
      let info = p.forwardTo !== undefined ? setForwardLimits(peers, p.peer, p.forwardTo) : undefined;
      if (p.listenOn !== undefined) info = setListenLimits(peers, p.peer, p.listenOn);
      return info!;
    },
    'peers.rename': (p) => renamePeer(peers, asPeer(p.peer, 'rename', 'name'), p.name),
    'peers.route': (p) => setRoute(peers, asPeer(p.peer, 'set a route to', 'path'), p.via),
    'peers.retry': (p) => retryDirect(peers, p.peer),
    ping: (p) => ping(peers, p.peer, p.timeoutMs),
    'pending.list': () => pendingList(),
    'pending.approve': (p) => {
      // A request that came with a code made as mine (`pair new --mine`) is marked unless told not.
      const asMine = p.mine ?? approvals.find(ref(p)).mine === true;
      const peer = approvals.approve(
        { ...ref(p), ...(p.fingerprint !== undefined ? { fingerprint: p.fingerprint } : {}) },
        p.allow,
      );
      if (asMine) thenMine(mine(), true, peer);
      return peerInfo(links.stateSource(), links.peerEntry(peer.fingerprint)!);
    },
    'pending.reject': (p) => {
      const r = approvals.reject(ref(p));
      return { name: r.name, fingerprint: r.fingerprint };
    },
    'pair.new': (p) => issuer.newCode(p.ttlMs, p.mine === true),
    'pair.join': async (p) => {
      // One of the owner's devices gets what an introduced one gets here (ADR 0056: mineAllow).
      const defaultAllow = p.mine ? state.get().mineAllow : [];
      const joined = await joiner.join(p.code, p.timeoutMs, p.allow, defaultAllow);
      return p.mine ? thenMine(mine(), true, joined) : joined;
    },
    // A code this node is joining with cancels the join (the issuer's request is withdrawn); else
    // it is one of this node's open codes.
    'pair.cancel': (p) => ({
      code: joiner.isJoining(p.code) ? joiner.cancel(p.code) : issuer.cancel(p.code),
    }),
    'pair.list': () => ({ codes: issuer.list(), joins: joiner.list() }),
    'ui.url': (p) => {
      const ui = deps.webUi;
      if (!ui) {
        throw new ClawError(
          'BAD_ARGUMENT',
          'the web UI is off (agent --no-ui): restart the agent with --ui-listen 127.0.0.1:7476 to serve it',
        );
      }
      return { url: ui.url(p.newToken ?? false) };
    },
    'settings.get': () => getSettings(settings),
    'settings.set': (p) => setSettings(settings, p),
    'relay.probe': (p) => probeRelay(p.url, p.timeoutMs),
    'connections.list': () => deps.connections?.list() ?? [],
    'connections.close': (p) => {
      if (!deps.connections) throw new ClawError('INTERNAL', 'this agent does not list its connections');
      // The reason reaches whoever is at the other end, a viewer on another node too: "this node"
      // would be theirs there, so it names this one.
      return deps.connections.close(p.id, `closed by the owner of ${deps.name()}`);
    },
    'audit.list': (p) => {
      if (!deps.audit) throw new ClawError('INTERNAL', 'this agent keeps no audit log');
      return listAudit(deps.audit, p);
    },
    'agent.stop': () => {
      const stop = deps.requestStop;
      if (!stop) throw new ClawError('BAD_ARGUMENT', 'this agent cannot be stopped through its API');
      // Answer first: the caller learns the name, then watches the control socket disappear.
      setTimeout(stop, 50);
      return { name: deps.name() };
    },
  };
  for (const method of Object.keys(domains?.handlers ?? {})) {
    if (method in own)
      throw new ClawError('INTERNAL', `${method} is the node's own: a domain cannot answer it`);
  }
  const handlers: MethodHandlers = { ...own, ...domains?.handlers };
  const { activity, busy, ...domainEvents } = domains?.events ?? {};
  const audit = deps.audit;
  const hub = new ApiEventHub(
    {
      onChanged: (l) => notices.onChanged(l),
      onPairing: (l) => deps.progress.events.on('step', l),
      onActivity: activity ?? (() => () => undefined),
      onNotice: (l) => notices.onNoticeOf(deps.contract.clientNotices, l),
      ...(audit ? { onAudit: (l: (lines: number) => void) => audit.onWritten(l) } : {}),
      ...(deps.introductions ? { onDeviceJoined: joinedSource(deps.introductions) } : {}),
      domainEvents,
      eventPolicy: (event) => deps.contract.eventPolicy(event),
      onSettingsChanged: (l) =>
        state.subscribe((c) => {
          if (c.kind === 'option' || c.kind === 'relay') l();
        }),
      snapshot: () =>
        ({
          status: statusOf(),
          pending: pendingList(),
          ...domains?.status.snapshot(),
        }) as Omit<StatusEvent, 'seq'>,
      pending: () => pendingList(),
      ...(deps.connections ? { connections: deps.connections } : {}),
      busy: () => busy?.() ?? false,
      onError: (err) => deps.log.warn({ err }, 'API event failed'),
    },
    clock,
  );
  return {
    call: <M extends MethodName>(method: M, params: MethodParams<M>) =>
      Promise.resolve()
        .then(() => {
          const handler = handlers[method];
          if (!handler) {
            throw new ClawError(
              'INTERNAL',
              `${method} is not running in this agent (no domain answers it); restart the agent`,
            );
          }
          return handler(params);
        })
        .catch((err: unknown) => {
          if (deps.stopping?.() && isClawError(err, 'INTERNAL')) {
            throw new ClawError(
              'NO_AGENT',
              `the agent stopped before ${method} finished (${errorMessage(err)})`,
              {
                cause: err,
              },
            );
          }
          throw err;
        }),
    onEvent: (listener, options) => hub.subscribe(listener, options),
    contract: deps.contract,
    answers: new Set(Object.keys(handlers) as MethodName[]),
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
    knownAs: known ? { name: known.name, allow: [...known.allow] } : null,
    ...(p.mine ? { mine: true } : {}),
  };
}

/** This process's memory now, for the `status` call (not its events: they would differ every time). */
function processMemory(): ProcessMemory {
  const m = process.memoryUsage();
  return {
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    heapTotalBytes: m.heapTotal,
    externalBytes: m.external,
    arrayBuffersBytes: m.arrayBuffers,
  };
}

function status(
  node: Pick<ApiDeps, 'name' | 'identity' | 'local' | 'relays' | 'nat' | 'webUi'>,
  peers: Pick<PeersDeps, 'links' | 'guests'>,
): StatusResult {
  const ui = node.webUi?.server;
  return {
    name: node.name(),
    fingerprint: node.identity.fingerprint,
    listen: node.local.listenAddress,
    relays: node.relays.clients().map((r) => ({
      url: r.url,
      connected: r.state === 'connected',
      ...(r.lastError ? { error: r.lastError } : {}),
      ...(node.relays.isOnDemand(r.url) ? { onDemand: true as const } : {}),
    })),
    peers: peerList(peers),
    ...(node.nat ? { nat: node.nat.view() } : {}),
    ...(ui
      ? { ui: { address: ui.address, ...(ui.movedFrom !== undefined ? { movedFrom: ui.movedFrom } : {}) } }
      : {}),
  };
}
