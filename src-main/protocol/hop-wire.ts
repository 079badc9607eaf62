/**
 * The `hop` and `hop-arrive` streams of routed links (docs/protocol.md §Routed links): their arguments,
 * checked at the boundary, and how a refusal further down the chain travels back up in a REJECT reason
 * so the origin can name the hop that failed.
 */
import { z } from 'zod';
import { madeOnUse } from '../core/made-on-use.js';
import type { RefusalCode } from '../core/refusal-codes.js';
import { MAX_ROUTE_HOPS } from '../core/routes.js';

/** Opened on a hop by its predecessor: "pipe this stream on towards `to`". Needs `relay` there. */
export const HOP_SERVICE = 'hop';
/** Opened on the route's last peer by the last hop: "this stream is a routed link from `from`". */
export const HOP_ARRIVE_SERVICE = 'hop-arrive';

// Made on use (core/made-on-use.ts, ADR 0073): routes are rare, this module loads with every agent.
const fingerprint = () => z.string().regex(/^[0-9a-f]{64}$/, 'a fingerprint is 64 lowercase hex digits');

const hopArgsSchema = madeOnUse(() =>
  z
    .object({
      v: z.literal(1),
      /** The node that dials the route (the E2E channel's initiator), as the predecessor vouches. */
      origin: fingerprint(),
      /** Where this hop sends the stream next. */
      to: fingerprint(),
      /** The nodes after `to`, in order; empty when `to` is the route's last peer. */
      then: z.array(fingerprint()).max(MAX_ROUTE_HOPS - 1),
    })
    .strict()
    .refine((a) => new Set([a.origin, a.to, ...a.then]).size === a.then.length + 2, {
      message: 'a route may not name a node twice',
    }),
);

export type HopArgs = z.infer<ReturnType<typeof hopArgsSchema>>;

const arriveArgsSchema = madeOnUse(() => z.object({ v: z.literal(1), from: fingerprint() }).strict());

export type ArriveArgs = z.infer<ReturnType<typeof arriveArgsSchema>>;

/** The first problem of a zod failure, as one line. */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue?.message ?? 'invalid'}`;
}

/** @returns the arguments, or a one-line reason they are refused. */
export function parseHopArgs(raw: unknown): HopArgs | { problem: string } {
  const r = hopArgsSchema().safeParse(raw);
  return r.success ? r.data : { problem: `bad hop request: ${firstIssue(r.error)}` };
}

export function parseArriveArgs(raw: unknown): ArriveArgs | { problem: string } {
  const r = arriveArgsSchema().safeParse(raw);
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

/**
 * What a hop says to the node before it, in these words only: the same words whatever
 * the hop knows, naming none of its peers, no address and not itself, so a peer allowed `relay` learns
 * nothing of the hop's peers by asking. The origin knows its route's names and puts them in
 * (describeRouteFailure); the hop's owner reads the details in `connections` and its own peers' states.
 */
export const HOP_WORDS = {
  /** The route's origin is not a peer of the hop, or not allowed `relay` there: one answer for both. */
  origin: "permission denied: not relaying for the route's origin",
  /** The node before the hop is not allowed `relay` there (the hop's own permission check, reworded). */
  predecessor: 'permission denied: not relaying for the node before',
  /** The next node is not a peer of the hop, or the hop has no link to it now: one answer for both. */
  next: 'no link to the next node',
  /** The hop's link to the next node closed under the route. */
  lost: 'the link to the next node closed',
  /** The hop's caps on routed streams (hop-service.ts), or the next node's stream cap, are reached. */
  busy: 'too many routed streams at once; retry later',
  loop: 'a route may not pass a node twice',
  malformed: 'the request was refused as malformed (are both nodes the same version?)',
  unsupported: 'routes are not served there (an older version?)',
  /** The hop no longer relays for the route (its owner took `relay` away, or removed a peer). */
  gone: 'no longer relaying for this route',
  /** The hop's owner closed the route's pipe (`connections close`). */
  closed: "closed by the hop's owner",
  /** The route's last node refused the proven origin: it is not one of its peers. */
  notPeer: "the route's origin is not a peer there: only peers link through routes",
  /** The route's last node: the handshake proved another node than the route named. */
  otherOrigin: 'the handshake proved another node than the route named',
  /** Any other refusal: the words say nothing, the code says what kind. */
  refused: 'refused',
} as const;

const WORDS = new Set<string>(Object.values(HOP_WORDS));

/** A refusal's reason in HOP_WORDS: kept when it already is, else the words for its kind and code. */
function inHopWords(f: HopFailure, code: RefusalCode | undefined): HopFailure {
  if (WORDS.has(f.message)) return f;
  if (f.kind === 'unreachable') return { ...f, message: HOP_WORDS.next };
  const byCode: Partial<Record<RefusalCode, string>> = {
    PERMISSION_DENIED: HOP_WORDS.predecessor,
    NOT_APPROVED: HOP_WORDS.predecessor,
    REMOVED: HOP_WORDS.predecessor,
    TOO_MANY_STREAMS: HOP_WORDS.busy,
    BAD_REQUEST: HOP_WORDS.malformed,
    UNKNOWN_SERVICE: HOP_WORDS.unsupported,
  };
  return { ...f, message: (code && byCode[code]) ?? HOP_WORDS.refused };
}

/**
 * The reason a hop gives its predecessor when its successor refused with `reason` and `code` (a
 * REJECT, or a RST of a pipe): one hop deeper, and in HOP_WORDS, so what the successor said about
 * itself or its peers (a name, an address) goes no further.
 */
export function passedUp(reason: string, code?: RefusalCode): string {
  const f = inHopWords(parseHopFailure(reason), code);
  return formatHopFailure({ ...f, depth: f.depth + 1 });
}

/**
 * The origin's one line for a refused route. `nodes` are this node's names for the hops and then the
 * route's peer, in order; `originName` this node's own name; `code` is the REJECT's refusal code
 * (passed up unchanged by every hop). A reason in HOP_WORDS is told with those names.
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
  const node = nodes[at]!;
  const who = last ? node : `hop ${node}`;
  const before = at === 0 ? originName : nodes[at - 1]!;
  const allow = (whom: string) => ` (its owner can run \`clawbridge peers allow ${whom} relay\` on ${node})`;
  if (f.kind === 'unreachable') {
    const why =
      f.message === HOP_WORDS.next
        ? `${before} has no link to ${node} (offline, or not a peer of ${before})`
        : f.message === HOP_WORDS.lost
          ? `${before}'s link to ${node} closed`
          : f.message;
    return `${who} unreachable from ${before}: ${why}`;
  }
  switch (f.message) {
    case HOP_WORDS.origin:
      return `${who} refused: permission denied: ${node} does not relay for ${originName}, the route's origin${allow(originName)}`;
    case HOP_WORDS.predecessor:
      return `${who} refused: permission denied: ${node} does not relay for ${before}${allow(before)}`;
    case HOP_WORDS.notPeer:
      return `${who} refused: ${originName} is not a peer of ${node}: only peers link through routes (${node}'s owner can add ${originName} with \`clawbridge peers add\`)`;
    case HOP_WORDS.refused:
      return `${who} refused${code ? ` (${code})` : ''}`;
  }
  const hint =
    code === 'PERMISSION_DENIED' && !last && !f.message.includes('peers allow') ? allow(before) : '';
  return `${who} refused: ${f.message}${hint}`;
}
