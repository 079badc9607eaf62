/**
 * Why the other side refused: a stream (mux REJECT and RST), a direct link (the listener's REFUSE
 * preamble). Carried as a u16 on the wire next to the human reason, so no caller ever parses the text
 * to decide what happened (docs/mux-protocol.md, docs/protocol.md "Direct links").
 */

/** Wire value → code. Append only: never renumber; a value this side does not know reads as `UNSPECIFIED`. */
export const REFUSAL_CODES = [
  'UNSPECIFIED',
  /** The node let us say hello but its owner has not approved us (yet). */
  'NOT_APPROVED',
  /** The node's owner removed or rejected us. */
  'REMOVED',
  /** We are a peer, but not allowed this service (terminal, forward, relay, listen) or that address. */
  'PERMISSION_DENIED',
  'UNKNOWN_SERVICE',
  /** The stream's arguments were malformed. */
  'BAD_REQUEST',
  /** Too many streams on this link at once. */
  'TOO_MANY_STREAMS',
  /** A terminal session to resume no longer exists there. */
  'SESSION_GONE',
  /** The service failed while answering. */
  'SERVICE_FAILED',
  /** The opener gave up waiting for an answer. */
  'TIMEOUT',
  /** The application closed the stream before it finished. */
  'CANCELLED',
] as const;

export type RefusalCode = (typeof REFUSAL_CODES)[number];

const WIRE = new Map<RefusalCode, number>(REFUSAL_CODES.map((c, i) => [c, i]));

export function refusalToWire(code: RefusalCode): number {
  return WIRE.get(code) ?? 0;
}

export function refusalFromWire(value: number): RefusalCode {
  return REFUSAL_CODES[value] ?? 'UNSPECIFIED';
}

/** A refusal as one side decides it: the code for programs and one line for people. */
export interface Refusal {
  code: RefusalCode;
  reason: string;
}

export function isRefusalCode(value: unknown): value is RefusalCode {
  return typeof value === 'string' && WIRE.has(value as RefusalCode);
}
