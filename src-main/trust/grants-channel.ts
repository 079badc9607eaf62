/**
 * Both directions of trust over a link (docs/protocol.md §Grants): the control stream this node opened
 * carries its grants to the peer; the one the peer opened carries the peer's grants to this node.
 * Kept apart from peer-link-set.ts, which only says when a link's control streams are up.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Permission } from '../core/permissions.js';
import { ControlLineDecoder, encodeGrants } from './grants-message.js';

/** Tells the peer at the far end of `stream` (our control stream) what it may do here. */
export function sendGrants(stream: Duplex, allow: readonly Permission[]): void {
  // A stream whose link is going away: the next link says it again.
  if (stream.writable && !stream.destroyed) stream.write(encodeGrants(allow));
}

/**
 * Reads the peer's control stream: each `grants` line is handed to `onGrants`; anything else is
 * logged and skipped (never a reason to drop the link: grants are informational).
 */
export function readGrants(
  stream: Duplex,
  peer: string,
  log: Pick<Logger, 'debug' | 'warn'>,
  onGrants: (allow: Permission[]) => void,
): void {
  const decoder = new ControlLineDecoder();
  stream.on('data', (chunk: Buffer) => {
    for (const line of decoder.push(chunk)) {
      if (line.kind === 'grants') {
        if (line.ignored.length > 0) {
          log.debug({ peer, ignored: line.ignored }, 'peer grants permissions this node does not know');
        }
        onGrants(line.allow);
      } else if (line.kind === 'malformed') {
        log.warn({ peer }, `control line from peer skipped: ${line.problem}`);
      }
      // 'unknown': a newer peer's message type; nothing to do with it here.
    }
  });
}

/** True when two grant lists name the same permissions (order aside). */
export function sameGrants(a: readonly Permission[] | null, b: readonly Permission[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((p) => b.includes(p));
}
