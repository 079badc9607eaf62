/**
 * Another node's refusal in the window's own words, by its refusal code (docs/mux-protocol.md,
 * "Refusal codes"): what happened and what to do, naming the peer. Codes without better words, and
 * errors that are not refusals, keep the agent's own message. Pure, so it is unit-tested.
 */
import { ApiError } from '../api/transport.js';

const WORDS: Record<string, (peer: string) => string> = {
  NOT_APPROVED: (p) => `${p} has not approved this device yet — approve it in ${p}'s Approvals`,
  REMOVED: (p) => `${p} removed or rejected this device — pair again to use it`,
  PERMISSION_DENIED: (p) =>
    `${p} does not allow this device to do that — on ${p}, open Peers → Permissions for this device`,
  UNKNOWN_SERVICE: (p) => `${p} runs a Clawbridge without that feature — update it`,
  TOO_MANY_STREAMS: (p) => `${p} has too many connections open with this device — close some and retry`,
  SESSION_GONE: (p) => `the terminal session no longer exists on ${p}`,
  TIMEOUT: (p) => `${p} did not answer in time — check that it is online and retry`,
};

/** The line to show for `err` from an action on `peer` (its name). */
export function explainError(err: unknown, peer: string): string {
  if (err instanceof ApiError && err.refusal) {
    const words = WORDS[err.refusal];
    if (words) return words(peer);
  }
  return err instanceof Error ? err.message : String(err);
}
