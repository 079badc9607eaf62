/**
 * Flow-control and liveness constants of the mux (STYLE §6), each with the reason for its value.
 * Wire-level limits both ends must agree on (frame sizes, INITIAL_STREAM_WINDOW) live in
 * protocol/mux-frames.ts; these are local choices a node can tune without breaking its peers.
 */
import { INITIAL_STREAM_WINDOW, MAX_DATA_PAYLOAD } from '../protocol/mux-frames.js';

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
 * Readable high-water mark of a stream in bytes: the receive window. Credit, not this mark, bounds what
 * is buffered; setting it to the window keeps Node from asking for data it could never receive.
 */
export const STREAM_READ_HIGH_WATER = INITIAL_STREAM_WINDOW;

/**
 * Streams the peer may have open (or waiting for accept) at once on one link; OPENs over the limit are
 * rejected, not fatal. Each stream may buffer a window, so this caps memory per peer (1024 × 256 KiB).
 */
export const MAX_INBOUND_STREAMS = 1024;

/** Milliseconds between heartbeat PINGs (5 s): often enough that RTT in the status stays fresh. */
export const DEFAULT_HEARTBEAT_MS = 5_000;

/**
 * Milliseconds without any frame from the peer after which the link is declared dead (15 s = three
 * missed heartbeats), well inside DESIGN §4's 45 s, so path selection falls back to the relay quickly.
 */
export const DEFAULT_DEAD_AFTER_MS = 15_000;

/** Milliseconds `Mux.open` waits for ACCEPT or REJECT before giving up (15 s, like a TCP connect). */
export const DEFAULT_OPEN_TIMEOUT_MS = 15_000;

/** Milliseconds `Mux.ping` waits for the PONG (10 s). */
export const DEFAULT_PING_TIMEOUT_MS = 10_000;
