/**
 * What a `traverse` session (traversal.ts) knows and is given: what the peer told of itself, what is
 * known of the pair's traversal for `peers`, this node's own candidates, and what the session may ask of
 * the link set. Apart from the session so each stays one thing.
 */
import type { Identity } from '../crypto/identity.js';
import type { Link } from '../transport/link.js';
import type { RelayedExplanation, TraversalFacts } from '../transport/nat/nat-kind.js';
import type { Timers } from '../transport/nat/timers.js';

/** What one peer told of itself. */
export interface PeerCandidates extends TraversalFacts {
  mappedAddress: string | null;
  hosts: string[];
}

/** What is known of a pair's traversal, for `peers`. */
export interface TraversalState {
  peer?: PeerCandidates;
  explanation?: RelayedExplanation;
  /** The last simultaneous open's failure, and how many were tried. */
  punchError?: string;
  punchAttempts: number;
  /** Given up for now: the round's opens failed, or the budget is spent (nextTryAt says until when). */
  gaveUp?: string;
  /** When the next round starts on its own (ms since the epoch), while given up. */
  nextTryAt?: number;
  /** Rounds given up on this relay link so far. */
  roundsGivenUp?: number;
  /** Opens tried in the round under way. */
  roundAttempts?: number;
  /** Addresses the peer named that the target rules or the budget refused (punch-targets.ts). */
  droppedCandidates?: number;
}

/** This node's candidates (nat-candidates.ts). */
export interface OwnCandidates {
  facts(): TraversalFacts;
  mappedAddress(): string | undefined;
  publicHosts(): string[];
  onChanged(listener: () => void): () => void;
}

export interface TraversalDeps {
  identity: Pick<Identity, 'fingerprint' | 'certPem' | 'keyPem'>;
  peerId: string;
  own: OwnCandidates;
  state: TraversalState;
  /** The pair has a direct link up now. */
  directUp(): boolean;
  /**
   * Counts one simultaneous open with this peer against its budget (MAX_PUNCHES_PER_PEER per
   * PUNCH_BUDGET_WINDOW_MS, across relay links); false when it is spent, and nothing is counted.
   */
  mayPunch(): boolean;
  /** Milliseconds until the budget allows one again (0: now); absent: not known. */
  budgetWaitMs?(): number;
  /**
   * How much the owner used the pair over its relay link so far, a count that only grows (the link
   * mux's `uses`): a round after a give-up waits for use during the wait (punch-rounds.ts). Absent:
   * always in use.
   */
  uses?(): number;
  /** The peer takes `used` lines (FEATURE_TRAVERSE_USE): the side that does not coordinate tells it of a ping. */
  peerHearsUse?: boolean;
  /** The clock rounds and answers are timed by (tests give a fake). */
  timers?: Timers;
  /** Puts a punched direct link to work. */
  attach(link: Link): void;
  /** The peer's router maps this address for it: the direct path dials it. */
  learnMapped(address: string): void;
  changed(): void;
  log: { debug(obj: object, msg: string): void; info(obj: object, msg: string): void };
}
