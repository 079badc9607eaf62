/**
 * What a group invitation sends once its code's PAKE succeeded (the code met, pairing/): each frame
 * sealed under a key derived from the PAKE's session key, one key per direction and a counter nonce,
 * so the relay (or a LAN host) between the two can neither read, forge, drop unnoticed nor reorder
 * what the owner's device sends the member's, nor the member's answer. The frames and how one is
 * read are the protocol's (protocol/group-invitation-frames.ts), which a browser node shares.
 *
 * A pairing joiner that met a group code, or a group joiner a pairing code, reads no such frame and
 * gives up: nothing is decided on either side before the other side's first frame here is read.
 */
import { SealedFrames, type SealedFramesSpec } from '../crypto/sealed-frames.js';
import {
  INVITATION_KEY_SALT,
  INVITATION_MARKER,
  INVITATION_RECORDS_PER_FRAME,
  INVITATION_TAG_BYTES,
  invitationNonce,
  MAX_INVITATION_FRAME_PLAIN,
  readInvitationFrame,
  type InvitationFrame,
  type InvitationRole,
} from '../protocol/group-invitation-frames.js';
import { MAX_GROUP_LINE_BYTES } from '../protocol/group-records.js';

/** A record (at most MAX_GROUP_LINE_BYTES) always fits a batch of its own. */
const BATCH_BYTES = MAX_GROUP_LINE_BYTES + 256;

/** The direction keys come from the PAKE's session key under this salt: never the pairing decision's key. */
const INVITATION_FRAMES: SealedFramesSpec<InvitationFrame, InvitationRole> = {
  marker: INVITATION_MARKER,
  salt: INVITATION_KEY_SALT,
  tagBytes: INVITATION_TAG_BYTES,
  maxPlain: MAX_INVITATION_FRAME_PLAIN,
  nonce: invitationNonce,
  read: readInvitationFrame,
  other: (role) => (role === 'inviter' ? 'joiner' : 'inviter'),
  frameName: 'an invitation frame',
  retry: 'ask for a new invitation',
  updateWho: 'both nodes',
};

/**
 * One side's sealing and opening (crypto/sealed-frames.ts): frames it sends are numbered from 0 under
 * its own key, frames it reads under the other side's, so a frame replayed, dropped or moved fails to open.
 */
export class InvitationChannel extends SealedFrames<InvitationFrame, InvitationRole> {
  constructor(sessionKey: Uint8Array, self: InvitationRole) {
    super(INVITATION_FRAMES, sessionKey, self);
  }
}

/** `records` in batches that each fit one frame (a record alone always does). */
export function recordBatches(records: readonly unknown[]): unknown[][] {
  const batches: unknown[][] = [];
  let batch: unknown[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = Buffer.byteLength(JSON.stringify(r), 'utf8') + 1;
    if (batch.length > 0 && (bytes + size > BATCH_BYTES || batch.length >= INVITATION_RECORDS_PER_FRAME)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(r);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
