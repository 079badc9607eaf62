/**
 * Where audit events come from (docs/security.md §Audit log): each owner already announces what
 * happened — the node state its changes (peers, permissions, blocks, requests), approvals their
 * decisions, pairing its steps, the service registry the streams it refused, the connection table
 * every connection that opened and ended — and this turns each into one event for the writer.
 * Listening only: no owner waits for the log, and none knows it exists.
 */
import type { ConnectionInfo } from '../api/contract.js';
import type { Approvals } from '../pairing/approvals.js';
import type { NodeStateReader } from '../state/node-state.js';
import type { PairingProgress } from '../pairing/pairing-progress.js';
import type { ServiceRegistry } from '../services/services.js';
import type { StateChange } from '../state/state-changes.js';
import type { ConnectionTable, ConnectionVia } from '../connections/connection-table.js';
import type { Disposer } from '../core/emitter.js';
import type { PathKind } from '../transport/link.js';
import type { AuditPeer } from '../audit/audit-events.js';
import type { SessionKind } from '../audit/audit-kinds.js';
import type { SessionPolicy } from '../api/contract-registry.js';
import type { AuditSink } from '../audit/audit-writer.js';
import { DisposableStore } from '../core/disposables.js';

type Via = ConnectionVia;

export interface AuditSources {
  state: Pick<NodeStateReader, 'subscribe'>;
  approvals: Pick<Approvals, 'events'>;
  progress: Pick<PairingProgress, 'events'>;
  services: Pick<ServiceRegistry, 'events'>;
  connections: Pick<ConnectionTable, 'events'>;
  /** The path new streams to a peer use now (and its far address), when it is online. */
  pathOf(fingerprint: string): Via | undefined;
  /**
   * The connection kinds that are sessions (start, resume, end), with their side and the audit kind
   * their records are: what the domains' contract pieces say (ConnectionPolicy); the other kinds are
   * logged once, when they end.
   */
  sessions: ReadonlyMap<string, SessionPolicy>;
}

const FINGERPRINT = /^[0-9a-f]{64}$/;

function peerOf(
  name: string | undefined,
  fingerprint: string | undefined,
  group?: string,
): { peer?: AuditPeer; group?: string } {
  if (!fingerprint || !FINGERPRINT.test(fingerprint)) return {};
  return { peer: { name: name ?? '?', fingerprint }, ...(group ? { group } : {}) };
}

function viaFields(via: Via | undefined): { path?: PathKind; address?: string } {
  return via ? { path: via.path, address: via.address } : {};
}

/** Starts recording into `sink`; the disposer stops listening. */
export function auditNode(sink: AuditSink, src: AuditSources): Disposer {
  // The path a connection started on, kept until it ends (its summary names it): bounded by the table.
  const started = new Map<string, Via | undefined>();
  const offs = new DisposableStore();
  offs.add(
    src.state.subscribe((change) => recordChange(sink, change)),
    src.approvals.events.on('decision', (d) => {
      const approved = d.approved;
      sink.record({
        kind: 'approval',
        ...peerOf(d.peer?.name ?? d.record.name, d.record.fingerprint),
        address: d.record.address,
        what: `request to pair (by ${d.record.via})`,
        outcome: approved ? 'ok' : 'refused',
        decision: approved ? 'approved' : 'rejected',
        ...(approved && d.peer ? { reason: `allowed: ${d.peer.allow.join(', ') || 'nothing'}` } : {}),
      });
    }),
    src.progress.events.on('step', (e) => {
      // The issuer's joined is the request (a pending change), its paired/rejected the owner's decision.
      const worth =
        e.step === 'failed' || (e.role === 'join' && (e.step === 'paired' || e.step === 'rejected'));
      if (!worth) return;
      sink.record({
        kind: 'pairing',
        role: e.role,
        step: e.step,
        ...peerOf(e.peerName, e.fingerprint),
        ...(e.via ? { address: e.via } : {}),
        what: e.role === 'new' ? 'joined with a code of this node' : 'joined a code of another node',
        outcome: e.step === 'failed' ? 'failed' : e.step === 'rejected' ? 'refused' : 'ok',
        ...(e.message ? { reason: e.message } : {}),
      });
    }),
    src.services.events.on('refused', (r) =>
      sink.record({
        kind: 'refused',
        ...peerOf(r.peer.name, r.peer.fingerprint),
        ...viaFields(r.peer.via),
        service: r.service,
        what: `${r.service} stream`,
        outcome: 'refused',
        reason: r.reason,
      }),
    ),
    src.connections.events.on('opened', (c, opening) => {
      // The link its stream came on when the owner knows it; else the peer's path now.
      const via = opening.via ?? (c.peer ? src.pathOf(c.peer.fingerprint) : undefined);
      started.set(c.id, via);
      const session = src.sessions.get(c.kind);
      if (session) {
        sink.record({
          kind: session.record as SessionKind,
          phase: opening.resumed ? 'resume' : 'start',
          side: session.side,
          ...peerOf(c.peer?.name, c.peer?.fingerprint, c.peer?.group),
          ...viaFields(via),
          what: `${c.from} → ${c.to}`,
          outcome: 'ok',
          ...(opening.resumed ? { reason: 'taken up by this agent after a restart' } : {}),
        });
      }
    }),
    src.connections.events.on('resumed', (c, arrived) => {
      const via = arrived ?? (c.peer ? src.pathOf(c.peer.fingerprint) : undefined);
      // Its end names the path it ended on (a forward's stream moved from relay to direct, say).
      if (started.has(c.id)) started.set(c.id, via);
      const session = src.sessions.get(c.kind);
      if (!session) return;
      sink.record({
        kind: session.record as SessionKind,
        phase: 'resume',
        side: session.side,
        ...peerOf(c.peer?.name, c.peer?.fingerprint, c.peer?.group),
        ...viaFields(via),
        what: `${c.from} → ${c.to}`,
        outcome: 'ok',
        reason: 'its stream came back on a new link',
      });
    }),
    src.connections.events.on('ended', (c, reason) => {
      const via = started.get(c.id);
      started.delete(c.id);
      sink.record(endedEvent(c, via, reason, src.sessions.get(c.kind)));
    }),
  );
  return () => offs.dispose();
}

function endedEvent(
  c: ConnectionInfo,
  via: Via | undefined,
  reason: string | undefined,
  session: SessionPolicy | undefined,
) {
  const common = {
    ...peerOf(c.peer?.name, c.peer?.fingerprint, c.peer?.group),
    ...viaFields(via),
    what: `${c.from} → ${c.to}`,
    outcome: 'ok' as const,
    ...(reason ? { reason } : {}),
    bytesIn: c.bytesIn,
    bytesOut: c.bytesOut,
    durationMs: c.ageMs,
  };
  if (session)
    return { kind: session.record as SessionKind, phase: 'end' as const, side: session.side, ...common };
  return { kind: 'connection' as const, connection: c.kind, ...common };
}

function recordChange(sink: AuditSink, change: StateChange): void {
  if (change.kind === 'peer') {
    const { before, after } = change;
    const peer = peerOf(after?.name ?? before?.name, change.id);
    if (!before && after) {
      const what = `allowed: ${after.allow.join(', ') || 'nothing'}`;
      return sink.record({ kind: 'peer', change: 'added', ...peer, what, outcome: 'ok' });
    }
    if (before && !after)
      return sink.record({ kind: 'peer', change: 'removed', ...peer, what: 'peer', outcome: 'ok' });
    if (!before || !after) return;
    if (before.name !== after.name) {
      const what = `renamed from ${before.name}`;
      sink.record({ kind: 'peer', change: 'renamed', ...peer, what, outcome: 'ok' });
    }
    if (before.allow.join() !== after.allow.join()) {
      sink.record({
        kind: 'permission',
        ...peer,
        what: `allowed: ${after.allow.join(', ') || 'nothing'}`,
        outcome: 'ok',
        before: [...before.allow],
        after: [...after.allow],
      });
    }
    return;
  }
  if (change.kind === 'blocked') {
    const blocked = change.after !== undefined && change.before === undefined;
    const unblocked = change.after === undefined && change.before !== undefined;
    if (!blocked && !unblocked) return;
    sink.record({
      kind: 'peer',
      change: blocked ? 'blocked' : 'unblocked',
      ...peerOf(undefined, change.id),
      what: blocked ? 'refused from now on' : 'may ask to pair again',
      outcome: 'ok',
    });
    return;
  }
  if (change.kind === 'pending' && change.after && !change.before) {
    const r = change.after;
    sink.record({
      kind: 'pairing',
      role: 'new',
      step: 'requested',
      ...peerOf(r.name, r.fingerprint),
      address: r.address,
      what: `asks to pair (by ${r.via})`,
      outcome: 'ok',
    });
  }
}
