/**
 * Both directions of trust over a link (docs/protocol.md §Grants): the control stream this node opened
 * carries its grants to the peer; the one the peer opened carries the peer's grants to this node.
 * Kept apart from links/link-control.ts, which only says when a link's control streams are up.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { BurstGate } from '../core/burst-gate.js';
import { ClawError } from '../core/errors.js';
import type { Permission } from '../core/permissions.js';
import { ControlLineDecoder, encodeGrants, type GrantWords } from './grants-message.js';

/**
 * Malformed lines after which a peer's control stream is closed (16): a peer that sends more than a
 * handful is broken or hostile, and every line it sends costs this node a decode. The link stays up;
 * only grants from that peer stop arriving until its next link.
 */
export const MAX_BAD_CONTROL_LINES = 16;

/**
 * How often the agent's log tells of one peer's malformed control lines (once a minute, then how many
 * more): a peer writing newlines made one warning each, 252 MB of log in 19 s.
 */
export const BAD_CONTROL_LOG_WINDOW_MS = 60_000;

type WarnLog = Pick<Logger, 'debug' | 'warn'>;

/**
 * One gate per agent (its logger): keyed by peer, so many control streams or links of one peer share
 * it. The logger is the agent's, so the gate lives as long as the agent.
 */
const gates = new WeakMap<WarnLog, BurstGate<string>>();

function gateFor(log: WarnLog): BurstGate<string> {
  let gate = gates.get(log);
  if (!gate) {
    gate = new BurstGate<string>({
      perWindow: 1,
      windowMs: BAD_CONTROL_LOG_WINDOW_MS,
      onHeld: (key, count) => {
        const [what, peer] = splitKey(key);
        const message =
          what === 'closed'
            ? `closed ${count} more control stream${count === 1 ? '' : 's'} of ${peer} for malformed lines in a minute`
            : `${count} more malformed control line${count === 1 ? '' : 's'} from ${peer} in a minute, not logged one by one`;
        log.warn({ peer }, message);
      },
    });
    gates.set(log, gate);
  }
  return gate;
}

function splitKey(key: string): [string, string] {
  const space = key.indexOf(' ');
  return [key.slice(0, space), key.slice(space + 1)];
}

/** Tells the peer at the far end of `stream` (our control stream) what it may do here, in `words`. */
export function sendGrants(stream: Duplex, allow: readonly Permission[], words: GrantWords): void {
  // A stream whose link is going away: the next link says it again.
  if (stream.writable && !stream.destroyed) stream.write(encodeGrants(allow, words));
}

/**
 * Reads the peer's control stream: each `grants` line, in this node's `words`, is handed to `onGrants`; anything else is
 * skipped (never a reason to drop the link: grants are informational). A malformed line is logged
 * once a minute per peer, with a count of the rest; after MAX_BAD_CONTROL_LINES the stream is closed.
 */
export function readGrants(
  stream: Duplex,
  peer: string,
  log: WarnLog,
  onGrants: (allow: Permission[]) => void,
  words: GrantWords,
): void {
  const decoder = new ControlLineDecoder(words);
  const gate = gateFor(log);
  let bad = 0;
  const onData = (chunk: Buffer) => {
    for (const line of decoder.push(chunk)) {
      if (line.kind === 'grants') {
        if (line.ignored.length > 0) {
          log.debug({ peer, ignored: line.ignored }, 'peer grants permissions this node does not know');
        }
        onGrants(line.allow);
      } else if (line.kind === 'malformed') {
        if (gate.admit(`line ${peer}`, line.problem)) {
          log.warn({ peer }, `control line from peer skipped: ${line.problem}`);
        }
        if (++bad < MAX_BAD_CONTROL_LINES) continue;
        const why = `${bad} malformed lines on the control stream`;
        if (gate.admit(`closed ${peer}`, why))
          log.warn({ peer }, `closed the control stream of ${peer}: ${why}`);
        stream.off('data', onData);
        stream.destroy(new ClawError('PROTOCOL', why, { refusal: 'BAD_REQUEST' }));
        return;
      }
      // 'unknown': a newer peer's message type; nothing to do with it here.
    }
  };
  stream.on('data', onData);
}

/** True when two grant lists name the same permissions (order aside). */
export function sameGrants(a: readonly Permission[] | null, b: readonly Permission[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((p) => b.includes(p));
}
