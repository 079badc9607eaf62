/**
 * The agent's composition root (docs/architecture.md §Composition): builds each part with the
 * dependencies it names, in an order with no cycles, and wires the events that connect them. Parts
 * never take the whole agent: the node state is the one writer of what the node keeps, links follow
 * its peer changes, pairing follows approvals' decisions. What starts and stops is one ordered list
 * (`lifecycle`, core/lifecycle.ts): started in order, stopped in reverse. run-agent.ts adds the domains
 * (app/domains.ts) and the API on top, each domain reaching the peers through the one port built here
 * (`peers`); tests that need a bare agent build it here too, so every agent is wired the same way.
 */
import type { Logger } from 'pino';
import { auditNode } from './audit-hooks.js';
import type { SessionPolicy } from '../api/contract-registry.js';
import type { AuditSink } from '../audit/audit-writer.js';
import { ConnectionTable } from '../connections/connection-table.js';
import { lifecycle, type LifecyclePart } from '../core/lifecycle.js';
import type { Disposer } from '../core/emitter.js';
import type { Identity } from '../crypto/identity.js';
import type { RelayServer } from '../relay/server.js';
import type { PathKind } from '../transport/link.js';
import { admission } from '../services/admission.js';
import { restartSettings, type RestartSettings } from './api/settings.js';
import { Approvals } from '../pairing/approvals.js';
import { LocalNetwork } from '../links/local-network.js';
import { NatCandidates } from '../links/nat-candidates.js';
import type { NodeState } from '../state/node-state.js';
import { Observations } from '../state/observations.js';
import { MemberLog } from '../state/member-log.js';
import { Notices } from '../state/notices.js';
import { startOwnRelay } from '../relay-clients/own-relay.js';
import { CodeIssuer } from '../pairing/pairing-issuer.js';
import { CodeJoiner } from '../pairing/pairing-joiner.js';
import { PairingProgress } from '../pairing/pairing-progress.js';
import { PeerLinkSet } from '../links/peer-link-set.js';
import { Relays } from '../relay-clients/relays.js';
import { OpenedConnections } from '../services/opened-connections.js';
import { ServiceRegistry } from '../services/services.js';
import { Introductions } from '../pairing/introductions.js';
import { dialOrder } from '../state/address-book.js';
import type { DomainPeers } from '../links/domain.js';

/** What an agent is built from. */
export interface ComposeAgentDeps {
  identity: Identity;
  state: NodeState;
  logger: Logger;
  /** How long an on-demand relay may idle, in ms (relays.ts); the environment's or the default when absent. */
  relayIdleMs?: number;
  /**
   * Where the parts report what the user should see. run-agent.ts builds it first, so the audit
   * writer built before the agent reports its problems here too; a new one when absent.
   */
  notices?: Notices;
  /** Where audit events go (run-agent.ts: the home's audit.log); none recorded when absent. */
  audit?: AuditSink;
  /** What the node observes about its peers (run-agent.ts: kept in the home); in memory when absent. */
  observations?: Observations;
  /** The signed membership records this node keeps (run-agent.ts: members.json); in memory when absent. */
  members?: MemberLog;
  /** The connection kinds that are sessions to the audit log (the contract's); none when absent. */
  sessions?: ReadonlyMap<string, SessionPolicy>;
}

/**
 * One agent: the parts it is built from, each owning one thing (docs/architecture.md §State and its
 * owners), and its lifecycle. Whoever uses the agent takes the parts it needs by name.
 */
export interface Agent {
  readonly identity: Identity;
  readonly log: Logger;
  /** The one writer of what the node keeps (config.json). */
  readonly state: NodeState;
  /** What the node observes about its peers: addresses, dials that worked, home relays heard. */
  readonly observations: Observations;
  /** Change signals and notices for the user. */
  readonly notices: Notices;
  /** The relay clients: the saved relays', the own relay's, on-demand ones at peers' home relays. */
  readonly relays: Relays;
  /** The direct listener and LAN discovery. */
  readonly local: LocalNetwork;
  /** Where this node is reached from across NATs (ADR 0081). */
  readonly nat: NatCandidates;
  /** One entry per saved peer: its links, hello and streams. */
  readonly links: PeerLinkSet;
  /** The peers as every domain reaches them (links/domain.ts): built once, here. */
  readonly peers: DomainPeers;
  /** Pending requests and the owner's decisions on them. */
  readonly approvals: Approvals;
  /** Pairing codes this node issued. */
  readonly issuer: CodeIssuer;
  /** Pairing codes this node is joining with. */
  readonly joiner: CodeJoiner;
  /** Pairing's steps, for the `pairing` event and the audit log. */
  readonly progress: PairingProgress;
  /** Every service a peer may open here: admission, listing, revocation. */
  readonly services: ServiceRegistry;
  /** The live connections this node carries. */
  readonly connections: ConnectionTable;
  /** The signed membership records this node keeps (members.json, ADR 0065). */
  readonly members: MemberLog;
  /** The owner's devices introducing each other, and removals that reach them all (ADR 0056). */
  readonly introductions: Introductions;
  /** What this node opens on its peers, listed and ended with its peer. */
  readonly opened: OpenedConnections;
  /** This node's name as the settings give it now. */
  readonly name: string;
  /** The settings read only at start, as this run uses them (settings.set reports changes to them). */
  readonly startedWith: RestartSettings;
  /** The relay this node serves with --act-as-relay, while it runs. */
  readonly ownRelay: RelayServer | undefined;
  /** Starts the parts in the order `compose-agent.ts` lists them; a failed start stops what started. */
  start(): Promise<void>;
  /** Stops what started, in reverse order; once only. */
  stop(): Promise<void>;
}

export function composeAgent({
  identity,
  state,
  logger: log,
  relayIdleMs,
  notices = new Notices(log),
  audit,
  observations = new Observations(),
  members = new MemberLog(),
  sessions,
}: ComposeAgentDeps): Agent {
  const relays = new Relays({
    identity,
    log,
    state,
    notices,
    ...(relayIdleMs !== undefined ? { idleMs: relayIdleMs } : {}),
  });
  const admitted = admission(state);
  // A node removed here keeps knocking: each knock it is refused is a refused attempt on the log.
  const admit = (fp: string, path: PathKind, address?: string) => {
    const refusal = admitted(fp);
    if (refusal && audit) {
      audit.record({
        kind: 'refused',
        peer: { name: state.peer(fp)?.name ?? 'removed node', fingerprint: fp },
        path,
        ...(address ? { address } : {}),
        service: 'link',
        what: 'link to this node',
        outcome: 'refused',
        reason: refusal.reason,
      });
    }
    return refusal;
  };
  const local = new LocalNetwork({
    node: {
      identity,
      get name() {
        return state.get().name ?? 'clawbridge';
      },
    },
    log,
    admit: (fp, remote) => admit(fp, 'direct', remote),
    notice: (notice, fields) => notices.notice(notice, fields),
  });
  const approvals = new Approvals({
    log,
    state,
    notifier: notices,
    // The registry is made below; a hello comes only once the agent runs.
    refusal: (fp) => services.guests.refusal(fp),
    guest: (fp) => services.guests.get(fp)?.because.join(', '),
  });
  const progress = new PairingProgress(identity.fingerprint);
  const issuer = new CodeIssuer({
    identity,
    log,
    state,
    notifier: notices,
    relays,
    lan: local,
    approvals,
    progress,
    ...(audit ? { audit } : {}),
  });
  const joiner = new CodeJoiner({ identity, log, state, notifier: notices, relays, lan: local, progress });
  // Every live connection this node carries registers here (forwards, exits, terminals, relay circuits).
  const connections = new ConnectionTable();
  // What this node opens on its peers is listed here, and ended when its peer is removed here.
  const opened = new OpenedConnections({ state, connections });
  // Every stream a peer opens here is admitted, listed and held under its grant by the registry.
  const services = new ServiceRegistry({
    name: () => state.get().name ?? 'clawbridge',
    state,
    connections,
  });
  // Where this node is reached from across NATs: relays' observations and a port mapping (ADR 0081).
  const nat = new NatCandidates({
    log,
    portMapping: () => state.get().portMapping,
    listenAddress: () => local.listenAddress,
    relays: () => relays.dialer.list(),
    onRelayConnected: (listener) => relays.events.on('connected', () => listener()),
    audit,
  });
  const links = new PeerLinkSet({
    identity,
    nat: {
      facts: () => nat.facts(),
      mappedAddress: () => nat.mappedAddress(),
      publicHosts: () => nat.publicHosts(),
      onChanged: (listener) => nat.events.on('changed', listener),
    },
    log,
    state,
    observations,
    notices,
    relays,
    local,
    services,
    admit: (fp) => admit(fp, 'relay'),
    strangers: {
      onUnknownHello: (link, hello) => approvals.onUnknownHello(link, hello),
      onPairStream: (stream, link, args) => issuer.acceptLanPairing(stream, link, args),
      acceptPairing: (circuit, hello, from, addresses) =>
        issuer.acceptPairing(circuit, hello, from, addresses),
    },
  });
  // The one peer port: the owner's devices below and every domain (run-agent.ts) reach peers by it.
  const peers: DomainPeers = {
    peerEntries: () => links.peerEntries(),
    peerEntry: (fp) => links.peerEntry(fp),
    homeRelay: (fp) => links.homeRelay(fp),
    self: () => links.self(),
    openStream: (entry, service, args, opts) => links.openStream(entry, service, args, opts),
    activePath: (entry) => links.activePath(entry),
    acceptRoutedCircuit: (circuit) => links.acceptRoutedCircuit(circuit),
    onChanged: (listener) => notices.onChanged(listener),
    changed: () => notices.changed(),
  };
  // The owner's devices introduce each other over their links (ADR 0056), on the registry.
  const introductions = new Introductions({
    identity,
    log,
    state,
    members,
    services,
    peers: { ...peers, noteMarksMine: (fp, marks) => links.noteMarksMine(fp, marks) },
    knownAbout: (fp) => ({ addresses: dialOrder(links.addressBook(fp)), homeRelay: links.homeRelay(fp) }),
    audit,
  });
  // The audit log listens to the owners of what it records (app/audit-hooks.ts).
  const stopAudit = audit
    ? auditNode(audit, {
        state,
        approvals,
        progress,
        services,
        connections,
        pathOf: (fp) => {
          const active = links.peerEntry(fp)?.links.active;
          return active ? { path: active.path, address: active.link.remote } : undefined;
        },
        sessions: sessions ?? new Map(),
      })
    : () => undefined;
  local.events.on('link', (link) => links.attach(link));
  local.events.on('sighting', (sighting) => links.onLanSighting(sighting));

  let startedWith = restartSettings(state.get());
  let ownRelay: RelayServer | undefined;
  let stopGuestRequests: Disposer | undefined;
  // Started in this order, stopped in reverse: the LAN announcement goes first (peers stop dialing a
  // node that is going away), the audit hooks and the observations file last (what the stop ended is
  // recorded). A part added here is one entry.
  const parts: LifecyclePart[] = [
    { name: 'observations', stop: () => observations.flush() },
    { name: 'audit hooks', stop: stopAudit },
    { name: 'code requests', start: () => approvals.dropOrphanedCodeRequests() },
    // A guest (a member's device on a group's device) is no stranger: what it asked before goes.
    {
      name: "guests' requests",
      start: () => {
        stopGuestRequests = services.guests.onChange(() => approvals.dropGuestRequests());
        approvals.dropGuestRequests();
      },
      stop: () => stopGuestRequests?.(),
    },
    // Before anything listens: a peer an old config.json lists that a kept removal says is gone.
    { name: 'kept removals', start: () => void introductions.applyKeptRemovals() },
    {
      name: 'settings read at start',
      start: () => {
        startedWith = restartSettings(state.get());
      },
    },
    {
      name: 'direct listener',
      start: async () => {
        const { listen } = state.get();
        if (listen !== null) await local.start(listen);
      },
      stop: () => local.closeListener(),
    },
    {
      name: 'own relay',
      start: async () => {
        const s = state.get();
        if (s.actAsRelay)
          ownRelay = await startOwnRelay(
            {
              identity,
              log,
              state,
              relays,
              connections,
              isGuest: (fp) => services.guests.get(fp) !== undefined,
              servePage: s.relayPage !== false,
            },
            s.relayListen,
          );
      },
      stop: () => ownRelay?.close(),
    },
    { name: 'relays', start: () => relays.start(), stop: () => relays.stop() },
    // After the listener (its port is mapped) and the relays (they observe); the mapping goes at stop.
    { name: 'NAT candidates', start: () => nat.start(), stop: () => nat.stop() },
    { name: 'links', start: () => links.start(), stop: () => links.stop() },
    { name: 'introductions', start: () => introductions.start(), stop: () => introductions.stop() },
    { name: 'opened connections', stop: () => opened.stop() },
    { name: 'services', stop: () => services.stop() },
    { name: 'code joiner', stop: () => joiner.stop() },
    { name: 'code issuer', stop: () => issuer.stop() },
    {
      name: 'LAN discovery',
      start: () => {
        const { listen, lan } = state.get();
        if (listen !== null && lan) local.startLan(listen);
      },
      stop: () => local.stopLan(),
    },
  ];
  const life = lifecycle(parts, {
    onUndoError: (part, err) => log.warn({ err }, `stopping ${part} after a failed start failed`),
  });
  return {
    identity,
    log,
    state,
    observations,
    notices,
    relays,
    local,
    nat,
    links,
    peers,
    approvals,
    issuer,
    joiner,
    progress,
    services,
    connections,
    opened,
    members,
    introductions,
    get startedWith() {
      return startedWith;
    },
    get ownRelay() {
      return ownRelay;
    },
    get name() {
      return state.get().name ?? 'clawbridge';
    },
    start: () => life.start(),
    stop: () => life.stop(),
  };
}
