/**
 * Why a relay connection or circuit ended, as stable numbers both ends share (architecture.md §Rules the code keeps). Connection
 * codes go in the WebSocket close frame (with a short text reason); circuit codes go in a CLOSE frame's
 * `code` field. Application codes are in 4000–4999, the range RFC 6455 leaves to applications; the
 * 1000-range ones are the standard codes ws itself sends.
 */
export const RelayCloseCode = {
  /** Normal close (connection: client or relay stopping; circuit: an endpoint closed it). */
  NORMAL: 1000,
  /** The relay is shutting down. */
  GOING_AWAY: 1001,
  /**
   * Frame larger than maxFrameBytes. ws enforces maxPayload while reading the frame header, before it
   * buffers the payload, and then closes with the standard 1009 itself: that memory bound is worth more
   * than a 4000-range code, so this one stays standard.
   */
  FRAME_TOO_LARGE: 1009,
  /** The relay hit a bug handling this connection (standard "internal error"). */
  INTERNAL_ERROR: 1011,

  /** A frame that does not decode (truncated, trailing bytes, bad lengths, invalid UTF-8, text message). */
  MALFORMED_FRAME: 4000,
  /** A frame type this relay does not know. */
  UNKNOWN_FRAME_TYPE: 4001,
  /** A protocol version this relay does not speak. */
  UNSUPPORTED_VERSION: 4002,
  /** A well-formed frame at the wrong time: OPEN before auth, a second HELLO, a circuit id already in use. */
  PROTOCOL_VIOLATION: 4003,

  /** HELLO's signature does not verify against its certificate (or the certificate does not parse). */
  BAD_SIGNATURE: 4010,
  /** The relay requires an access token and HELLO carried none. */
  TOKEN_REQUIRED: 4011,
  /** HELLO carried a wrong access token. */
  TOKEN_REJECTED: 4012,
  /** No valid HELLO within authTimeoutMs. */
  AUTH_TIMEOUT: 4013,
  /** This IP address exceeded authAttemptsPerMinute. */
  AUTH_RATE_LIMITED: 4014,
  /** Connection: this relay serves only nodes its operator allowed (a node acting as relay for its peers). */
  NOT_AUTHORIZED: 4015,

  /** This IP address already has connectionsPerIp connections. */
  TOO_MANY_CONNECTIONS: 4020,
  /** Data queued towards this node exceeded maxBufferedBytes, or stayed above high water too long. */
  SLOW_CONSUMER: 4021,
  /** No frame and no ping from this node for idleTimeoutMs. */
  IDLE_TIMEOUT: 4022,
  /** A newer connection authenticated with the same node ID. */
  REPLACED: 4023,
  /**
   * The relay takes no more nodes now: its maxNodes cap, its open files or its memory budget is reached
   * (relay/capacity.ts). The nodes it has keep being served; the client retries with its backoff.
   */
  RELAY_FULL: 4024,

  /** Circuit: the opening node already has circuitsPerNode circuits, or the target has. */
  TOO_MANY_CIRCUITS: 4030,
  /** Circuit: the target node is not connected to this relay. */
  PEER_OFFLINE: 4031,
  /** Circuit: the other end's relay connection ended. */
  PEER_DISCONNECTED: 4032,
  /** Circuit: too many rendezvous (pairing) attempts from this node; wait a minute. */
  RENDEZVOUS_RATE_LIMITED: 4033,
  /**
   * Circuit: the opening node already has circuitsPerPair circuits open to this target. Separate from
   * TOO_MANY_CIRCUITS so the opener learns it is its own circuits to this one peer, not the peer being full.
   */
  TOO_MANY_CIRCUITS_TO_PEER: 4034,
  /**
   * Circuit: a frame on it would have taken the other end's queue past maxBufferedBytes, so the relay
   * closed this circuit instead of that node's connection (router.ts).
   */
  DESTINATION_FULL: 4035,
  /**
   * Circuit: the nodes connected from the opener's address (IPv4, or IPv6 /64) already have
   * circuitsPerSourceIp circuits open to this target (node IDs are free, so they are counted together).
   */
  TOO_MANY_CIRCUITS_FROM_ADDRESS: 4036,
} as const;

/**
 * Circuit CLOSE codes from 4100 to 4199 are not the relay's: the node at the other end refused the link,
 * and `code − 4100` is its refusal code (core/refusal-codes.ts). The relay passes them on untouched.
 */
export const NODE_REFUSAL_BASE = 4100;
export const NODE_REFUSAL_MAX = 4199;

export type RelayCloseCodeName = keyof typeof RelayCloseCode;

/** Reasons the relay sends with each code (≤ 123 bytes, the WebSocket limit). Clients match on the code. */
export const RELAY_CLOSE_REASONS: Readonly<Record<RelayCloseCodeName, string>> = {
  NORMAL: 'closed',
  GOING_AWAY: 'relay shutting down',
  FRAME_TOO_LARGE: 'frame too large',
  INTERNAL_ERROR: 'internal error',
  MALFORMED_FRAME: 'malformed frame',
  UNKNOWN_FRAME_TYPE: 'unknown frame type',
  UNSUPPORTED_VERSION: 'unsupported protocol version',
  PROTOCOL_VIOLATION: 'protocol violation',
  BAD_SIGNATURE: 'bad signature',
  TOKEN_REQUIRED: 'access token required',
  TOKEN_REJECTED: 'access token rejected',
  AUTH_TIMEOUT: 'authentication timeout',
  AUTH_RATE_LIMITED: 'auth rate limit exceeded',
  NOT_AUTHORIZED: 'this relay serves only the peers its owner allowed',
  TOO_MANY_CONNECTIONS: 'too many connections from this IP',
  SLOW_CONSUMER: 'buffered bytes exceeded (slow consumer)',
  IDLE_TIMEOUT: 'idle timeout',
  REPLACED: 'replaced by newer connection',
  RELAY_FULL: 'relay full: it takes no more nodes now',
  TOO_MANY_CIRCUITS: 'too many circuits',
  PEER_OFFLINE: 'peer offline',
  PEER_DISCONNECTED: 'peer disconnected',
  RENDEZVOUS_RATE_LIMITED: 'too many pairing attempts; wait a minute',
  TOO_MANY_CIRCUITS_TO_PEER: 'too many circuits to this peer',
  DESTINATION_FULL: 'the other end is not reading fast enough (its queue is full)',
  TOO_MANY_CIRCUITS_FROM_ADDRESS: 'too many circuits to this peer from this address',
};

const NAMES = new Map<number, RelayCloseCodeName>(
  (Object.entries(RelayCloseCode) as [RelayCloseCodeName, number][]).map(([name, code]) => [code, name]),
);

/** The constant's name for a code (`TOKEN_REJECTED`), or undefined for a code this build does not know. */
export function relayCloseCodeName(code: number): RelayCloseCodeName | undefined {
  return NAMES.get(code);
}
