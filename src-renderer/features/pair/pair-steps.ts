/**
 * Where a pairing stands, from the agent's `pairing` events (and from the request's own answer, which
 * is what counts if an event was missed). Pure: the views render it, node:test checks it.
 */
import type { PairingEvent } from '../../../src-main/api/contract.js';

export type JoinPhase = 'idle' | 'finding' | 'checking' | 'waiting' | 'paired' | 'rejected' | 'failed';

export interface JoinProgress {
  phase: JoinPhase;
  peerName: string | null;
  fingerprint: string | null;
  ownFingerprint: string | null;
  message: string | null;
}

export const JOIN_IDLE: JoinProgress = {
  phase: 'idle',
  peerName: null,
  fingerprint: null,
  ownFingerprint: null,
  message: null,
};

/** The three steps shown while joining, in order, with the words for each. */
export const JOIN_STEPS: { phase: JoinPhase; text: string }[] = [
  { phase: 'finding', text: 'Finding the other device' },
  { phase: 'checking', text: 'Checking the code' },
  { phase: 'waiting', text: 'Waiting for approval' },
];

const ORDER: JoinPhase[] = ['idle', 'finding', 'checking', 'waiting', 'paired', 'rejected', 'failed'];

/** Applies one event of a join; events of other pairings, or that would go backwards, are ignored. */
export function nextJoin(p: JoinProgress, e: PairingEvent): JoinProgress {
  if (e.role !== 'join' || e.step === 'joined') return p;
  const done = p.phase === 'paired' || p.phase === 'rejected' || p.phase === 'failed';
  if (done || ORDER.indexOf(e.step) < ORDER.indexOf(p.phase)) return p;
  return {
    phase: e.step,
    peerName: e.peerName ?? p.peerName,
    fingerprint: e.fingerprint ?? p.fingerprint,
    ownFingerprint: e.ownFingerprint ?? p.ownFingerprint,
    message: e.message ?? p.message,
  };
}

/**
 * The state of a step in the list: done, happening now, still to come, or the one that failed — a
 * rejection is the approval step failing, not a step ticked off.
 */
export function stepState(p: JoinProgress, step: JoinPhase): 'done' | 'current' | 'todo' | 'failed' {
  if (p.phase === 'rejected') return step === 'waiting' ? 'failed' : 'done';
  const at = ORDER.indexOf(p.phase);
  const i = ORDER.indexOf(step);
  if (p.phase === 'paired' || i < at) return 'done';
  if (i === at) return 'current';
  return 'todo';
}

export type NewPhase = 'showing' | 'joined' | 'paired' | 'rejected' | 'failed';

export interface NewProgress {
  phase: NewPhase;
  peerName: string | null;
  fingerprint: string | null;
  message: string | null;
  /** From `joined`: the pending request the device that used the code became (Approve answers it). */
  pendingId: string | null;
}

/** Applies one event to the code on show; events about other codes are ignored. */
export function nextNew(p: NewProgress, code: string, e: PairingEvent): NewProgress {
  if (e.role !== 'new' || (e.code !== undefined && e.code !== code)) return p;
  if (e.step !== 'joined' && e.step !== 'paired' && e.step !== 'rejected' && e.step !== 'failed') return p;
  return {
    phase: e.step,
    peerName: e.peerName ?? p.peerName,
    fingerprint: e.fingerprint ?? p.fingerprint,
    message: e.message ?? p.message,
    pendingId: e.pendingId ?? p.pendingId,
  };
}

/**
 * The request Approve and Reject answer: exactly the one the `joined` event named, by id. Not "a
 * code request with this fingerprint": a list that still holds an older request of the same device (or
 * one read before the newest arrived) would have the owner answer a request other than the one shown.
 */
export function joinedRequest<R extends { id: string }>(
  p: NewProgress,
  pending: readonly R[],
): R | undefined {
  if (p.pendingId === null) return undefined;
  return pending.find((r) => r.id === p.pendingId);
}

/** How long join steps are gathered before the newest is said, in ms (finding → checking is quick). */
export const JOIN_NEWS_MS = 400;

/**
 * What a screen reader is told when a join moves on (JoinWithCode's one live region): the step it
 * reached, in a few words; nothing when it did not move. A failure is said by its error text instead.
 */
export function joinNews(before: JoinProgress, now: JoinProgress): string[] {
  if (before.phase === now.phase) return [];
  const other = now.peerName ?? 'the other device';
  switch (now.phase) {
    case 'finding':
      return ['Finding the other device…'];
    case 'checking':
      return ['Checking the code…'];
    case 'waiting':
      return [`Waiting for approval from ${other}`];
    case 'paired':
      return [`Paired with ${other}`];
    case 'rejected':
      return [`${now.peerName ?? 'The other device'} rejected this device`];
    default:
      return [];
  }
}
