/**
 * What the audit log records of messages (docs/security.md §Audit log, ADR 0046), from the boxes' own
 * events — listening only, as app/audit-hooks.ts does for the rest:
 *
 * - a message this node refused (an expired one, one over the sender's quota — INBOX_FULL — or past
 *   its topics): a `refused` event of service `message`, limited like every refusal a peer provokes
 *   (audit-noise.ts), in audit-refusals.log;
 * - messages this node sent that expired undelivered, that their receiver refused for good, or that
 *   wait for room in its inbox: one `message` event per peer and outcome for those that got there in
 *   the same moment, counting them.
 *
 * Never a line per message delivered or read: the log says what went wrong, not what was said.
 */
import type { AuditInput } from '../audit/audit-events.js';
import type { AuditSink } from '../audit/audit-writer.js';
import type { Disposer } from '../core/emitter.js';
import type { Why } from './box-records.js';
import type { Inbox } from './inbox.js';
import type { Outbox } from './outbox.js';
import type { OutboxEntry } from './outbox-entry.js';
import { DisposableStore } from '../core/disposables.js';

/** How long outbox changes are gathered into one line, in ms: a refused stream refuses them all at once. */
export const MESSAGE_AUDIT_GATHER_MS = 100;

export interface MessageAuditSources {
  inbox: Pick<Inbox, 'events'>;
  outbox: Pick<Outbox, 'events'>;
  /** This node's name for a peer now (undefined: not a peer any more). */
  peerName(fingerprint: string): string | undefined;
}

type Change = 'expired' | 'refused' | 'waiting';

interface Gathered {
  peer: string;
  change: Change;
  why: Why | undefined;
  topics: Set<string>;
  count: number;
}

/** Starts recording messages' refusals, quota events and expiries into `sink`; the disposer stops it. */
export function auditMessages(sink: AuditSink, src: MessageAuditSources): Disposer {
  const peer = (fp: string) => ({ peer: { name: src.peerName(fp) ?? 'removed peer', fingerprint: fp } });
  const gathered = new Map<string, Gathered>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    for (const g of gathered.values()) {
      const topics = [...g.topics];
      const event: AuditInput = {
        kind: 'message',
        change: g.change,
        ...peer(g.peer),
        what: `${g.count} ${g.count === 1 ? 'message' : 'messages'} on ${topics.length === 1 ? `topic ${topics[0]}` : `${topics.length} topics`}`,
        outcome: g.change === 'expired' ? 'failed' : 'refused',
        ...(g.why ? { reason: `${g.why.code}: ${g.why.reason}` } : {}),
        messages: g.count,
      };
      sink.record(event);
    }
    gathered.clear();
  };
  const gather = (e: OutboxEntry, change: Change) => {
    const key = `${e.peer} ${change} ${e.why?.code ?? ''} ${e.why?.reason ?? ''}`;
    const g = gathered.get(key) ?? { peer: e.peer, change, why: e.why, topics: new Set(), count: 0 };
    g.count++;
    g.topics.add(e.topic);
    gathered.set(key, g);
    timer ??= setTimeout(flush, MESSAGE_AUDIT_GATHER_MS).unref();
  };
  const offs = new DisposableStore();
  offs.add(
    src.inbox.events.on('refused', (r) =>
      sink.record({
        kind: 'refused',
        ...peer(r.from),
        service: 'message',
        what: `message ${r.id} on topic ${r.topic}`,
        outcome: 'refused',
        reason: `${r.code}: ${r.reason}`,
      }),
    ),
    src.outbox.events.on('changed', (e) => {
      if (e.state === 'expired') gather(e, 'expired');
      else if (e.state === 'refused') gather(e, 'refused');
      // Queued again behind a full inbox: the why is INBOX_FULL (or an older peer's word).
      else if (e.state === 'queued' && e.why?.code === 'INBOX_FULL') gather(e, 'waiting');
    }),
  );
  return () => {
    offs.dispose();
    if (timer) {
      clearTimeout(timer);
      flush();
    }
  };
}
