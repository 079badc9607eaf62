/**
 * What one attempt at a path to a peer observed, as data (docs/reachability.md): the dialers classify
 * each failure once, where they still know which address or relay it was, and every "cannot reach"
 * line is worded from these (causes.ts), never from an error's text.
 */
import { ClawError, errnoOf, errorMessage, isClawError, refusalOf, type ErrorCode } from '../core/errors.js';
import type { RefusalCode } from '../core/refusal-codes.js';

/** The other side answered and said no (not approved yet, removed): the same on every path. */
export interface PeerRefusedObservation {
  kind: 'peer-refused';
  refusal: RefusalCode;
  message: string;
}

/**
 * A direct dial to `address`:
 * - `refused`: nothing listens there (connection refused): its agent is not running, or moved port;
 * - `timed-out`: no answer at all: the machine is off or asleep, or a firewall drops the dial;
 * - `pin-mismatch`: a TLS certificate other than the paired one answered: another node has that address;
 * - `no-route`: this machine has no route to that network or host (ENETUNREACH, EHOSTUNREACH): the
 *   address is on a network only others reach (a peer's LAN, a namespace), as when a route was its way;
 * - `error`: anything else, in the error's words.
 */
export type DirectObservation =
  | { path: 'direct'; kind: 'refused' | 'timed-out' | 'pin-mismatch' | 'no-route'; address: string }
  | { path: 'direct'; kind: 'error'; address: string; message: string }
  | ({ path: 'direct'; address: string } & PeerRefusedObservation);

/**
 * A circuit through `relay`:
 * - `relay-down`: this node cannot connect to the relay;
 * - `not-on-relay`: the relay is up and says the peer is not connected to it;
 * - `relay-refused`: the relay refused this node (its token, its certificate pin, a limit);
 * - `error`: anything else (a handshake that failed, a timeout), in the error's words.
 */
export type RelayObservation =
  | { path: 'relay'; kind: 'relay-down' | 'not-on-relay'; relay: string }
  | { path: 'relay'; kind: 'relay-refused' | 'error'; relay: string; message: string }
  | ({ path: 'relay'; relay: string } & PeerRefusedObservation);

/** A path that is neither (a saved route): its failure in its own words. */
export interface OtherObservation {
  path: 'route';
  kind: 'error';
  message: string;
}

export type PathObservation = DirectObservation | RelayObservation | OtherObservation;

/** A dial failure that carries what it observed; the original error stays its cause. */
export class DialFailure extends ClawError {
  constructor(
    readonly observed: DirectObservation | RelayObservation,
    cause: unknown,
  ) {
    const base = isClawError(cause) ? cause : undefined;
    super(base?.code ?? 'CONNECT_FAILED', errorMessage(cause), {
      cause,
      ...(base?.refusal !== undefined ? { refusal: base.refusal } : {}),
      ...(base?.peerReason !== undefined ? { peerReason: base.peerReason } : {}),
      ...(base?.hint !== undefined ? { hint: base.hint } : {}),
    });
  }
}

/** What a failed direct dial to `address` observed. */
export function observeDirect(address: string, err: unknown): DirectObservation {
  const refusal = refusalOf(err);
  if (refusal !== undefined)
    return { path: 'direct', address, kind: 'peer-refused', refusal, message: errorMessage(err) };
  if (isClawError(err, 'FINGERPRINT_MISMATCH')) return { path: 'direct', address, kind: 'pin-mismatch' };
  const errno = errnoOf(err);
  if (errno === 'ECONNREFUSED') return { path: 'direct', address, kind: 'refused' };
  if (errno === 'ENETUNREACH' || errno === 'EHOSTUNREACH')
    return { path: 'direct', address, kind: 'no-route' };
  if (isClawError(err, 'TIMEOUT') || errno === 'ETIMEDOUT')
    return { path: 'direct', address, kind: 'timed-out' };
  return { path: 'direct', address, kind: 'error', message: errorMessage(err) };
}

/** The relay's own refusals of this node: only its owner or this node's settings can change them. */
const RELAY_REFUSALS: readonly ErrorCode[] = [
  'RELAY_AUTH_FAILED',
  'RELAY_UNPINNED',
  'RELAY_FINGERPRINT_MISMATCH',
  'RELAY_LIMIT',
];

/** What a failed circuit through `relay` observed. */
export function observeRelay(relay: string, err: unknown): RelayObservation {
  const refusal = refusalOf(err);
  if (refusal !== undefined)
    return { path: 'relay', relay, kind: 'peer-refused', refusal, message: errorMessage(err) };
  if (isClawError(err, 'PEER_OFFLINE')) return { path: 'relay', relay, kind: 'not-on-relay' };
  if (isClawError(err, 'RELAY_UNREACHABLE')) return { path: 'relay', relay, kind: 'relay-down' };
  if (isClawError(err) && RELAY_REFUSALS.includes(err.code)) {
    return { path: 'relay', relay, kind: 'relay-refused', message: err.message };
  }
  return { path: 'relay', relay, kind: 'error', message: errorMessage(err) };
}

/** What a failed attempt on `path` observed: the dialer's classification, else the error's words. */
export function observedOf(path: 'direct' | 'relay' | 'route', err: unknown): PathObservation {
  if (err instanceof DialFailure) return err.observed;
  if (path === 'direct') return observeDirect('', err);
  if (path === 'relay') return observeRelay('', err);
  return { path: 'route', kind: 'error', message: errorMessage(err) };
}
