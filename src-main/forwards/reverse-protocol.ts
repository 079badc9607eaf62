/**
 * Wire format of reverse forwards (docs/mux-protocol.md §Reverse forwards, ADR 0018), shared by both
 * ends. Pure: no sockets here. The schemas are made on use (core/made-on-use.ts, ADR 0073).
 *
 * - `reverse-listen` {v: 1, host, port, id, protocol?: 'udp', idleMs?}: opened by the node that owns
 *   the forward (A) to its peer (B). B binds host:port (TCP, or UDP with `protocol: 'udp'`) and, once
 *   bound, writes one answer line `{"ok":true,"bound":"HOST:PORT"}\n`; the stream then stays open,
 *   carrying nothing, for as long as B should listen. Any refusal is the stream's REJECT (code + one
 *   plain-text line).
 * - `reverse-connect` {id, resume?}: opened by B back to A for each connection B accepts there (TCP; its
 *   `resume` ID makes the stream resumable, ADR 0023), or for each
 *   client address that sends B a datagram (UDP: one flow, ending after `idleMs` idle). TCP: A connects
 *   to the forward's target and accepts (or rejects with why), then the stream carries the bytes. UDP:
 *   the stream is a `udp-connect` stream from its result message on (udp-connect-protocol.ts): A
 *   answers ok or why not, then both ways carry datagram frames (protocol/udp-frames.ts).
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { madeOnUse } from '../core/made-on-use.js';
import { dialAddressProblem, MAX_DIAL_ADDRESS_CHARS, parseHostPort } from '../core/host-port.js';
import { resumeIdSchema } from './tcp-connect-protocol.js';
import { MAX_UDP_IDLE_MS, MIN_UDP_IDLE_MS } from './forward-bounds.js';

export const REVERSE_LISTEN_SERVICE = 'reverse-listen';
export const REVERSE_CONNECT_SERVICE = 'reverse-connect';

/**
 * Listeners one peer may hold on this node at once (docs/security.md): each is a port and a file
 * descriptor here; a peer that wants more is refused with why.
 */
export const MAX_REVERSE_LISTENERS_PER_PEER = 16;

/** Longest answer line B writes, in bytes; a longer one is a protocol error. */
export const MAX_REVERSE_ANSWER_BYTES = 512;

/** How long A waits for B's answer line after the stream is accepted, in ms. */
export const REVERSE_ANSWER_TIMEOUT_MS = 10_000;

/** An id names one reverse forward between two nodes for one request: 16 lowercase hex digits. */
const idSchema = () => z.string().regex(/^[0-9a-f]{16}$/, 'id must be 16 lowercase hex digits');

/** An IP address (no names: what B binds must not depend on B's resolver). */
const ipHost = () =>
  z
    .string()
    .max(64)
    .refine((h) => isIP(h) !== 0, 'host must be an IP address');

export const reverseListenArgsSchema = madeOnUse(() =>
  z
    .object({
      v: z.literal(1),
      host: ipHost(),
      port: z.number().int().min(1).max(65535),
      id: idSchema(),
      /** `udp`: B binds a UDP socket, each client address a flow (ADR 0019 §Reverse UDP). Absent: TCP. */
      protocol: z.literal('udp').optional(),
      /** A UDP listener's idle time per client flow, in ms (default 60 s, as for local UDP forwards). */
      idleMs: z.number().int().min(MIN_UDP_IDLE_MS).max(MAX_UDP_IDLE_MS).optional(),
    })
    .strict()
    .refine((a) => a.idleMs === undefined || a.protocol === 'udp', {
      message: 'idleMs is for UDP listeners (protocol: udp)',
      path: ['idleMs'],
    }),
);
export type ReverseListenArgs = z.infer<ReturnType<typeof reverseListenArgsSchema>>;

export const reverseConnectArgsSchema = madeOnUse(() =>
  z
    .object({
      id: idSchema(),
      /**
       * A TCP connection's resume ID (ADR 0023): its stream outlives its link, re-attached with
       * `stream-resume`. Absent: an ordinary stream (a peer older than resume, or a UDP flow).
       */
      resume: resumeIdSchema().optional(),
    })
    .strict(),
);

/**
 * Where B listens, as `IP:PORT` (`[v6]:PORT`) and nothing else: A shows it (`forward add --reverse`,
 * `forward list`, notices), so an answer naming anything else (an escape sequence writing A's
 * clipboard, say) is malformed.
 */
const boundSchema = () =>
  z
    .string()
    .max(MAX_DIAL_ADDRESS_CHARS)
    .refine((text) => {
      if (dialAddressProblem(text) !== undefined) return false;
      return isIP(parseHostPort(text).host) !== 0;
    }, 'bound must be IP:PORT');

const answerSchema = madeOnUse(() => z.object({ ok: z.literal(true), bound: boundSchema() }).strict());
export type ReverseListenAnswer = z.infer<ReturnType<typeof answerSchema>>;

export function encodeReverseAnswer(bound: string): Buffer {
  return Buffer.from(`${JSON.stringify({ ok: true, bound })}\n`, 'utf8');
}

export type DecodedAnswer =
  | { status: 'more' }
  | { status: 'done'; value: ReverseListenAnswer; used: number }
  | { status: 'invalid'; reason: string };

/** Decodes B's answer line from the start of `buf` (incremental: `more` until the newline). */
export function decodeReverseAnswer(buf: Uint8Array): DecodedAnswer {
  const end = buf.indexOf(0x0a);
  if (end < 0) {
    return buf.length > MAX_REVERSE_ANSWER_BYTES
      ? { status: 'invalid', reason: 'reverse-listen answer too long' }
      : { status: 'more' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(buf.subarray(0, end)).toString('utf8'));
  } catch {
    return { status: 'invalid', reason: 'reverse-listen answer is not JSON' };
  }
  const answer = answerSchema().safeParse(parsed);
  if (!answer.success) return { status: 'invalid', reason: 'reverse-listen answer is malformed' };
  return { status: 'done', value: answer.data, used: end + 1 };
}
