/**
 * What a peer's state is and why, in words a person reads (the `peers` table, `ping`, the window's
 * badges and "why relayed?"). Pure: the agent gathers the facts (its links, its dial attempts, what the
 * peer answered to our hello) and this decides, so every rule is tested without a network.
 */
import { ClawError } from '../core/errors.js';
import { peerHint, type Hint } from '../core/hint.js';
import type { RefusalCode } from '../core/refusal-codes.js';
import type { PathKind } from '../transport/link.js';
import {
  explainUnreachable,
  REFUSED_DETAIL,
  WAITING_DETAIL,
  type PeerNamed,
  type RelayStatus,
} from '../reachability/causes.js';
import type { PathObservation } from '../reachability/observation.js';
import { untilText } from './punch-rounds.js';

/**
 * - `online`: a path is up and the peer accepted our hello;
 * - `waiting`: the peer let us say hello but has not approved us (yet);
 * - `refused`: the peer removed or rejected this node, and refuses its links;
 * - `unreachable`: there is nothing to try (no relay connected here, no direct address) or every try failed;
 * - `offline`: the peer is not around (its relay says it is not connected, or it was linked and its
 *   link is gone) or nothing is known yet.
 */
export type PeerState = 'online' | 'waiting' | 'refused' | 'unreachable' | 'offline';

/** The last outcome of one path's dial attempts (peer-connector.ts PathRetrier). */
export interface PathAttemptFacts {
  lastError?: string | undefined;
  /** What that failure observed (reachability/observation.ts): the line is worded from this. */
  observed?: PathObservation | undefined;
  /** The other side's refusal code, when it refused the link. */
  lastRefusal?: RefusalCode | undefined;
  /** When the last attempt failed (ms since the epoch). */
  lastErrorAt?: number | undefined;
}

export interface PeerStateFacts {
  /** Now, in ms since the epoch. */
  now: number;
  /** The peer, as the commands a line names call it. */
  peer: PeerNamed;
  /** The path carrying streams, when the peer is online. */
  active?: { path: PathKind; remote: string } | undefined;
  /** What the peer answered when it refused our hello (mux REJECT), and when. */
  refusal?: { code: RefusalCode; message: string; at: number } | undefined;
  direct: PathAttemptFacts;
  relay: PathAttemptFacts;
  /** The relays this node uses now (saved, its own, on demand), up or down and since when. */
  relays: readonly RelayStatus[];
  /** Direct addresses of the peer this node knows (hint, announcements, LAN). */
  addressesKnown: number;
  /** This node dials no direct links (`--no-direct`). */
  directOffHere: boolean;
  /** The peer's hello announced no direct address: its listener is off (or loopback-only elsewhere). */
  directOffThere: boolean;
  /** The peer is a browser (crypto/node-kind.ts): it has no listener at all, the relay is its only path. */
  browser?: boolean;
  /** The peer's home relay is known (its hello, its invite, or `peers add --relay`): dialed on demand. */
  homeRelayKnown: boolean;
  /**
   * What the pair's NATs allow (links/traversal.ts): how a direct link could come up and why not, the
   * last simultaneous open's failure, and when it was given up. Absent before candidates were told.
   */
  traversal?:
    | {
        chance: 'dial' | 'simultaneous-open' | 'none' | 'unknown';
        why: string;
        punchError?: string | undefined;
        gaveUp?: string | undefined;
        /** When simultaneous opens are tried again on their own, while given up (ms since the epoch). */
        nextTryAt?: number | undefined;
      }
    | undefined;
  /**
   * When the peer's last link went down, if it was linked while this agent runs: dials failing after
   * that mean it went away (offline), not that it cannot be reached (unreachable).
   */
  lostAt?: number | undefined;
}

export interface PeerStateView {
  state: PeerState;
  /** One line: for online the path and address; otherwise why the peer is not online. */
  stateDetail: string | null;
  /** The command that does what stateDetail says to do, when it says to run one. */
  stateHint?: Hint;
  /** Why the active path is relay and not direct (only when it is relay). */
  relayReason: string | null;
}

export { REFUSED_DETAIL, WAITING_DETAIL };
/** Nothing to dial: no relay connected here (none saved, or all down) and no direct address known. */
export const NOTHING_TO_TRY_DETAIL = 'no relay connected here and no direct address known';
/** Nothing to dial because this node's direct links are off (`--no-direct`) and no relay is connected. */
export const NO_RELAY_DIRECT_OFF_DETAIL =
  'no relay connected here, and direct connections are turned off here';

function newestError(facts: PeerStateFacts): PathAttemptFacts | undefined {
  const tried = [facts.direct, facts.relay].filter((p) => p.lastError !== undefined);
  return tried.sort((a, b) => (b.lastErrorAt ?? 0) - (a.lastErrorAt ?? 0))[0];
}

export function describePeerState(facts: PeerStateFacts): PeerStateView {
  if (facts.active) {
    const { path, remote } = facts.active;
    return {
      state: 'online',
      stateDetail: `${path} ${remote}`,
      relayReason: path === 'relay' ? relayReason(facts) : null,
    };
  }
  const off = (state: PeerState, stateDetail: string | null): PeerStateView => ({
    state,
    stateDetail,
    relayReason: null,
  });
  const newest = newestError(facts);
  // A refusal counts until a newer failure says the peer is no longer even answering. Being removed
  // stays true whatever later dials say (a dial to an address it no longer listens on fails too): only
  // a link, which clears the refusal, ends it.
  const refusal =
    facts.refusal && (facts.refusal.code === 'REMOVED' || (newest?.lastErrorAt ?? 0) <= facts.refusal.at)
      ? facts.refusal
      : undefined;
  if (refusal !== undefined) {
    if (refusal.code === 'NOT_APPROVED') return off('waiting', WAITING_DETAIL);
    if (refusal.code === 'REMOVED') return off('refused', REFUSED_DETAIL);
    return off('refused', `refused by them: ${refusal.message}`);
  }
  // Either path being refused that way is enough: the other may only say that its circuit closed.
  if ([facts.direct, facts.relay].some((p) => p.lastRefusal === 'REMOVED')) {
    return off('refused', REFUSED_DETAIL);
  }
  const canDirect = !facts.directOffHere && facts.addressesKnown > 0;
  // A peer's home relay is something to try even when this node is on no relay: it is dialed on demand.
  const relayToTry = facts.homeRelayKnown || facts.relays.some((r) => r.up || r.downSince !== undefined);
  if (!relayToTry && !canDirect) {
    // With direct links off here, a known address is no way in either: say that, not "no address".
    const why =
      facts.directOffHere && facts.addressesKnown > 0 ? NO_RELAY_DIRECT_OFF_DETAIL : NOTHING_TO_TRY_DETAIL;
    return off('unreachable', why);
  }
  // A direct failure counts only where a direct dial is meant to work: not with direct off here, nor
  // at an address the peer no longer listens on (its hello announces none).
  const direct = canDirect && !facts.directOffThere ? facts.direct : {};
  const cause = explainUnreachable({
    now: facts.now,
    peer: facts.peer,
    direct: direct.observed?.path === 'direct' ? direct.observed : undefined,
    relay: facts.relay.observed?.path === 'relay' ? facts.relay.observed : undefined,
    relays: facts.relays,
    homeRelayKnown: facts.homeRelayKnown,
    lost: facts.lostAt !== undefined,
    lostAt: facts.lostAt,
    newest: (direct.lastErrorAt ?? 0) > (facts.relay.lastErrorAt ?? 0) ? 'direct' : 'relay',
  });
  if (!cause) return off('offline', null);
  return { ...off(cause.state, cause.detail), ...(cause.hint ? { stateHint: cause.hint } : {}) };
}

/** "Why relayed?" when the peer's hello announced no direct listener (`agent --no-direct` there). */
export const DIRECT_OFF_THERE_REASON =
  'they do not accept direct connections (their agent announces no listener)';

/** "Why relayed?" for a browser: a page can dial only its relay's WebSocket, never listen (ADR 0094). */
export const BROWSER_RELAY_REASON = 'a browser reaches this device only through the relay (it cannot listen)';

/** "Why relayed?": what keeps the direct path from carrying the traffic. */
export function relayReason(facts: PeerStateFacts): string {
  // Said first: no setting here or there would give a browser a direct path.
  if (facts.browser === true) return BROWSER_RELAY_REASON;
  if (facts.directOffHere) return 'direct turned off here';
  // Its hello is the peer's word now: addresses saved from before (an old listener's port) and the
  // dials that failed on them say nothing about why it is relayed.
  if (facts.directOffThere) return DIRECT_OFF_THERE_REASON;
  const t = facts.traversal;
  // Across NATs the NATs' verdict says more than a failed dial to an address behind one of them.
  if (t?.chance === 'none') return t.why;
  if (t?.gaveUp !== undefined) {
    const next = t.nextTryAt === undefined ? '' : `; next try ${untilText(t.nextTryAt, facts.now)}`;
    return `${t.why}, but ${t.gaveUp}${next} (\`peers retry\` tries now)`;
  }
  if (t?.chance === 'simultaneous-open' || (t?.chance === 'unknown' && t.punchError !== undefined)) {
    return t.punchError === undefined
      ? `${t.why} (trying)`
      : `${t.why}; the last one failed: ${t.punchError} (trying again)`;
  }
  if (facts.addressesKnown === 0) return 'no direct address known';
  if (facts.direct.lastError !== undefined) return `direct dial failed: ${facts.direct.lastError}`;
  return 'direct not up yet (still trying)';
}

/**
 * The error `ping` and opening a stream fail with when a peer has no path (PEER_OFFLINE), e.g. `peer b
 * is waiting for their approval`, with the command its line says to run, if any.
 */
export function notOnlineError(name: string, view: PeerStateView): ClawError {
  const hint = view.state === 'waiting' ? peerHint(['pending']) : view.stateHint;
  return new ClawError('PEER_OFFLINE', notOnlineLine(name, view), hint ? { hint } : undefined);
}

/** The line of notOnlineError. */
export function notOnlineLine(name: string, view: PeerStateView): string {
  switch (view.state) {
    case 'waiting':
      return `peer ${name} is ${WAITING_DETAIL}: its owner reviews this node's request among the pending requests there`;
    case 'refused':
      return `peer ${name} is ${view.stateDetail ?? REFUSED_DETAIL}; pair again with a new code from its owner`;
    case 'unreachable':
      // A line with a command of its own says what to do; the rest get the usual two ways out.
      return view.stateHint
        ? `peer ${name} is unreachable: ${view.stateDetail ?? 'unknown'}`
        : `peer ${name} is unreachable: ${view.stateDetail ?? 'unknown'}; check its address, or use a relay both nodes share`;
    default:
      return `peer ${name} is offline${view.stateDetail ? ` (${view.stateDetail})` : ''}; check that its agent runs and shares a relay or network with this one`;
  }
}

/** Who dialed the link in use, and its far end as the socket sees it. */
export interface LinkFrom {
  /** `us`: this node dialed; `peer`: the peer dialed this node (or opened the relay circuit). */
  dialedBy: 'us' | 'peer';
  /** For a link the peer dialed directly, its outgoing address and (ephemeral) port; a relay's URL. */
  remote: string;
}

export interface PeerAddressView {
  /** Where the path in use reaches the peer: its listening address (direct), or the relay URL. */
  address: string | null;
  /** Where the peer listens for direct links, whatever the path in use; null when not known. */
  listenAddress: string | null;
  linkFrom: LinkFrom | null;
}

/**
 * The addresses `peers` shows. A link the peer dialed comes from an ephemeral port nobody can dial
 * back, so the address shown is the one the peer announced in its hello (docs/protocol.md §Hello),
 * and the link's own far end is reported apart, as `linkFrom`; so is a punched link's.
 * @param announced the direct addresses of the peer's last hello, best first (undefined before one)
 */
export function describePeerAddress(
  active: { path: PathKind; remote: string; initiator: boolean; punched?: boolean } | undefined,
  announced: readonly string[] | undefined,
): PeerAddressView {
  // A punched link's far end is the port its simultaneous open used: where the path reaches the peer
  // now, never where it listens.
  if (active?.punched === true) {
    return {
      address: active.remote,
      listenAddress: announced?.[0] ?? null,
      linkFrom: { dialedBy: active.initiator ? 'us' : 'peer', remote: active.remote },
    };
  }
  const dialedDirect = active?.path === 'direct' && active.initiator ? active.remote : undefined;
  const listenAddress = dialedDirect ?? announced?.[0] ?? null;
  if (!active) return { address: null, listenAddress, linkFrom: null };
  return {
    // A relay link's address is the relay; a routed link's its hops (`via b → c`).
    address: active.path === 'direct' ? listenAddress : active.remote,
    listenAddress,
    linkFrom: { dialedBy: active.initiator ? 'us' : 'peer', remote: active.remote },
  };
}
