/**
 * Which streams of a link go first (docs/adr/0021-interactive-first.md): a local scheduling decision,
 * nothing on the wire. Terminals and the agent's control requests are interactive for their whole life;
 * any other stream is interactive until it has sent SMALL_STREAM_BYTES, so a small request or response
 * (a proxied HTTP answer, the first bytes of a new forwarded connection) is not held behind a download.
 */
import { TERMINAL_SERVICE } from '../protocol/terminal-frames.js';

/** Services whose streams are interactive however much they send (`control`: agent-service requests). */
export const INTERACTIVE_SERVICES: ReadonlySet<string> = new Set([TERMINAL_SERVICE, 'control']);

/**
 * Services whose streams travel on a link's quiet lane when it has one (quiet-lane.ts): interactive for
 * their whole life, so all of a stream's frames can keep to one connection. `control` stays on the main
 * connection: it is opened before any lane exists. Never a service of resumable streams
 * (mux/resumable-stream.ts): their resume proves a FIN arrived with a PING on the main connection,
 * which says nothing of a lane's bytes.
 */
export const QUIET_LANE_SERVICES: ReadonlySet<string> = new Set([TERMINAL_SERVICE]);

/** Bytes a stream of any other service sends as interactive before it counts as bulk (64 KiB). */
export const SMALL_STREAM_BYTES = 64 * 1024;

/**
 * Interactive bytes the scheduler sends in a row while bulk waits before it lets one bulk frame go
 * (256 KiB): interactive first, but a terminal pouring out output never starves a transfer entirely.
 */
export const INTERACTIVE_BURST_BYTES = 256 * 1024;

/** True when a stream of `service` that has sent `bytesOut` bytes is interactive. */
export function isInteractive(service: string, bytesOut: number): boolean {
  return INTERACTIVE_SERVICES.has(service) || bytesOut < SMALL_STREAM_BYTES;
}
