/**
 * The `hop` and `hop-arrive` streams of routed links (docs/protocol.md §Routed links): their arguments,
 * checked at the boundary, and how a refusal further down the chain travels back up in a REJECT reason
 * so the origin can name the hop that failed.
 */
import { z } from 'zod';
import type { RefusalCode } from '../core/refusal-codes.js';
import { MAX_ROUTE_HOPS } from './routes.js';

/** Opened on a hop by its predecessor: "pipe this stream on towards `to`". Needs `relay` there. */
export const HOP_SERVICE = 'hop';
/** Opened on the route's last peer by the last hop: "this stream is a routed link from `from`". */
export const HOP_ARRIVE_SERVICE = 'hop-arrive';

const fingerprint = z.string().regex(/^[0-9a-f]{64}$/, 'a fingerprint is 64 lowercase hex digits');

const hopArgsSchema = z
  .object({
    v: z.literal(1),
    /** The node that dials the route (the E2E channel's initiator), as the predecessor vouches. */
    origin: fingerprint,
    /** Where this hop sends the stream next. */
    to: fingerprint,
    /** The nodes after `to`, in order; empty when `to` is the route's last peer. */
    then: z.array(fingerprint).max(MAX_ROUTE_HOPS - 1),
  })
  .strict()
  .refine((a) => new Set([a.origin, a.to, ...a.then]).size === a.then.length + 2, {
    message: 'a route may not name a node twice',
  });

export type HopArgs = z.infer<typeof hopArgsSchema>;

const arriveArgsSchema = z.object({ v: z.literal(1), from: fingerprint }).strict();

export type ArriveArgs = z.infer<typeof arriveArgsSchema>;

/** The first problem of a zod failure, as one line. */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue?.message ?? 'invalid'}`;
}

/** @returns the arguments, or a one-line reason they are refused. */
export function parseHopArgs(raw: unknown): HopArgs | { problem: string } {
  const r = hopArgsSchema.safeParse(raw);
  return r.success ? r.data : { problem: `bad hop request: ${firstIssue(r.error)}` };
}

export function parseArriveArgs(raw: unknown): ArriveArgs | { problem: string } {
  const r = arriveArgsSchema.safeParse(raw);
  return r.success ? r.data : { problem: `bad hop-arrive request: ${firstIssue(r.error)}` };
}

/**
 * What went wrong further down the chain, as a REJECT reason: `hop:DEPTH:KIND:message`, DEPTH counted
 * from the node that receives the REJECT (1 = the node after the one answering). A reason without
 * this prefix is the answering node's own refusal (depth 0). Each hop that passes a refusal up adds 1.
 */
export type HopFailureKind = 'refused' | 'unreachable';

export interface HopFailure {
  depth: number;
  kind: HopFailureKind;
  message: string;
}

const FAILURE = /^hop:(\d{1,2}):(refused|unreachable):/;

export function parseHopFailure(reason: string): HopFailure {
  const m = FAILURE.exec(reason);
  if (!m) return { depth: 0, kind: 'refused', message: reason };
  return { depth: Number(m[1]), kind: m[2] as HopFailureKind, message: reason.slice(m[0].length) };
}

export function formatHopFailure(f: HopFailure): string {
  return `hop:${f.depth}:${f.kind}:${f.message}`;
}

/** The reason a hop gives its predecessor when its successor refused with `reason`. */
export function passedUp(reason: string): string {
  const f = parseHopFailure(reason);
  return formatHopFailure({ ...f, depth: f.depth + 1 });
}

/**
 * The origin's one line for a refused route. `nodes` are this node's names for the hops and then the
 * route's peer, in order; `code` is the REJECT's refusal code (passed up unchanged by every hop).
 */
export function describeRouteFailure(
  nodes: readonly string[],
  originName: string,
  code: RefusalCode | undefined,
  reason: string,
): string {
  const f = parseHopFailure(reason);
  const at = Math.min(f.depth, nodes.length - 1);
  const last = at === nodes.length - 1;
  const who = last ? nodes[at]! : `hop ${nodes[at]!}`;
  if (f.kind === 'unreachable') {
    const from = at === 0 ? originName : nodes[at - 1]!;
    return `${who} unreachable from ${from}: ${f.message}`;
  }
  const hint =
    code === 'PERMISSION_DENIED' && !last && !f.message.includes('peers allow')
      ? ` (its owner can run \`clawbridge peers allow ${at === 0 ? originName : nodes[at - 1]!} relay\` on ${nodes[at]!})`
      : '';
  return `${who} refused: ${f.message}${hint}`;
}
