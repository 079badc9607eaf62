/**
 * Rendezvous aliases: where a relay routes a joiner's OPEN to the node that shows a pairing code. The
 * alias is a hash of the code's tag, so it cannot collide with a node ID (a hash of a certificate) by
 * accident, and — when the relay computes it itself from the tag (LISTEN_TAG) — not on purpose either:
 * making a tag whose alias is a given node ID would need a SHA-256 preimage.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { hexOf } from '../core/hex.js';

/** A tag as LISTEN_TAG carries it: 1–16 characters of the pairing code alphabet's range (ASCII). */
export const RENDEZVOUS_TAG = /^[0-9A-Z]{1,16}$/;

/** The relay alias a code's tag is reached under (64 hex). */
export function rendezvousAlias(tag: string): string {
  // @noble/hashes, not node:crypto: the browser node meets codes under the same alias (ADR 0116). One
  // hash of a few bytes per code listened on or dialed, never per frame.
  return hexOf(sha256(new TextEncoder().encode(`clawbridge rendezvous v1\0${tag}`)));
}
