/**
 * The shared terminals' part of the terminal domain's contract (docs/adr/0123-shared-terminals.md):
 * the sharer's methods on the sessions it opened on its peers, what a viewer is offered, the
 * streaming `terminal.join`, and the `terminal-share` audit kind. Pure, without zod at load (its
 * makers are given it); terminal-contract.ts adds it to the domain's piece.
 */
import type { AuditZod } from '../../audit/audit-kinds.js';
import type { ParamsContext } from '../../api/contract-piece.js';
import { terminalDimensionWith } from '../../protocol/terminal-open-fields.js';

const terminalId = ({ z }: Pick<ParamsContext, 'z'>) =>
  z.string().regex(/^[0-9a-f]{16}$/, 'a terminal id is 16 hex digits');
const shareId = ({ z }: Pick<ParamsContext, 'z'>) =>
  z.string().regex(/^[0-9a-f]{16}$/, 'a share id is 16 hex digits');

export const shareMethodParams = {
  /** The terminals this node has open on its peers with their shares, and those shared with it. */
  'terminal.sessions': ({ z }: ParamsContext) => z.object({}).strict(),
  /**
   * Shares terminal `id` (as `terminal.list` names it) with peers named in `with`, or with every other
   * device of `group` (its name or id), or by `link` (a one-time code whose holder becomes a viewer;
   * exactly one of the three), read-only unless `write`; again for a viewer already in it sets its
   * `write` (a switch). `expiresMs`: it ends then (a link's: in an hour unless given).
   */
  'terminal.share': ({ z }: ParamsContext) =>
    z
      .object({
        id: terminalId({ z }),
        with: z.array(z.string().min(1).max(200)).min(1).max(32).optional(),
        group: z.string().min(1).max(200).optional(),
        link: z.literal(true).optional(),
        write: z.boolean().optional(),
        expiresMs: z
          .number()
          .int()
          .min(1000)
          .max(30 * 24 * 3600_000)
          .optional(),
      })
      .strict(),
  /** Who is in terminal `id`'s share, as the node where it runs says now. */
  'terminal.viewers': ({ z }: ParamsContext) => z.object({ id: terminalId({ z }) }).strict(),
  /** Takes `viewer` (a name or fingerprint) out of terminal `id`'s share: its stream ends at once. */
  'terminal.revoke': ({ z }: ParamsContext) =>
    z.object({ id: terminalId({ z }), viewer: z.string().min(1).max(200) }).strict(),
  /** Stops sharing terminal `id`: every viewer's stream ends at once. */
  'terminal.unshare': ({ z }: ParamsContext) => z.object({ id: terminalId({ z }) }).strict(),
  /**
   * Who is in share `share` (as `terminal.sessions` lists what was shared with this node), as the node
   * where it runs says now: the viewer's side of `terminal.viewers`, without fingerprints.
   */
  'terminal.present': ({ z }: ParamsContext) => z.object({ share: shareId({ z }) }).strict(),
} as const;

export const shareStreamParams = {
  /**
   * Watches share `share` (as `terminal.sessions` lists what was shared with this node): the screen,
   * then live output, as terminal frames; what is typed reaches the shell only while the sharer lets
   * this node type, which the node where it runs decides.
   */
  'terminal.join': ({ z }: ParamsContext) =>
    z
      .object({ share: shareId({ z }), cols: terminalDimensionWith(z), rows: terminalDimensionWith(z) })
      .strict(),
} as const;

/** A viewer of a share. */
export interface ShareViewer {
  fingerprint: string;
  name: string;
  /** Its node's device name (a peer's: its name). */
  device: string;
  /** May type now: typing (else watching). */
  write: boolean;
  since: string;
  /** Has the terminal open now. */
  watching: boolean;
}

/**
 * A viewer of a share as another viewer sees it (`terminal.present`): the name the sharer gave it,
 * its device, typing or watching, open now or not — no fingerprint.
 */
export interface PresentViewer {
  name: string;
  device: string;
  /** May type now: typing (else watching). */
  write: boolean;
  /** Has the terminal open now. */
  watching: boolean;
  /** The node that asked. */
  you?: true;
}

/** A share of a terminal this node opened, as the node where it runs answered last. */
export interface ShareInfo {
  share: string;
  viewers: ShareViewer[];
  expiresAt?: string;
}

export interface SharedSessionInfo {
  /** The terminal's ID here (`terminal.list`). */
  id: string;
  peer: string;
  peerName: string;
  state: string;
  startedAt: string;
  share?: ShareInfo;
}

/** A share another node offered this one. */
export interface OfferInfo {
  share: string;
  /** The node where the shell runs. */
  host: string;
  hostName: string;
  /** Who shared it. */
  sharer: string;
  sharerName: string;
  what: string;
  write: boolean;
}

export interface ShareMethodResults {
  'terminal.sessions': { sessions: SharedSessionInfo[]; offered: OfferInfo[] };
  /**
   * `untold`: a group's devices in the share that could not be told of it now (offline, not linked).
   * `code`, `link` (the relay's page with the code) and `codeExpiresAt`: a share by link's.
   */
  'terminal.share': ShareInfo & {
    id: string;
    untold?: string[];
    code?: string;
    link?: string;
    codeExpiresAt?: string;
  };
  'terminal.viewers': ShareInfo & { id: string };
  'terminal.revoke': ShareInfo & { id: string };
  'terminal.unshare': { id: string; share: string };
  /** `hostName`: where the shell runs; `sharerName`: who shared it, as that node names it. */
  'terminal.present': { share: string; hostName: string; sharerName: string; viewers: PresentViewer[] };
}

/** `terminal.offers`: the shares offered this node now, after one came, changed or ended. */
export interface OffersEvent {
  offered: OfferInfo[];
}

export interface ShareStreamResults {
  'terminal.join': OfferInfo;
}

/** A `terminal-share` line's fields: a join, a switch or a leave of a viewer (the line's `peer`). */
export const shareAuditFields = (z: AuditZod) => ({
  event: z.enum(['join', 'switch', 'leave']),
  share: z.string().regex(/^[0-9a-f]{16}$/),
  /** Who shared it (the session's opener). */
  sharer: z.string().regex(/^[0-9a-f]{64}$/),
  /** The viewer may type (after a switch: now). */
  write: z.boolean(),
});
