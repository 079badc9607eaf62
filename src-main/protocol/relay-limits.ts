/**
 * Relay limits (architecture.md §Relay, architecture.md §Rules the code keeps): every resource a client can make the relay spend is bounded by a
 * named limit with a default. Shared by the relay server (enforces them) and the relay client (learns
 * maxFrameBytes and idleTimeoutMs from the relay, uses the same heartbeat schedule).
 */
import { ClawError } from '../core/errors.js';

export interface RelayLimits {
  /** Largest relay frame (one WebSocket message), in bytes. Enforced by ws `maxPayload` from the frame header, before any payload is buffered. */
  maxFrameBytes: number;
  /** Circuits one node may have open at once, counting circuits it opened and circuits opened to it. */
  circuitsPerNode: number;
  /**
   * Circuits one node may have open at once that it opened to one other node (or alias listener), in
   * circuits. A link needs one; pairing and reconnect races (both ends dialing, an old circuit still
   * closing while the new one opens) need a few more. Kept well below circuitsPerNode so that no single
   * node can hold the whole of a target's circuitsPerNode budget: filling it takes
   * ceil(circuitsPerNode / circuitsPerPair) authenticated node IDs (16 at the defaults).
   */
  circuitsPerPair: number;
  /**
   * Circuits open at once to one node from the nodes connected from one address (IPv4, or IPv6 /64),
   * counting the circuits those nodes opened to it. Node IDs cost nothing, so circuitsPerPair alone let
   * one address with 20 throwaway IDs hold all of a target's circuitsPerNode; now one address holds at
   * most this many of them (1/8 at the defaults), whatever the number of IDs. Circuits from a node the
   * target is linked with (see linkedAfterMs) are exempt, so a peer behind the attacker's own NAT still
   * gets through once it has linked there.
   */
  circuitsPerSourceIp: number;
  /**
   * Of circuitsPerNode, how many only circuits between linked nodes (see linkedAfterMs) may use: other
   * openers are refused once the target has circuitsPerNode − this open. Keeps room for the target's
   * peers even when many addresses fill the rest. Derived as circuitsPerNode / 8 unless set.
   */
  reservedCircuits: number;
  /**
   * Milliseconds a circuit between two nodes must stay open before the relay counts them as linked
   * (each for the other, as long as their connections last). The relay cannot see whom a node trusts,
   * but a node closes a circuit that does not complete its E2E handshake within 10 s (an unknown node's
   * never does): one it keeps open past this is one it accepted. 30 s leaves margin over that deadline.
   */
  linkedAfterMs: number;
  /**
   * WebSocket connections (nodes, authenticated or authenticating) the relay serves at once; the next is
   * closed with 4024 RELAY_FULL. Open files and memory refuse nodes the same way before this when they
   * run out first (relay/capacity.ts).
   */
  maxNodes: number;
  /** Simultaneous WebSocket connections from one IP address, authenticated or not. */
  connectionsPerIp: number;
  /** New connections per IP address per minute; each connection is one authentication attempt (token bucket, burst = this value). */
  authAttemptsPerMinute: number;
  /**
   * Splice connections from one IP address (IPv4, or IPv6 /64) open at once, waiting or piping; more
   * are closed as they present their splice line. Counted apart from connectionsPerIp: a node behind a
   * NAT opens one per link. As many as one node may have piping (circuitsPerNode at its default), so
   * such a node meets its own cap first, while throwaway identities cannot pile up thousands of sockets.
   */
  splicesPerIp: number;
  /** Bytes queued towards one node above which the relay stops reading from the nodes sending to it (backpressure). */
  bufferHighWaterBytes: number;
  /** Bytes queued towards one node above which that node is disconnected as a slow consumer. */
  maxBufferedBytes: number;
  /** Milliseconds a node may stay above bufferHighWaterBytes before it is disconnected as a slow consumer. */
  slowConsumerTimeoutMs: number;
  /** Milliseconds without any frame or WebSocket ping from an authenticated node before it is disconnected. */
  idleTimeoutMs: number;
  /** Milliseconds from connection to a valid HELLO. */
  authTimeoutMs: number;
  /** Milliseconds between WebSocket pings on a connection with circuits (heartbeat). */
  pingIntervalMs: number;
  /**
   * Milliseconds between WebSocket pings on a connection without circuits (ADR 0061): an idle node
   * pings, and is expected to, this often instead. Four times pingIntervalMs unless set.
   */
  idlePingIntervalMs: number;
  /** Unanswered pings after which a connection is terminated: dead link detected within (this + 1) × pingIntervalMs. */
  maxMissedPongs: number;
}

/** 1 MiB: a link frame is ≤ 64 KiB + header, so this leaves room while keeping one message's buffer small. */
const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

/**
 * 16 circuits from one node to one other: sixteen times what a link needs, so legitimate races never meet it, yet
 * 1/16 of circuitsPerNode, so one node alone cannot make a target unreachable through this relay.
 */
const DEFAULT_CIRCUITS_PER_PAIR = 16;

/** circuitsPerNode: room for a node's links, terminals and forwards through one relay. */
const DEFAULT_CIRCUITS_PER_NODE = 256;

/** circuitsPerSourceIp: twice circuitsPerPair (a couple of nodes behind one NAT), 1/8 of circuitsPerNode. */
const DEFAULT_CIRCUITS_PER_SOURCE_IP = 32;

/** reservedCircuits when not set: this fraction of circuitsPerNode (32 of 256). */
const RESERVED_CIRCUITS_DIVISOR = 8;

/**
 * Defaults. Heartbeat: a ping every 15 s and termination after 2 missed pongs detects a dead link in
 * under 45 s while it carries circuits; without circuits, a ping every 60 s (ADR 0061), and the relay's
 * idle timeout (120 s) cuts a silent node (architecture.md §Relay). High water 256 KiB is four full link frames per destination, enough to keep a
 * fast link busy; 4 MiB hard limit bounds what one slow node can make the relay hold.
 */
export const DEFAULT_RELAY_LIMITS: Readonly<RelayLimits> = Object.freeze({
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  circuitsPerNode: DEFAULT_CIRCUITS_PER_NODE,
  circuitsPerPair: DEFAULT_CIRCUITS_PER_PAIR,
  circuitsPerSourceIp: DEFAULT_CIRCUITS_PER_SOURCE_IP,
  reservedCircuits: DEFAULT_CIRCUITS_PER_NODE / RESERVED_CIRCUITS_DIVISOR,
  linkedAfterMs: 30_000,
  maxNodes: 1_000_000,
  connectionsPerIp: 32,
  authAttemptsPerMinute: 60,
  splicesPerIp: 256,
  bufferHighWaterBytes: 256 * 1024,
  maxBufferedBytes: 4 * 1024 * 1024,
  slowConsumerTimeoutMs: 30_000,
  idleTimeoutMs: 120_000,
  authTimeoutMs: 10_000,
  pingIntervalMs: 15_000,
  idlePingIntervalMs: 60_000,
  maxMissedPongs: 2,
});

/** idlePingIntervalMs when not set: this many times pingIntervalMs (60 s of 15 s). */
const IDLE_PING_MULTIPLE = 4;

/** Smallest maxFrameBytes accepted, in bytes: a HELLO with the largest certificate and token must fit. */
export const MIN_MAX_FRAME_BYTES = 8 * 1024;

/** Largest value a u32 wire field can carry; limits advertised to clients must fit in one. */
const U32_MAX = 0xffff_ffff;

/**
 * Fills in defaults and checks that the result is coherent.
 * @throws ClawError('CONFIG_INVALID') naming the bad limit and its value.
 */
export function resolveRelayLimits(partial: Partial<RelayLimits> = {}): RelayLimits {
  const limits: RelayLimits = { ...DEFAULT_RELAY_LIMITS };
  for (const [name, value] of Object.entries(partial) as [keyof RelayLimits, unknown][]) {
    if (value === undefined) continue;
    if (!(name in DEFAULT_RELAY_LIMITS)) {
      throw new ClawError('CONFIG_INVALID', `unknown relay limit '${String(name)}'`);
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > U32_MAX) {
      throw new ClawError(
        'CONFIG_INVALID',
        `relay limit ${name} must be a whole number from 1 to ${U32_MAX}, got ${JSON.stringify(value) ?? typeof value}`,
      );
    }
    limits[name] = value;
  }
  if (partial.idlePingIntervalMs === undefined) {
    limits.idlePingIntervalMs = limits.pingIntervalMs * IDLE_PING_MULTIPLE;
  }
  if (limits.idlePingIntervalMs < limits.pingIntervalMs) {
    throw new ClawError(
      'CONFIG_INVALID',
      `relay limit idlePingIntervalMs (${limits.idlePingIntervalMs}) must be at least pingIntervalMs (${limits.pingIntervalMs})`,
    );
  }
  if (partial.reservedCircuits === undefined) {
    limits.reservedCircuits = Math.floor(limits.circuitsPerNode / RESERVED_CIRCUITS_DIVISOR);
  }
  if (limits.reservedCircuits >= limits.circuitsPerNode) {
    throw new ClawError(
      'CONFIG_INVALID',
      `relay limit reservedCircuits (${limits.reservedCircuits}) must be below circuitsPerNode (${limits.circuitsPerNode})`,
    );
  }
  if (limits.maxFrameBytes < MIN_MAX_FRAME_BYTES) {
    throw new ClawError(
      'CONFIG_INVALID',
      `relay limit maxFrameBytes must be at least ${MIN_MAX_FRAME_BYTES}, got ${limits.maxFrameBytes}`,
    );
  }
  if (limits.bufferHighWaterBytes >= limits.maxBufferedBytes) {
    throw new ClawError(
      'CONFIG_INVALID',
      `relay limit bufferHighWaterBytes (${limits.bufferHighWaterBytes}) must be below maxBufferedBytes (${limits.maxBufferedBytes})`,
    );
  }
  return limits;
}
