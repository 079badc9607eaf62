/**
 * The latest state report of each sent message, as `message.state` and `message.states` events bring
 * them: kept because a send's receipt may come before its own answer, before anyone waits for it.
 */
import type { MessagePeer, MessageState, MessageWhy, OutboxMessage } from '../messages-contract.js';
import { laterState } from './message-bodies.js';

/** The latest state report of one message: from a `message.state` (whole) or a `message.states` change. */
export interface StateReport {
  state: MessageState;
  stateAt: string;
  why?: MessageWhy | undefined;
  peer: MessagePeer;
  /** The whole message, when the report was one. */
  whole?: OutboxMessage;
}

/** Most state reports remembered for messages nobody waits for yet (a send's answer may come after its receipt). */
const STATE_MEMORY = 10_000;

export class ReportedStates {
  /** Latest report per message ID (bounded, oldest dropped). */
  private readonly reports = new Map<string, StateReport>();
  /** Called with each message ID a report came for, as it comes (waitFor keeps count with it). */
  private readonly watchers = new Set<(id: string) => void>();

  report(id: string, report: StateReport): void {
    this.reports.delete(id);
    this.reports.set(id, report);
    if (this.reports.size > STATE_MEMORY) this.reports.delete(this.reports.keys().next().value!);
    for (const watch of this.watchers) watch(id);
  }

  /** The state last reported for `id`, if any. */
  reported(id: string): MessageState | undefined {
    return this.reports.get(id)?.state;
  }

  /** Calls `watch` with each ID a report comes for, until the returned function is called. */
  watch(watch: (id: string) => void): () => void {
    this.watchers.add(watch);
    return () => this.watchers.delete(watch);
  }

  /** `id` as its latest report and `listing` (a message as the outbox listed it) say it is now. */
  stateOf(id: string, listing: OutboxMessage | undefined): OutboxMessage | undefined {
    const report = this.reports.get(id);
    if (!report) return listing;
    const reported = withReport(listing ?? report.whole ?? partialMessage(id, report), report);
    return listing ? laterState(listing, reported) : reported;
  }
}

/** `base` with the state a report gave it. */
function withReport(base: OutboxMessage, report: StateReport): OutboxMessage {
  if (report.whole) return report.whole;
  const { why: _why, ...rest } = base;
  return {
    ...rest,
    state: report.state,
    stateAt: report.stateAt,
    ...(report.why ? { why: report.why } : {}),
  };
}

/** A message known only from a change by ID (not in the outbox listing): what the change says of it. */
function partialMessage(id: string, report: StateReport): OutboxMessage {
  return {
    id,
    peer: report.peer,
    topic: '',
    size: 0,
    state: report.state,
    stateAt: report.stateAt,
    sentAt: report.stateAt,
    expiresAt: '',
  };
}
