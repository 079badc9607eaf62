/**
 * What the nodes of a shared terminal say to each other (docs/adr/0123-shared-terminals.md,
 * docs/protocol.md §Shared terminals): the sharer's requests to the node where the shell runs
 * (`terminal-share`: the OPEN's arguments, one JSON answer line back), the sharer's offer to a viewer
 * (`terminal-offer`), and a viewer's OPEN of the view stream (`terminal-view`, then terminal frames).
 * Schemas made on use (ADR 0073).
 */
import { z } from 'zod';
import { madeOnUse } from '../../core/made-on-use.js';
import type { PresentViewer } from './share-contract.js';
import { SESSION_ID } from '../../protocol/terminal-frames.js';

/** The sharer's requests to the node where the shell runs. */
export const TERMINAL_SHARE_SERVICE = 'terminal-share';
/** The sharer's word to a viewer that a share waits for it. */
export const TERMINAL_OFFER_SERVICE = 'terminal-offer';
/** The service a viewer watches through (and `terminal-present`, who else is there, the only other). */
export const TERMINAL_VIEW_SERVICE = 'terminal-view';
/** A viewer's question to the node where the shell runs: who is in the share (one answer line back). */
export const TERMINAL_PRESENT_SERVICE = 'terminal-present';

const fingerprint = () => z.string().regex(/^[0-9a-f]{64}$/);
const name = () => z.string().min(1).max(200);
const shareId = () => z.string().regex(/^[0-9a-f]{16}$/);
const node = () => z.object({ fingerprint: fingerprint(), name: name() }).strict();

export const shareRequest = madeOnUse(() =>
  z.discriminatedUnion('op', [
    z
      .object({
        op: z.literal('add'),
        session: z.string().regex(SESSION_ID),
        viewers: z
          .array(node().extend({ device: name().optional() }))
          // None: a share made for a link, whose viewer is added once someone met its code.
          .max(32),
        write: z.boolean(),
        expiresAt: z.number().int().positive().optional(),
      })
      .strict(),
    z.object({ op: z.literal('viewers'), share: shareId() }).strict(),
    z.object({ op: z.literal('revoke'), share: shareId(), viewer: fingerprint() }).strict(),
    z.object({ op: z.literal('unshare'), share: shareId() }).strict(),
  ]),
);
export type ShareRequestWire = z.infer<ReturnType<typeof shareRequest>>;

/** A viewer of a share, as the node where the shell runs says it. */
export interface ShareViewerInfo {
  fingerprint: string;
  name: string;
  /** Its node's device name (a peer's: its name; the sharer may name the device apart). */
  device: string;
  /** May type now: typing (else watching). */
  write: boolean;
  /** In the share since (ISO time). */
  since: string;
  /** Has a view stream open now. */
  watching: boolean;
}

/** The answer line to a `terminal-share` request. */
export type ShareAnswer =
  | { ok: true; share: string; viewers: ShareViewerInfo[]; expiresAt?: string }
  | { ok: false; message: string };

export const offerWire = madeOnUse(() =>
  z.discriminatedUnion('op', [
    z
      .object({
        op: z.literal('offer'),
        share: shareId(),
        host: node(),
        relay: z
          .object({ url: z.string().max(2048), fingerprint: fingerprint().optional() })
          .strict()
          .optional(),
        addresses: z.array(z.string().max(300)).max(16).optional(),
        what: z.string().max(256),
        write: z.boolean(),
        /** When the share ends, in ms since the epoch (absent: with its terminal). */
        expiresAt: z.number().int().positive().optional(),
      })
      .strict(),
    z.object({ op: z.literal('withdraw'), share: shareId() }).strict(),
  ]),
);
export type OfferWire = z.infer<ReturnType<typeof offerWire>>;

/**
 * Why the node where the shell runs ended a view because the share is over (not because the viewer
 * fell behind): the one error line the viewer reads, and by which its node drops the offer and stops
 * dialing there. The words are the signal, so both sides make and read them here.
 */
export const shareOver = {
  revoked: (sharer: string) => `${sharer} stopped sharing this terminal with you`,
  unshared: (sharer: string) => `${sharer} stopped sharing this terminal`,
  terminalEnded: 'the shared terminal has ended',
  expired: 'the share of this terminal expired',
} as const;

/** Why `self` turns away a node that no share `id` there names: a whole sentence its client shows. */
export const noShareFor = (self: string, id: string): string =>
  `${self} has no shared terminal '${id}' for this node (it ended, or it was never shared with it)`;

/** Whether a view's error line says its share is over (see `shareOver`). */
export function saysShareOver(message: string): boolean {
  return (
    message === shareOver.terminalEnded ||
    message === shareOver.expired ||
    / stopped sharing this terminal( with you)?$/.test(message)
  );
}

export const viewArgs = madeOnUse(() => z.object({ share: shareId() }).strict());

/**
 * The answer line to a viewer's `terminal-present` (its OPEN's arguments are `viewArgs`): the sharer's
 * name and each viewer as the sharer named it, the asker marked `you` — no fingerprint, and nothing
 * of other shares.
 */
export type PresentAnswer =
  { ok: true; sharerName: string; viewers: PresentViewer[] } | { ok: false; message: string };

/** What the viewer takes of that line: checked, as the host is only a guest it dials. */
export const presentAnswer = madeOnUse(() =>
  z.discriminatedUnion('ok', [
    z.object({
      ok: z.literal(true),
      sharerName: name(),
      viewers: z
        .array(
          z.object({
            name: name(),
            device: name(),
            write: z.boolean(),
            watching: z.boolean(),
            you: z.literal(true).optional(),
          }),
        )
        .max(32),
    }),
    z.object({ ok: z.literal(false), message: z.string().max(1000) }),
  ]),
);

/** One join, switch or leave, for the audit log where the shell runs. */
export interface ShareAuditEvent {
  event: 'join' | 'switch' | 'leave';
  share: string;
  session: string;
  sharer: { fingerprint: string; name: string };
  viewer: { fingerprint: string; name: string };
  write: boolean;
}
