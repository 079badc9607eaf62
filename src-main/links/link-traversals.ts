/**
 * NAT traversal on relay links (traversal.ts): which relay link gets a `traverse` session and from
 * which side (the coordinator, the lower fingerprint, opens it once the link is confirmed), each
 * peer's session now (for `peers retry`), and the budget of simultaneous opens per peer across its
 * relay links. A direct link a session punches is handed back to the link set to put to work.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { AttemptLimiter } from '../core/attempt-limiter.js';
import type { Identity } from '../crypto/identity.js';
import type { Mux, StreamRequest } from '../mux/mux.js';
import type { ObservedSource } from '../state/observations.js';
import type { Link } from '../transport/link.js';
import type { PeerEntry } from './peer-entry.js';
import {
  MAX_PUNCHES_PER_PEER,
  PUNCH_BUDGET_WINDOW_MS,
  TraverseSession,
  type OwnCandidates,
} from './traversal.js';
import { FEATURE_TRAVERSE, FEATURE_TRAVERSE_USE, TRAVERSE_SERVICE } from './traverse-protocol.js';

export interface LinkTraversalsDeps {
  identity: Identity;
  log: Logger;
  /** This node's candidates across NATs (nat-candidates.ts); absent: no traversal is tried. */
  nat: OwnCandidates | undefined;
  /** Puts a direct link a simultaneous open made to work (and marks it for the hand-over). */
  attachPunched(link: Link): void;
  /** A peer's address as its NAT maps it, learned by the session. */
  learnAddresses(entry: PeerEntry, addresses: string[], source: ObservedSource): void;
  changed(): void;
}

export class LinkTraversals {
  /** Relay links with a `traverse` session, or one being opened. */
  private readonly traversals = new WeakSet<Mux>();
  /** Each peer's `traverse` session on its relay link now, for `peers retry`. */
  private readonly sessions = new WeakMap<PeerEntry, TraverseSession>();
  /** Simultaneous opens per peer, across its relay links (traversal.ts MAX_PUNCHES_PER_PEER). */
  private readonly punches = new AttemptLimiter(MAX_PUNCHES_PER_PEER, PUNCH_BUDGET_WINDOW_MS);

  constructor(private readonly deps: LinkTraversalsDeps) {}

  /**
   * On a relay link both sides speak `traverse` on and this node coordinates (lower fingerprint), once
   * the link is confirmed: opens the stream that tells candidates and agrees simultaneous opens.
   */
  open(entry: PeerEntry, link: Link, mux: Mux): void {
    if (!this.deps.nat || link.path !== 'relay' || this.traversals.has(mux)) return;
    if (!entry.features?.includes(FEATURE_TRAVERSE)) return;
    if (this.deps.identity.fingerprint > entry.fingerprint) return;
    if (entry.links.get('relay')?.mux !== mux || !entry.links.get('relay')?.confirmed) return;
    // Marked before the open resolves: the hello and the confirmation may both call this.
    this.traversals.add(mux);
    mux.open(TRAVERSE_SERVICE, {}).then(
      (stream) => this.start(entry, mux, stream, true),
      (err: Error) => this.deps.log.debug({ peer: entry.record.name }, `traverse not opened: ${err.message}`),
    );
  }

  /** The peer opened `traverse` on `link`: taken only on a relay link, once, from the coordinator. */
  accept(entry: PeerEntry, link: Link, mux: Mux, req: StreamRequest): void {
    if (link.path !== 'relay' || !this.deps.nat || this.traversals.has(mux)) {
      return req.reject('BAD_REQUEST', 'traverse: not on this link');
    }
    if (this.deps.identity.fingerprint < entry.fingerprint) {
      return req.reject('BAD_REQUEST', 'traverse: the lower fingerprint opens it');
    }
    this.start(entry, mux, req.accept(), false);
  }

  /** `peers retry`: a round of simultaneous opens on the peer's relay link now (within its budget). */
  retry(entry: PeerEntry): void {
    this.sessions.get(entry)?.retryNow();
  }

  /** The owner pinged the peer (`ping`): a use of the pair its relay link's mux does not count. */
  noteUse(entry: PeerEntry): void {
    this.sessions.get(entry)?.noteUse();
  }

  private start(entry: PeerEntry, mux: Mux, stream: Duplex, coordinator: boolean): void {
    const nat = this.deps.nat;
    if (!nat) return;
    entry.traversal = { punchAttempts: 0 };
    const state = entry.traversal;
    this.traversals.add(mux);
    // The session lives as long as its stream (the relay link): the stream's listeners hold it.
    const session = new TraverseSession(stream, coordinator, {
      identity: this.deps.identity,
      peerId: entry.fingerprint,
      own: nat,
      state,
      directUp: () => entry.links.get('direct')?.confirmed === true,
      mayPunch: () => this.punches.attempt(entry.fingerprint) === 0,
      budgetWaitMs: () => this.punches.wait(entry.fingerprint) * 1000,
      // The owner's streams on the relay link and what they carried (the mux counts them: the
      // services ServiceRegistry.countsAsUse names); pings come by noteUse.
      uses: () => mux.uses,
      peerHearsUse: entry.features?.includes(FEATURE_TRAVERSE_USE) === true,
      attach: (l) => this.deps.attachPunched(l),
      learnMapped: (address) => this.deps.learnAddresses(entry, [address], 'mapped'),
      changed: () => this.deps.changed(),
      log: this.deps.log,
    });
    this.sessions.set(entry, session);
    stream.once('close', () => {
      if (this.sessions.get(entry) === session) this.sessions.delete(entry);
    });
  }
}
