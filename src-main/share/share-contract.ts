/**
 * The share domain's part of the API contract (ADR 0052, docs/adr/0085-domains-as-plug-ins.md):
 * publishing a folder read-only over HTTP on a peer's address. Pure, and without zod (its makers are given it);
 * share-domain.ts lists it as its `contract` (share/share-api.ts answers it), and the declaration
 * below gives the types. A share rides on a reverse forward: the peer needs forwards' `listen`.
 */
import type { ContractPiece, MethodsOf, ParamsContext, Zod } from '../api/contract-piece.js';
import type { ForwardState } from '../forwards/forwards-contract.js';

const peerRef = (z: Zod) => z.string().min(1).max(200);
const shareName = (z: Zod) => z.string().regex(/^[\w.-]{1,64}$/, 'use 1–64 letters, digits, ".", "_" or "-"');

/** Longest password a share takes, in characters. */
export const MAX_SHARE_PASSWORD_CHARS = 256;

export const shareMethodParams = {
  /**
   * Publishes `dir` (an absolute path on this node) read-only over HTTP on `listen` (`[HOST:]PORT`,
   * loopback when no host is given) at the peer `via`, which must allow `listen` (and consent to an
   * address other machines reach). `dotfiles` serves names starting with `.`; `password` asks every
   * client for it (HTTP Basic; saved as a hash, never shown again).
   */
  'share.add': ({ z }: ParamsContext) =>
    z
      .object({
        dir: z.string().min(1).max(4096),
        via: peerRef(z),
        listen: z.string().min(1).max(300),
        name: shareName(z).optional(),
        dotfiles: z.boolean().optional(),
        password: z.string().min(1).max(MAX_SHARE_PASSWORD_CHARS).optional(),
      })
      .strict(),
  /** This node's shares, with the URL each is reached at. */
  'share.list': ({ z }: ParamsContext) => z.object({}).strict(),
  /** Stops a share and forgets it: the peer stops listening, its open downloads are cut. */
  'share.remove': ({ z }: ParamsContext) => z.object({ name: shareName(z) }).strict(),
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

/** What the share domain brings to the contract at run time. */
export const shareContract = { methods: shareMethodParams } satisfies ContractPiece;

declare module '../api/contract.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
  interface ContractMethods extends MethodsOf<typeof shareMethodParams, ShareMethodResults> {}
}

declare module '../api/contract-types.js' {
  interface ConnectionKinds {
    /** A connection to one of this node's shared folders, or one download on it. */
    share: true;
  }
}
