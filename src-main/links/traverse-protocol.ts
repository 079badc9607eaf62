/**
 * The `traverse` stream (docs/protocol.md §Traverse; docs/adr/0081-direct-across-nats.md): two peers
 * linked through a relay tell each other where they can be reached from across NATs and agree a
 * simultaneous open, over their end-to-end link (never in clear through the relay). One JSON object per
 * line, at most MAX_TRAVERSE_LINE_BYTES; a line that is not one of these closes the stream. Within a
 * `candidates` line each address is judged on its own (transport/nat/punch-targets.ts): one that is not
 * an address, or not one to aim at, is dropped and counted, and the others stand.
 *
 * - `candidates`: the sender's NAT kind, whether its router maps its listener, the mapped address
 *   (dial it) and the public hosts relays see it at (aim a simultaneous open there);
 * - `connect`: a punch offer (from the side that coordinates) or its answer: the local port the sender
 *   will connect from, which its NAT keeps;
 * - `sync`: from the coordinator, one RTT after its `connect`: the answerer starts at once, the
 *   coordinator half an RTT later, so both SYNs leave about together (as libp2p's DCUtR times it);
 * - `used`: from the other side, to a coordinator whose hello lists FEATURE_TRAVERSE_USE: its owner
 *   used the pair in a way the coordinator's mux cannot see (a ping), which counts for the rounds
 *   after a give-up (punch-rounds.ts). An older coordinator would end the stream on it: never sent to one.
 */
import { z } from 'zod';
import { madeOnUse } from '../core/made-on-use.js';
import { describeZodError } from '../core/zod-error.js';
import { ClawError } from '../core/errors.js';

export const TRAVERSE_SERVICE = 'traverse';
/** The hello feature of nodes that speak the `traverse` stream. */
export const FEATURE_TRAVERSE = 'traverse';
/** The hello feature of nodes that take `used` lines on it. */
export const FEATURE_TRAVERSE_USE = 'traverse-use';

/** Longest line, in bytes, without its newline. */
export const MAX_TRAVERSE_LINE_BYTES = 2048;

const messageSchema = madeOnUse(() =>
  z.discriminatedUnion('t', [
    z
      .object({
        t: z.literal('candidates'),
        nat: z.enum(['none', 'preserves-port', 'changes-port', 'unknown']),
        // Screened one by one where they are used (punch-targets.ts screenCandidates).
        mapped: z.unknown(),
        hosts: z.array(z.unknown()).max(8),
      })
      .strict(),
    z
      .object({
        t: z.literal('connect'),
        port: z.number().int().min(1024).max(65535),
      })
      .strict(),
    z.object({ t: z.literal('sync') }).strict(),
    z.object({ t: z.literal('used') }).strict(),
  ]),
);

export type TraverseMessage = z.infer<ReturnType<typeof messageSchema>>;

/** What this node sends: its candidates as it knows them. */
export type OutgoingTraverse =
  | {
      t: 'candidates';
      nat: 'none' | 'preserves-port' | 'changes-port' | 'unknown';
      mapped: string | null;
      hosts: string[];
    }
  | Exclude<TraverseMessage, { t: 'candidates' }>;

export function encodeTraverse(message: OutgoingTraverse): Buffer {
  return Buffer.from(`${JSON.stringify(message)}\n`, 'utf8');
}

/** One line as a message. @throws ClawError('PROTOCOL') saying what is wrong with it. */
export function decodeTraverse(line: string): TraverseMessage {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new ClawError('PROTOCOL', 'traverse: a line is not JSON');
  }
  const parsed = messageSchema().safeParse(json);
  if (!parsed.success) {
    throw new ClawError('PROTOCOL', `traverse: malformed message: ${describeZodError(parsed.error)}`);
  }
  return parsed.data;
}

/** Splits bytes into lines, holding at most MAX_TRAVERSE_LINE_BYTES. @throws ClawError on a longer one. */
export class TraverseLines {
  private held = '';

  push(chunk: Buffer): string[] {
    const text = this.held + chunk.toString('utf8');
    const lines = text.split('\n');
    this.held = lines.pop() ?? '';
    if (this.held.length > MAX_TRAVERSE_LINE_BYTES || lines.some((l) => l.length > MAX_TRAVERSE_LINE_BYTES)) {
      throw new ClawError('PROTOCOL', `traverse: a line longer than ${MAX_TRAVERSE_LINE_BYTES} bytes`);
    }
    return lines;
  }
}
