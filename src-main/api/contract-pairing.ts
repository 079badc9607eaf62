/**
 * The node's own part of the API contract for becoming peers: pairing codes issued and joined, and the
 * pending requests an owner approves or rejects. Spread into contract.ts's ContractMethods; agent-api.ts
 * answers it with the pairing layer's parts.
 */
import { z } from 'zod';
import type { Permission } from '../core/permissions.js';
import type { PairingEvent } from './contract-types.js';
import type { PeerInfo } from './contract-peers.js';
import type { ParamsContext } from './contract-piece.js';

/** Longest wait for a pairing decision, in ms (1 h): a join is interactive. */
export const MAX_PAIR_JOIN_TIMEOUT_MS = 60 * 60 * 1000;
/** How long a pairing code may live: 10 s to 24 h (`pair new --ttl`). */
export const MIN_PAIR_CODE_TTL_MS = 10_000;
export const MAX_PAIR_CODE_TTL_MS = 24 * 60 * 60 * 1000;

export const pairingMethodParams = {
  'pending.list': () => z.object({}).strict(),
  'pending.approve': (c: ParamsContext) =>
    z
      .object({
        id: z.string().min(1).max(16).optional(),
        latest: z.boolean().optional(),
        /** The fingerprint the owner compared: required to approve a request that came without a code. */
        fingerprint: z.string().min(1).max(200).optional(),
        allow: c.allowList().optional(),
        /** One of the owner's devices (ADR 0056): see `peers.mine`. */
        mine: z.boolean().optional(),
      })
      .strict()
      .refine((p) => (p.id === undefined) !== (p.latest !== true), {
        message: 'give either an id or latest: true',
      }),
  'pending.reject': () =>
    z
      .object({ id: z.string().min(1).max(16).optional(), latest: z.boolean().optional() })
      .strict()
      .refine((p) => (p.id === undefined) !== (p.latest !== true), {
        message: 'give either an id or latest: true',
      }),
  'pair.new': () =>
    z
      .object({
        ttlMs: z.number().int().min(MIN_PAIR_CODE_TTL_MS).max(MAX_PAIR_CODE_TTL_MS).optional(),
        /**
         * The device that joins with this code is one of the owner's devices (ADR 0056): approving its
         * request marks it so, unless the approval says `mine: false`.
         */
        mine: z.boolean().optional(),
      })
      .strict(),
  'pair.join': (c: ParamsContext) =>
    z
      .object({
        code: z.string().min(1).max(2000),
        timeoutMs: z.number().int().min(1000).max(MAX_PAIR_JOIN_TIMEOUT_MS).optional(),
        /** What the issuer may do here; absent: nothing, or `mineAllow` with `mine`. */
        allow: c.allowList().optional(),
        /** The node whose code this is is one of the owner's devices (ADR 0056). */
        mine: z.boolean().optional(),
      })
      .strict(),
  /**
   * Retires an open pairing code (the one `pair.new` returned), so nobody can use it any more; or cancels
   * this node's `pair.join` with that code (the issuer then withdraws the request).
   */
  'pair.cancel': () => z.object({ code: z.string().min(1).max(2000) }).strict(),
  'pair.list': () => z.object({}).strict(),
} as const;

/** Result type of each pairing method. */
export interface PairingMethodResults {
  'pending.list': PendingInfo[];
  'pending.approve': PeerInfo;
  'pending.reject': { name: string; fingerprint: string };
  'pair.new': PairNewResult;
  'pair.join': PairJoinResult;
  'pair.cancel': { code: string };
  'pair.list': PairListResult;
}

export interface PendingInfo {
  id: string;
  /** The name the node gave (validated: no control characters). */
  name: string;
  /** The name followed by the short fingerprint when another request or a peer has the same name. */
  displayName: string;
  fingerprint: string;
  /** `code`: proved knowledge of a pairing code (PAKE); `fingerprint`: only knew this node's fingerprint. */
  via: 'code' | 'fingerprint';
  /** Where the request came from: `host:port` (direct, LAN) or the relay URL. */
  address: string;
  /** Seconds since the request first arrived. */
  age: number;
  /**
   * When the node is already a peer here (it removed this node and pairs again): the name and
   * permissions it has here, which an approval keeps unless it gives `allow`.
   */
  knownAs: { name: string; allow: Permission[] } | null;
  /**
   * It joined with a code made as one of the owner's devices (`pair new --mine`): approving it marks
   * it so unless the approval says `mine: false`. Absent: no.
   */
  mine?: boolean;
}

export interface PairNewResult {
  /** The code to read aloud, e.g. `K7QX-M2RT-9WZA`. */
  code: string;
  /** A link that also carries the relay URL and its fingerprint, for a joiner that does not share it. */
  invite: string;
  expiresAt: string;
  /** Made with `mine`: the device that joins with it is one of the owner's devices. Absent: no. */
  mine?: boolean;
}

/**
 * The pairings under way on this node, for a window that opens (or reloads) in the middle of one:
 * codes it shows that nobody has used yet, and joins still running, each with where it stands (the
 * `pairing` events so far, merged).
 */
export interface PairListResult {
  codes: PairNewResult[];
  joins: PairingEvent[];
}

export interface PairJoinResult {
  /** This node's name for the new peer (a known peer keeps the one it has here). */
  name: string;
  fingerprint: string;
  /** What the new peer may do here. */
  allow: Permission[];
}
