/**
 * The agent's composition root (docs/architecture.md §Composition): builds each part with the
 * dependencies it names, in an order with no cycles, and wires the events that connect them. Parts
 * never take the whole agent: the node state is the one writer of what the node keeps, links follow
 * its peer changes, pairing follows approvals' decisions. run-agent.ts adds forwarding, terminals and
 * the API on top; tests that need a bare agent build it here too, so every agent is wired the same way.
 */
import type { Logger } from 'pino';
import { auditNode } from './audit-hooks.js';
import type { AuditSink } from '../../audit/audit-writer.js';
import { ConnectionTable } from '../../connections/connection-table.js';
import type { Identity } from '../../crypto/identity.js';
import type { RelayServer } from '../../relay/server.js';
import type { PathKind } from '../../transport/link.js';
import { admission } from '../services/admission.js';
import { restartSettings } from './api/settings.js';
import { Approvals } from '../pairing/approvals.js';
import { LocalNetwork } from '../links/local-network.js';
import type { NodeState } from '../state/node-state.js';
import { Observations } from '../state/observations.js';
import { registerHopServices } from '../../routes/hop-service.js';
import { Notices } from '../state/notices.js';
import { startOwnRelay } from '../relays/own-relay.js';
import { CodeIssuer } from '../pairing/pairing-issuer.js';
import { CodeJoiner } from '../pairing/pairing-joiner.js';
import { PairingProgress } from '../pairing/pairing-progress.js';
import { PeerLinkSet } from '../links/peer-link-set.js';
import { Relays } from '../relays/relays.js';
import { OpenedConnections } from '../services/opened-connections.js';
import { ServiceRegistry } from '../services/services.js';

export interface ComposeAgentOptions {
  identity: Identity;
  state: NodeState;
  logger: Logger;
  /** How long an on-demand relay may idle, in ms (relays.ts); the environment's or the default when absent. */
  relayIdleMs?: number;
  /** Where audit events go (run-agent.ts: the home's audit.log); none recorded when absent. */
  audit?: AuditSink;
  /** What the node observes about its peers (run-agent.ts: kept in the home); in memory when absent. */
  observations?: Observations;
}

/** The parts of one agent, each owning one thing; `start`/`stop` run them in order. */
export type AgentCore = ReturnType<typeof composeAgent>;

export function composeAgent({
  identity,
  state,
  logger: log,
  relayIdleMs,
  audit,
  observations = new Observations(),
}: ComposeAgentOptions) {
  const notices = new Notices(log);
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
  const approvals = new Approvals({ log, state, notifier: notices });
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
  const links = new PeerLinkSet({
    identity,
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
  // Every node can be a hop of another's route, and the end of one (ADR 0017).
  registerHopServices(services, {
    selfFingerprint: identity.fingerprint,
    peer: (fp) => state.peer(fp),
    peerEntry: (fp) => links.peerEntry(fp),
    activePath: (entry) => links.activePath(entry),
    arrive: (circuit) => links.acceptRoutedCircuit(circuit),
  });
  // The audit log listens to the owners of what it records (agent/app/audit-hooks.ts).
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
      })
    : () => undefined;
  local.events.on('link', (link) => links.attach(link));
  local.events.on('sighting', (sighting) => links.onLanSighting(sighting));

  let startedWith = restartSettings(state.get());
  let ownRelay: RelayServer | undefined;
  return {
    identity,
    log,
    state,
    notices,
    relays,
    local,
    links,
    approvals,
    issuer,
    joiner,
    progress,
    services,
    connections,
    opened,
    /** The settings read only at start, as this run uses them (settings.set reports changes to them). */
    get startedWith() {
      return startedWith;
    },
    /** The relay this node serves with --act-as-relay, while it runs. */
    get ownRelay(): RelayServer | undefined {
      return ownRelay;
    },
    get name() {
      return state.get().name ?? 'clawbridge';
    },
    async start(): Promise<void> {
      approvals.dropOrphanedCodeRequests();
      const s = state.get();
      startedWith = restartSettings(s);
      if (s.listen !== null) await local.start(s.listen, s.lan);
      if (s.actAsRelay)
        ownRelay = await startOwnRelay({ identity, log, state, relays, connections }, s.relayListen);
      relays.start();
      links.start();
    },
    async stop(): Promise<void> {
      local.stopLan();
      issuer.stop();
      joiner.stop();
      services.stop();
      opened.stop();
      links.stop();
      relays.stop();
      await local.closeListener();
      await ownRelay?.close();
      stopAudit();
      observations.flush();
    },
  };
}
