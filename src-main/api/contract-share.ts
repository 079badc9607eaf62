/**
 * The shares part of the API contract (ADR 0052): publishing a folder read-only over
 * HTTP on a peer's address. Spread into contract.ts's methodParams and MethodResults; the agent's
 * share domain (share/share-api.ts) implements it.
 */
import { z } from 'zod';
import type { ForwardState } from './contract.js';

const peerRef = z.string().min(1).max(200);
const shareName = z.string().regex(/^[\w.-]{1,64}$/, 'use 1–64 letters, digits, ".", "_" or "-"');

/** Longest password a share takes, in characters. */
export const MAX_SHARE_PASSWORD_CHARS = 256;

export const shareMethodParams = {
  /**
   * Publishes `dir` (an absolute path on this node) read-only over HTTP on `listen` (`[HOST:]PORT`,
   * loopback when no host is given) at the peer `via`, which must allow `listen` (and consent to an
   * address other machines reach). `dotfiles` serves names starting with `.`; `password` asks every
   * client for it (HTTP Basic; saved as a hash, never shown again).
   */
  'share.add': () =>
    z
      .object({
        dir: z.string().min(1).max(4096),
        via: peerRef,
        listen: z.string().min(1).max(300),
        name: shareName.optional(),
        dotfiles: z.boolean().optional(),
        password: z.string().min(1).max(MAX_SHARE_PASSWORD_CHARS).optional(),
      })
      .strict(),
  /** This node's shares, with the URL each is reached at. */
  'share.list': () => z.object({}).strict(),
  /** Stops a share and forgets it: the peer stops listening, its open downloads are cut. */
  'share.remove': () => z.object({ name: shareName }).strict(),
} as const;

/** One shared folder (`share list`). */
export interface ShareInfo {
  name: string;
  /** The folder on this node. */
  dir: string;
  /** The peer that listens, by its name here now. */
  via: string;
  viaFingerprint: string | null;
  /** Where the peer listens: the address it bound once it does, else the one asked for. */
  listen: string;
  /**
   * What to give people: `http://HOST:PORT/`, HOST the bound address (one of the peer's announced
   * addresses when it listens on all of them).
   */
  url: string;
  /** `listening` once the peer listens; `error` with why while it does not (offline, refused). */
  state: ForwardState;
  error?: string;
  /** When it asks the peer again (ISO time; only in state `error` after a refusal). */
  retryAt?: string;
  dotfiles: boolean;
  /** Whether clients must give a password (the password itself is never shown). */
  password: boolean;
  /** Connections open now, and since the agent started. */
  open: number;
  connections: number;
  /** Bytes sent to clients (files, listings) and received from them since the agent started. */
  bytesSent: number;
  bytesReceived: number;
}

export interface ShareMethodResults {
  'share.add': ShareInfo;
  'share.list': ShareInfo[];
  'share.remove': { name: string };
}
