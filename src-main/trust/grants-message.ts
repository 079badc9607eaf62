/**
 * The `grants` message on a link's control stream (docs/protocol.md §Grants): one node tells the other
 * what it lets that node do on it, when the link comes up and whenever its owner changes it. The
 * receiver keeps it as runtime knowledge (`theyAllow`) to show and to mark pickers; it is never a
 * permission check — each node enforces its own grants (services/services.ts).
 *
 * Framing: one JSON object per line (UTF-8, `\n`-terminated, at most MAX_CONTROL_LINE_BYTES). Every
 * node that opened a control stream before this message existed reads and discards what arrives on
 * it, so older peers simply never learn our grants, and a line of a type this node does not know is
 * skipped (later versions may add types).
 */
import { z } from 'zod';
import { madeOnUse } from '../core/made-on-use.js';
import type { Permission, PermissionVocabulary } from '../core/permissions.js';

/** The words a node reads and writes grants with: its composition's (api/vocabulary.ts). */
export type GrantWords = Pick<PermissionVocabulary, 'ordered' | 'knows'>;

/** Longest control line accepted, in bytes (without the newline); longer ones are dropped whole. */
export const MAX_CONTROL_LINE_BYTES = 1024;

/** What one node grants the other: permission names, in this node's order, without repeats. */
export interface GrantsMessage {
  t: 'grants';
  allow: Permission[];
}

/** One decoded control line. */
export type ControlLine =
  /** `ignored`: names this node does not know (a newer peer's permissions), left out of `allow`. */
  | { kind: 'grants'; allow: Permission[]; ignored: string[] }
  /** A well-formed line of a type this node does not know: skipped. */
  | { kind: 'unknown'; type: string }
  /** A line that is not a valid message: why, for the log. The stream carries on with the next line. */
  | { kind: 'malformed'; problem: string };

// Made on use (core/made-on-use.ts, ADR 0073): a line comes when a link comes up or a grant changes.
const lineSchema = madeOnUse(() => z.object({ t: z.string().max(32) }).passthrough());
const grantsSchema = madeOnUse(() =>
  z.object({
    t: z.literal('grants'),
    /** Strings, not the enum: a name this node does not know is ignored, not the whole message. */
    allow: z.array(z.string().max(32)).max(16),
  }),
);

/** The line that tells a peer what it may do here: the words of `allow` that `words` has, in their order. */
export function encodeGrants(allow: readonly Permission[], words: GrantWords): Buffer {
  const message: GrantsMessage = { t: 'grants', allow: words.ordered(allow) };
  return Buffer.from(`${JSON.stringify(message)}\n`, 'utf8');
}

/** One line (without its newline) as a message, with the words this node knows; never throws. */
export function decodeControlLine(line: string, vocabulary: GrantWords): ControlLine {
  // Without a throw and a catch: a peer writing newlines sends nothing else.
  if (line.trim() === '') return { kind: 'malformed', problem: 'empty line' };
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { kind: 'malformed', problem: 'not JSON' };
  }
  const head = lineSchema().safeParse(json);
  if (!head.success) return { kind: 'malformed', problem: 'not an object with a string `t`' };
  if (head.data.t !== 'grants') return { kind: 'unknown', type: head.data.t };
  const grants = grantsSchema().safeParse(json);
  if (!grants.success) return { kind: 'malformed', problem: 'grants: `allow` must be a list of names' };
  const names = grants.data.allow;
  return {
    kind: 'grants',
    allow: vocabulary.ordered(names),
    ignored: [...new Set(names.filter((n) => !vocabulary.knows(n)))],
  };
}

/**
 * Splits a control stream's bytes into lines, however they were chunked. A line past the limit is
 * reported once as malformed and skipped up to its newline, so a peer cannot make this side buffer
 * without bound.
 */
export class ControlLineDecoder {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;

  /** `words`: the permission words grants are read with (this node's). */
  constructor(private readonly words: GrantWords) {}

  push(chunk: Uint8Array): ControlLine[] {
    const out: ControlLine[] = [];
    let rest = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let nl = rest.indexOf(0x0a); nl !== -1; nl = rest.indexOf(0x0a)) {
      const head = rest.subarray(0, nl);
      rest = rest.subarray(nl + 1);
      if (this.skipping || this.size + head.length > MAX_CONTROL_LINE_BYTES) {
        if (!this.skipping) out.push(tooLong());
      } else {
        out.push(decodeControlLine(Buffer.concat([...this.parts, head]).toString('utf8'), this.words));
      }
      this.parts = [];
      this.size = 0;
      this.skipping = false;
    }
    if (rest.length === 0 || this.skipping) return out;
    if (this.size + rest.length > MAX_CONTROL_LINE_BYTES) {
      out.push(tooLong());
      this.parts = [];
      this.size = 0;
      this.skipping = true;
      return out;
    }
    // Copied: the chunk's memory may be reused by whoever sent it.
    this.parts.push(Buffer.from(rest));
    this.size += rest.length;
    return out;
  }
}

function tooLong(): ControlLine {
  return { kind: 'malformed', problem: `line longer than ${MAX_CONTROL_LINE_BYTES} bytes` };
}
