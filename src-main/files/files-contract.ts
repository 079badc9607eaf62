/**
 * The files domain's part of the API contract (ADR 0051, docs/adr/0085-domains-as-plug-ins.md):
 * sending files and folders to a peer, the transfers in both directions (progress, cancel), what
 * arrived in this node's file inbox (list, move out, delete), the `file.transfer` and `file.received`
 * events and the permission word `files`. Pure, and without zod (its makers are given it); files-domain.ts lists it as its
 * `contract`, and the declarations below give the types.
 */
import type { ContractPiece, MethodsOf, ParamsContext, Zod } from '../api/contract-piece.js';
import { FILES_WORDS } from './files-words.js';

const peerRef = (z: Zod) => z.string().min(1).max(200);
/** A path on the agent's machine: the CLI makes it absolute. */
const absolutePath = (z: Zod) =>
  z
    .string()
    .min(1)
    .max(4096)
    .refine(
      (p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'),
      'must be an absolute path',
    );
const transferId = (z: Zod) => z.string().regex(/^[0-9a-f]{32}$/, 'a transfer ID is 32 hex characters');
const receivedId = (z: Zod) => z.string().regex(/^[0-9a-z-]{1,64}$/, 'not an ID `file list` shows');
/** Most paths one `files.send` names (each may be a folder). */
export const FILES_SEND_PATHS_MAX = 1000;

/** What `files.get` does with a name that exists in the folder already. */
export const CONFLICT_MODES = ['rename', 'overwrite', 'skip'] as const;
export type ConflictMode = (typeof CONFLICT_MODES)[number];

export const fileMethodParams = {
  /**
   * Sends files and folders (recursively) to `peer`: answered once they are walked and hashed, with the
   * transfer, which then runs in the agent (its `file.transfer` events, `files.transfers`). The same
   * files sent to the same peer while an earlier transfer of them is unfinished carry that one on.
   */
  'files.send': ({ z }: ParamsContext) =>
    z.object({ peer: peerRef(z), paths: z.array(absolutePath(z)).min(1).max(FILES_SEND_PATHS_MAX) }).strict(),
  /** The transfers of this agent's run, both directions, and the unfinished ones it keeps. */
  'files.transfers': ({ z }: ParamsContext) => z.object({}).strict(),
  /**
   * Stops a transfer (either direction); the other side is told. An incoming one that stopped already
   * (failed, or left in staging by an earlier run) is given up: what staging holds of it is removed.
   */
  'files.cancel': ({ z }: ParamsContext) => z.object({ id: transferId(z) }).strict(),
  /** Forgets the transfers that ended done or cancelled (failed ones stay: they may be carried on). */
  'files.clear': ({ z }: ParamsContext) => z.object({}).strict(),
  /** Disk the files use here: the inbox, and staging (partial transfers) one by one. */
  'files.usage': ({ z }: ParamsContext) => z.object({}).strict(),
  /** What arrived in the file inbox, oldest first. */
  'files.list': ({ z }: ParamsContext) => z.object({}).strict(),
  /**
   * Moves received files out of the inbox into `dir` (absolute; made if missing): all of them, or
   * those `ids` names. A name that exists there already is renamed (`name (1).ext`, the default),
   * overwritten or skipped (it stays in the inbox).
   */
  'files.get': ({ z }: ParamsContext) =>
    z
      .object({
        dir: absolutePath(z),
        ids: z.array(receivedId(z)).min(1).max(10_000).optional(),
        conflict: z.enum(CONFLICT_MODES).optional(),
      })
      .strict(),
  /** Deletes received files from the inbox. */
  'files.delete': ({ z }: ParamsContext) =>
    z.object({ ids: z.array(receivedId(z)).min(1).max(10_000) }).strict(),
  /**
   * Offers files and folders to whoever holds the one-time code it answers (ADR 0124): no pairing; the
   * code's holder is let in for this one transfer. `ttlSeconds`: how long the code may be taken
   * (default 600).
   */
  'files.sendCode': ({ z }: ParamsContext) =>
    z
      .object({
        paths: z.array(absolutePath(z)).min(1).max(FILES_SEND_PATHS_MAX),
        ttlSeconds: z
          .number()
          .int()
          .min(10)
          .max(24 * 3600)
          .optional(),
      })
      .strict(),
  /** The offers made with a code: open ones, then the last that ended. */
  'files.codeOffers': ({ z }: ParamsContext) => z.object({}).strict(),
  /** Cancels an offer made with a code, by its id or code: the code is retired, a transfer stopped. */
  'files.cancelCode': ({ z }: ParamsContext) => z.object({ id: z.string().min(1).max(64) }).strict(),
  /**
   * Takes files offered with a code into `dir` (absolute; made if missing), as `file receive` does in
   * a process of its own (ADR 0124, 0125): a throwaway identity for this one transfer, no pairing;
   * answered at once, then the `file.codeReceive` events. `text`: the code or the link it came with;
   * `relay`: where to meet for a bare code (the link names it).
   */
  'files.receiveCode': ({ z }: ParamsContext) =>
    z
      .object({
        text: z.string().min(1).max(4096),
        dir: absolutePath(z),
        relay: z
          .object({ url: z.string().min(1).max(2048), fingerprint: z.string().min(1).max(200).optional() })
          .strict()
          .optional(),
        /** false: through the relay only, even where the offer names the sender's direct addresses. */
        direct: z.boolean().optional(),
      })
      .strict(),
  /** The receives with a code this agent runs, then the last that ended. */
  'files.codeReceives': ({ z }: ParamsContext) => z.object({}).strict(),
  /** Cancels a receive with a code: the sender is told, what had arrived is removed. */
  'files.cancelReceive': ({ z }: ParamsContext) => z.object({ id: z.string().min(1).max(64) }).strict(),
} as const;

export type TransferState =
  /** Walking and hashing what was named. */
  | 'preparing'
  /** Not moving: the peer is not reachable (yet, again); `why` says what it waits for. */
  | 'waiting'
  | 'sending'
  | 'receiving'
  /** Every file verified on the receiving side and in its inbox. */
  | 'done'
  | 'failed'
  | 'cancelled';

/** One transfer, either direction (`file.transfer` events carry the same). */
export interface TransferInfo {
  id: string;
  direction: 'in' | 'out';
  peer: { name: string; fingerprint: string };
  state: TransferState;
  files: number;
  bytes: number;
  /** Files verified by the receiver. */
  filesDone: number;
  /** Bytes the receiver holds (or, on the way, that were sent to it). */
  bytesDone: number;
  /** Bytes a second over the last few seconds (0 when not moving). */
  rate: number;
  /** Why it waits, failed or was cancelled. */
  why?: string;
  /** The top-level names. */
  names: string[];
  /** Out: bytes the receiver held already when this agent first asked (a resumed transfer). */
  resumedAt?: number;
  /** Out: bytes this agent put on the wire for it (resends included). */
  bytesSent?: number;
  /** Once done: the inbox entry on the receiving side, and the tree hash both sides agreed on. */
  received?: string;
  treeHash?: string;
  startedAt: string;
}

/**
 * An offer made with a code (`files.sendCode`, the `file.codeOffer` event): `open` until someone tries
 * the code, `checking` while that one's PAKE runs, `taken` while the transfer to it runs, then how it
 * ended.
 */
export interface CodeOfferInfo {
  id: string;
  /** The code to read aloud, `K7QX-M2RT-9WZA`. */
  code: string;
  /** The code with where to meet (`clawbridge://file?invite=…&relay=…`): what `file receive` takes. */
  link: string;
  /** The relay's page for a browser to take the code, when the code waits on a relay. */
  page?: string;
  expiresAt: string;
  state: 'open' | 'checking' | 'taken' | 'done' | 'failed' | 'cancelled' | 'expired';
  /** What is offered: the top-level names, how many files, how many bytes. */
  names: string[];
  files: number;
  bytes: number;
  /** Who took it: the node the code's PAKE confirmed (a throwaway identity), to compare. */
  by?: { name: string; fingerprint: string; short: string };
  /** The transfer to it, once taken, and where that stands. */
  transfer?: string;
  progress?: TransferInfo;
  /** Why it failed, was cancelled or expired. */
  why?: string;
  endedAt?: string;
}

/**
 * A receive with a code this agent runs for `file receive` (`files.receiveCode`, the `file.codeReceive`
 * event): `meeting` while it finds the sender and runs the PAKE, `receiving` once met, then how it
 * ended.
 */
export interface CodeReceiveInfo {
  id: string;
  state: 'meeting' | 'receiving' | 'done' | 'failed' | 'cancelled';
  /** Where the files go. */
  dir: string;
  /** Once met: who sends, as the PAKE proved, and this side's throwaway fingerprint, to compare. */
  from?: { name: string; fingerprint: string };
  own?: string;
  /** Once met: what is offered. */
  offer?: { names: string[]; files: number; bytes: number };
  /** The transfer here, once the sender's stream came. */
  progress?: TransferInfo;
  /** The link to the sender, once up (the latest, after a drop): directly at `remote`, or through the relay at `remote`. */
  link?: { path: 'direct' | 'relay'; remote: string };
  /** Once done: what was moved into `dir` (as `files.get` says it). */
  moved?: FileMethodResults['files.get'];
  /** What the receive had to say on the way (a dropped link dialed again): the last few, and how many in all. */
  notes: string[];
  noteCount: number;
  /** Why it failed or was cancelled. */
  why?: string;
  startedAt: string;
  endedAt?: string;
}

/** One entry of the file inbox: what one transfer brought. */
export interface ReceivedInfo {
  id: string;
  from: { name: string; fingerprint: string };
  receivedAt: string;
  files: number;
  bytes: number;
  /** The top-level names, as written here. */
  names: string[];
  treeHash: string;
  /** Names this side changed (a reserved name, a case clash), as offered and as written. */
  renamed: Array<{ from: string; to: string }>;
  /** Entries this node's disk could not hold under their names (the rest arrived), with why. */
  skipped?: Array<{ path: string; why: string }>;
}

/** A partial transfer in staging (`files.usage`). */
export interface StagedInfo {
  id: string;
  /** The sender: its name when it is a peer, and its fingerprint (or only its first 16 hex digits). */
  from: { name: string | null; fingerprint: string };
  bytes: number;
  /** When anything in it last changed. */
  changedAt: string;
  /** The transfer's state as listed (`receiving` while it arrives), or null when no list names it. */
  state: TransferState | null;
}

export interface FilesUsage {
  inbox: { entries: number; bytes: number };
  staging: { bytes: number; transfers: StagedInfo[] };
  /** Bytes free on the disk of the files (what the OS gives this user). */
  freeBytes: number;
}

export interface FileMethodResults {
  'files.send': TransferInfo & { skipped: Array<{ path: string; why: string }> };
  'files.transfers': TransferInfo[];
  'files.cancel': TransferInfo;
  'files.clear': { cleared: number };
  'files.usage': FilesUsage;
  'files.list': ReceivedInfo[];
  'files.get': {
    /** Each top-level name moved: from which entry, and the path it has now. */
    moved: Array<{ id: string; name: string; to: string }>;
    /** Names left in the inbox (`skip`, a name that exists there already). */
    skipped: Array<{ id: string; name: string; why: string }>;
    /**
     * What did not arrive in `dir` under its name, each path under `dir` with why: links removed as they
     * would have led out of `dir` (through a link there already), and names the receiving disk could
     * not hold (skipped when the transfer arrived).
     */
    notKept: Array<{ id: string; path: string; why: string }>;
  };
  'files.delete': { deleted: number };
  'files.sendCode': CodeOfferInfo;
  'files.codeOffers': CodeOfferInfo[];
  'files.cancelCode': CodeOfferInfo;
  'files.receiveCode': CodeReceiveInfo;
  'files.codeReceives': CodeReceiveInfo[];
  'files.cancelReceive': CodeReceiveInfo;
}

export interface FileEvents {
  /** A transfer moved on (at most every 200 ms while bytes move) or changed state. */
  'file.transfer': TransferInfo;
  /** A transfer arrived whole and verified in the file inbox. */
  'file.received': ReceivedInfo;
  /** An offer made with a code was taken, moved on (its transfer's progress) or ended. */
  'file.codeOffer': CodeOfferInfo;
  /** A receive with a code met its sender, moved on (its transfer's progress), said something or ended. */
  'file.codeReceive': CodeReceiveInfo;
}

/** What the files domain brings to the contract at run time. */
export const filesContract = {
  methods: fileMethodParams,
  permissions: FILES_WORDS,
  events: { 'file.transfer': {}, 'file.received': {}, 'file.codeOffer': {}, 'file.codeReceive': {} },
} satisfies ContractPiece;

declare module '../api/contract.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
  interface ContractMethods extends MethodsOf<typeof fileMethodParams, FileMethodResults> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the members
  interface ApiEvents extends FileEvents {}
}

declare module '../api/contract-types.js' {
  interface ConnectionKinds {
    /** A peer's files stream receiving into this node's file inbox. */
    'files-in': true;
    /** This node's files stream to a peer. */
    'files-out': true;
  }
}

declare module '../core/permissions.js' {
  interface PermissionWords {
    files: true;
  }
}
