/**
 * Flow-control and liveness constants of the mux (architecture.md §Rules the code keeps), each with the reason for its value.
 * Wire-level limits both ends must agree on (frame sizes, INITIAL_STREAM_WINDOW) live in
 * protocol/mux-frames.ts; these are local choices a node can tune without breaking its peers.
 */
import { MAX_DATA_PAYLOAD, MAX_STREAM_WINDOW } from '../protocol/mux-frames.js';

/**
 * Fraction of the receive window the application must consume before credit is returned, as a divisor
 * (2 = half). Returning credit in halves keeps the sender busy (it still holds half a window while the
 * WINDOW frame travels) while sending one WINDOW frame per half window instead of one per read.
 */
export const CREDIT_RETURN_DIVISOR = 2;

/**
 * Writable high-water mark of a stream in bytes (one full DATA payload, 64 KiB): `write()` returns false
 * once this much waits to be framed, so `pipe()` pauses the source. With the chunk being framed this
 * bounds what a stream holds on the send side to about two payloads, however slow the peer reads.
 */
export const STREAM_WRITE_HIGH_WATER = MAX_DATA_PAYLOAD;

/**
 * Largest receive window auto-tuning grows a stream to, in bytes (16 MiB, the protocol's
 * MAX_STREAM_WINDOW). Tuning stops once a window is 4 × the stream's bandwidth-delay product (at most
 * 16 × the BDP, growing fourfold), so 16 MiB serves at least 4 MiB in flight: 330 Mbit/s at 100 ms,
 * 3 Gbit/s at 10 ms. Only a reader that keeps up gets there (docs/design/windows.md §Growth).
 */
export const MAX_AUTO_STREAM_WINDOW = MAX_STREAM_WINDOW;

/**
 * Bytes of receive window that auto-tuning may add, beyond the starting windows, to all streams of one
 * link together (32 MiB = two streams at MAX_AUTO_STREAM_WINDOW). The streams of a link share its one
 * bandwidth-delay product, so together they never need more than one stream alone could use; the
 * budget bounds what fast readers that later stall can make a node buffer per peer.
 */
export const LINK_WINDOW_GROWTH_BUDGET = 32 * 1024 * 1024;

/**
 * Auto-tuning grows a stream's window (fourfold) when the reader consumed half of it within this many
 * credit round trips (2, quic-go's rule: a whole window in 4 RTTs). A reader that fast is held back by
 * credit; one that is slower than the window allows gains nothing from more buffering.
 */
export const WINDOW_GROWTH_RTTS = 2;

/**
 * Shortest credit round trip auto-tuning assumes, in ms (1 ms). A WINDOW's round trip under load passes
 * through at least two busy event loops (three on a relay path), each turn of which handles a batch of
 * 64 KiB frames; an idle PING on loopback, far under that, underestimates it, and growth would stop
 * early.
 */
export const MIN_CREDIT_RTT_MS = 1;

/**
 * Round-trip samples (heartbeats, pings) whose minimum is the path's RTT for auto-tuning (4: 20 s of
 * heartbeats at one each 5 s). The minimum filters out samples inflated by queueing behind bulk data, as BBR's min-RTT
 * filter does, so a stream's own traffic does not talk its window up.
 */
export const RTT_FILTER_SAMPLES = 4;

/**
 * Streams the peer may have open (or waiting for accept) at once on one link; OPENs over the limit are
 * rejected, not fatal. Each stream may buffer its window, so this caps memory per peer: 1024 × 256 KiB
 * plus LINK_WINDOW_GROWTH_BUDGET for the windows auto-tuning grew.
 */
export const MAX_INBOUND_STREAMS = 1024;

/** Milliseconds between heartbeat PINGs (5 s): often enough that RTT in the status stays fresh. */
export const DEFAULT_HEARTBEAT_MS = 5_000;

/**
 * Milliseconds without any frame from the peer after which an idle link is declared dead (15 s = three
 * missed heartbeats), well inside architecture.md §Relay's 45 s. A link with data or credit outstanding
 * is judged sooner, by the RTO (RTO_CAP_MS); an idle one costs only a heartbeat every 5 s.
 */
export const DEFAULT_DEAD_AFTER_MS = 15_000;

/**
 * Smallest retransmission timeout in ms (2 s: twice RFC 6298's minimum). Data or credit this side sent
 * that gets no frame at all back within the RTO (SRTT + 4 × RTTVAR of the link's PING round trips,
 * rto.ts) means a dead path. A loopback or LAN RTT alone would give a few ms; an event loop busy with a
 * burst of frames, a GC pause, or a machine whose cores are all busy (a second-long stall of one agent
 * was seen on a loaded 2-core machine) must not be mistaken for a dead path. Unlike TCP, which
 * retransmits after its RTO, this closes the link: the floor errs long, and still leaves ≤ 3 s.
 */
export const RTO_FLOOR_MS = 2_000;

/**
 * Largest retransmission timeout in ms (3 s): the longest a link with data outstanding may stay silent
 * before it is declared dead (a dead path noticed in ≤ 3 s). Also the RTO before the first
 * RTT sample. Paths whose RTT under load approaches it (a deep send buffer on a slow uplink) are covered
 * by the receiver's acknowledgements (DATA_ACK_MS), not by a longer cap.
 */
export const RTO_CAP_MS = 3_000;

/**
 * A side that receives DATA but sent nothing for this many ms sends a PING (250 ms, well inside
 * RTO_FLOOR_MS). The peer counts any frame as an answer, so while its DATA arrives here it hears so well
 * inside its RTO, even when this side's reader is not returning credit or its window is large and the
 * path slow. It costs at most four small frames a second, and only on a link receiving bulk data
 * without sending anything back.
 */
export const DATA_ACK_MS = 250;

/**
 * A wait for a reply (data or credit sent, nothing back yet) sends its PING once it has lasted this
 * fraction of the RTO (500–750 ms with the [2 s, 3 s] clamp), not at once: almost every wait is answered
 * sooner by the peer's own frames (an echo, credit), and a PING per small send cost every hop of a route
 * a TLS record each way. The PONG still has the rest of the RTO (≥ 1.5 s) to come back.
 */
export const PROBE_AFTER_RTO_FRACTION = 0.25;

/** Milliseconds `Mux.open` waits for ACCEPT or REJECT before giving up (15 s, like a TCP connect). */
export const DEFAULT_OPEN_TIMEOUT_MS = 15_000;

/** Milliseconds `Mux.ping` waits for the PONG (10 s). */
export const DEFAULT_PING_TIMEOUT_MS = 10_000;
