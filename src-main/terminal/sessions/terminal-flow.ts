/**
 * Flow-control and session constants of the terminal service (architecture.md §Rules the code keeps), each with its reason.
 *
 * Output is acknowledged end to end: the requesting agent ACKs output once its viewer (the CLI socket)
 * has taken it, and the serving agent pauses the PTY while more than UNACKED_HIGH_WATER bytes are
 * unacknowledged. That one rule gives both properties architecture.md §Services asks for: a viewer that falls behind
 * pauses the remote program (nothing on the way buffers more than the high-water mark), and every byte
 * a client may still be missing after a lost stream is still in the replay buffer.
 */

/**
 * Unacknowledged output at which the PTY is paused, in bytes (1 MiB). Bounds the output in flight per
 * session; at 1 MiB per round trip a 100 ms path still carries 10 MiB/s, far above what a person reads.
 */
export const UNACKED_HIGH_WATER = 1024 * 1024;

/** Unacknowledged output below which a paused PTY resumes, in bytes (512 KiB): hysteresis, not churn. */
export const UNACKED_LOW_WATER = 512 * 1024;

/**
 * Output the client passes on before it sends an ACK, in bytes (128 KiB). Must stay below
 * UNACKED_LOW_WATER, or the last unacknowledged bytes could keep a paused PTY from resuming; small
 * enough that a paused PTY resumes well before the pipe runs dry.
 */
export const ACK_STEP = 128 * 1024;

/** Default for how long a session waits for its client to come back after a lost stream, in ms (60 s). */
export const TERMINAL_RESUME_MS = 60_000;

/** Terminal sessions one peer may hold on this node at once: many tabs, not a fork bomb. */
export const MAX_SESSIONS_PER_PEER = 64;

/**
 * Input a client sends without an ACK from the serving agent, in bytes (256 KiB). The serving agent
 * ACKs input once node-pty has written it to the PTY, so a program that does not read its input stops
 * the sender instead of growing a queue; a paste of any size goes through in these steps.
 */
export const INPUT_HIGH_WATER = 256 * 1024;

/** How often the serving agent checks whether node-pty has written queued input, in ms (10). */
export const INPUT_DRAIN_POLL_MS = 10;

/** Pause between attempts to resume a session while its peer is unreachable, in ms (500). */
export const RESUME_RETRY_MS = 500;

/**
 * How long a session's stream, ended from the serving side (the program exited, or the session was
 * closed), may wait for the client to end its side, in ms (5 s): a client that never does (a hostile
 * or stuck peer) does not keep the stream open for good.
 */
export const CLOSE_GRACE_MS = 5_000;
