/**
 * Why a peer cannot be reached, in words, from what each path observed (observation.ts). Pure: the rule
 * table is docs/reachability.md, one unit test per row. The line names the one most likely cause first,
 * then what each path saw: `its agent is not running — direct 10.0.0.5:7475: connection refused; relay
 * wss://r.example: it is not connected there`.
 */
import { hereHint, type Hint } from '../core/hint.js';
import { sameRelayUrl } from '../core/relay-url.js';
import type { DirectObservation, PathObservation, RelayObservation } from './observation.js';

/** A relay the peer may be reached through (this node's, or the peer's home relay) as it is now. */
export interface RelayStatus {
  url: string;
  up: boolean;
  /** Since when it has been down (ms since the epoch), while it is down. */
  downSince?: number | undefined;
  /** When it came back after being down (ms since the epoch), while it is up. */
  backAt?: number | undefined;
  /**
   * While it is not connected because the relay refuses this node (a limit, the token, its
   * certificate): the refusal's line. Such a relay is up, not down.
   */
  refusal?: string | undefined;
}

export interface ReachFacts {
  /** Now, in ms since the epoch (a parameter, so the rules are tested without a clock). */
  now: number;
  /** The peer: the commands the lines name are filled in with it, not left as placeholders. */
  peer: PeerNamed;
  /** The direct path's last failure since its last link; absent when it had nothing to dial. */
  direct?: DirectObservation | undefined;
  /** The relay path's last failure since its last link; absent when it had no relay to try. */
  relay?: RelayObservation | undefined;
  /** The relays a circuit to the peer can go through. */
  relays: readonly RelayStatus[];
  /** The peer's home relay is known: a peer not on it is not simply on another relay. */
  homeRelayKnown: boolean;
  /** The peer was linked while this agent runs and its link is gone. */
  lost: boolean;
  /** When that link went (ms since the epoch), if it did. */
  lostAt?: number | undefined;
  /** Which path failed last, when both did: with only errors to go by, the newest says most. */
  newest?: 'direct' | 'relay' | undefined;
}

/** A peer as a command names it: its name here and its fingerprint. */
export interface PeerNamed {
  name: string;
  fingerprint: string;
}

export type CauseState = 'waiting' | 'refused' | 'offline' | 'unreachable';

export interface Cause {
  state: CauseState;
  /** The line: the most likely cause, then each path's observation. */
  detail: string;
  /** The command the line says to run, when it says to run one. */
  hint?: Hint;
}

/**
 * How long after a relay came back a peer not yet on it counts as reconnecting rather than gone, in ms:
 * a peer's relay client retries with backoff, up to 30 s apart in agents that do not probe.
 */
export const REJOIN_GRACE_MS = 30_000;

export const WAITING_DETAIL = 'waiting for their approval';
export const REFUSED_DETAIL = 'refused by them (removed or rejected us)';
export const NOT_RUNNING = 'its agent is not running';
/**
 * How to reach a peer homed on a relay this node does not use, before its hello could say so. The
 * relay is the one thing left to fill in: it is what this node does not know.
 */
export function otherRelayHint(peer: PeerNamed): Hint {
  return hereHint(['peers', 'add', peer.fingerprint, '--name', peer.name, '--relay', 'URL'], '--relay');
}

/**
 * How to reach a peer this machine has no route to: through a peer that has one (ADR 0017). Which peer
 * that is, this node cannot know: the hop stays to fill in.
 */
export function routeHint(peer: PeerNamed): Hint {
  return hereHint(['peers', 'route', peer.name, '--via', 'HOP'], '--via');
}

/** `14:03:07`, this machine's local time. */
export function clockTime(ms: number): string {
  const t = new Date(ms);
  return [t.getHours(), t.getMinutes(), t.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** What one path saw, as the part of the line after the cause. */
export function observationText(o: PathObservation): string {
  if (o.path === 'route') return `route: ${o.message}`;
  if (o.path === 'direct') {
    switch (o.kind) {
      case 'refused':
        return `direct ${o.address}: connection refused`;
      case 'timed-out':
        return `direct ${o.address}: no answer (timed out)`;
      case 'pin-mismatch':
        return `direct ${o.address}: another certificate answered (TLS pin mismatch)`;
      case 'no-route':
        return `direct ${o.address}: no route to it from this machine`;
      case 'peer-refused':
      case 'error':
        return `direct: ${o.message}`;
    }
  }
  switch (o.kind) {
    case 'relay-down':
      return `relay ${o.relay}: cannot connect to it`;
    case 'not-on-relay':
      return `relay ${o.relay}: it is not connected there`;
    case 'relay-refused':
    case 'peer-refused':
      return o.message;
    case 'error':
      return `relay ${o.relay}: ${o.message}`;
  }
}

/** The relay outage in the way, if any: the relay the circuit failed to reach, else the only ones there are. */
function outage(facts: ReachFacts): RelayStatus | undefined {
  return inTheWay(
    facts,
    facts.relays.filter((r) => !r.up && r.downSince !== undefined && r.refusal === undefined),
  );
}

/** The relay refusing this node in the way, if any, chosen as `outage` chooses a relay that is down. */
function refusing(facts: ReachFacts): RelayStatus | undefined {
  return inTheWay(
    facts,
    facts.relays.filter((r) => !r.up && r.refusal !== undefined),
  );
}

/** Of `candidates` (relays not connected), the one the circuit failed to reach, else the only ones there are. */
function inTheWay(facts: ReachFacts, candidates: RelayStatus[]): RelayStatus | undefined {
  const observed =
    facts.relay?.kind === 'relay-down' || facts.relay?.kind === 'relay-refused'
      ? facts.relay.relay
      : undefined;
  const named = observed === undefined ? undefined : candidates.find((r) => sameRelayUrl(r.url, observed));
  if (named) return named;
  return facts.relays.some((r) => r.up) ? undefined : candidates[0];
}

/** The relay the peer was not on, when that relay came back a moment ago (the peer may not be back yet). */
function rejoining(facts: ReachFacts): RelayStatus | undefined {
  if (facts.relay?.kind !== 'not-on-relay') return undefined;
  const url = facts.relay.relay;
  const status = facts.relays.find((r) => sameRelayUrl(r.url, url) && r.up);
  const back = status?.backAt;
  if (back === undefined || facts.now - back >= REJOIN_GRACE_MS) return undefined;
  // Linked again after the relay came back, then lost: it did reconnect, and went away since.
  if (facts.lostAt !== undefined && facts.lostAt > back) return undefined;
  return status;
}

/**
 * The cause of a peer not being reached (rules in order: docs/reachability.md), with what each path saw.
 * Precondition: the peer has no link now.
 */
export function explainUnreachable(facts: ReachFacts): Cause | undefined {
  const { direct, relay } = facts;
  const seen = [direct, relay].filter((o): o is DirectObservation | RelayObservation => o !== undefined);
  const line = (cause: string, omit?: PathObservation): string => {
    const rest = seen.filter((o) => o !== omit).map(observationText);
    return rest.length > 0 ? `${cause} — ${rest.join('; ')}` : cause;
  };
  // 1. It answered and said no: nothing else matters until that changes.
  const said = seen.find((o) => o.kind === 'peer-refused');
  if (said?.kind === 'peer-refused') {
    if (said.refusal === 'NOT_APPROVED') return { state: 'waiting', detail: WAITING_DETAIL };
    if (said.refusal === 'REMOVED') return { state: 'refused', detail: REFUSED_DETAIL };
    return { state: 'refused', detail: `refused by them: ${said.message}` };
  }
  // 2. Nothing listens where it listened: its agent is gone, whatever a relay says meanwhile.
  const down = outage(facts);
  if (direct?.kind === 'refused') {
    const cause = down
      ? `${NOT_RUNNING}, and relay ${down.url} is down since ${clockTime(down.downSince!)}`
      : NOT_RUNNING;
    return {
      state: 'offline',
      detail: line(cause, down && relay?.kind === 'relay-down' ? relay : undefined),
    };
  }
  // 3. The relay is down: every peer reached through it waits for it.
  if (down) {
    const cause = `waiting for relay ${down.url} (down since ${clockTime(down.downSince!)})`;
    return { state: 'unreachable', detail: line(cause, relay?.kind === 'relay-down' ? relay : undefined) };
  }
  // 3a. The relay is up but refuses this node (a limit, the token, its certificate): its words say
  // what to fix; it is not down.
  const refused = refusing(facts);
  if (refused) {
    const about = relay?.kind === 'relay-down' || relay?.kind === 'relay-refused' ? relay : undefined;
    return { state: 'unreachable', detail: line(refused.refusal!, about) };
  }
  // 4. The relay is back, and the peer's own relay client has not reconnected yet.
  const back = rejoining(facts);
  if (back) {
    const cause = `waiting for it to reconnect to relay ${back.url} (back since ${clockTime(back.backAt!)})`;
    return { state: 'unreachable', detail: line(cause, relay) };
  }
  // 4a. Its address is on a network this machine has no route to (the peer's LAN, reached before
  // through a route): a peer that reaches it can relay (`peers route`), rather than another address.
  if (direct?.kind === 'no-route') {
    const cause = `this machine has no route to ${direct.address}: reach it through a peer that can, or a relay both nodes share`;
    return {
      state: facts.lost ? 'offline' : 'unreachable',
      detail: line(cause, direct),
      hint: routeHint(facts.peer),
    };
  }
  // 5. The relay is up and does not see it.
  if (relay?.kind === 'not-on-relay') {
    if (facts.homeRelayKnown) {
      return {
        state: 'offline',
        detail: line(`${NOT_RUNNING}, or it is not connected to relay ${relay.relay}`, relay),
      };
    }
    // Never linked, so its relay is not known: it may be on one of its own rather than not running.
    const cause =
      "it is on none of this node's relays: its agent is not running, or it uses another relay: name that relay for it";
    return { state: 'offline', detail: line(cause, relay), hint: otherRelayHint(facts.peer) };
  }
  // 6. Another node answers at its address.
  if (direct?.kind === 'pin-mismatch') {
    return { state: 'unreachable', detail: line(`another node answers at ${direct.address}`, direct) };
  }
  // 7. The relay refuses this node (token, pin, limit): its words say what to fix.
  if (relay?.kind === 'relay-refused') return { state: 'unreachable', detail: line(relay.message, relay) };
  // 8. No answer at all.
  const lostOr = (cause: string) => (facts.lost ? `link lost; ${cause}` : cause);
  const state = facts.lost ? 'offline' : 'unreachable';
  if (direct?.kind === 'timed-out') {
    const cause = `no answer at ${direct.address}: its machine is off or asleep, or a firewall drops the connection`;
    return { state, detail: line(lostOr(cause), direct) };
  }
  // 9. Only errors: the newest says most.
  const newest = facts.newest === 'direct' ? (direct ?? relay) : (relay ?? direct);
  if (newest) return { state, detail: line(lostOr(observationText(newest)), newest) };
  return undefined;
}
