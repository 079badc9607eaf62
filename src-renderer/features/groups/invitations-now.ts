/**
 * The invitations as they stand now, for the Groups view. The agent ends an open invitation past its
 * TTL only when it is next asked (listing, inviting, cancelling), and only then says so; the window
 * must not go on showing a code no one can use any more, so it counts one past its `expiresAt` as
 * expired itself, and knows when the next one will be. Pure.
 */
import type { InvitationInfo } from '../../../src-main/group-members/group-members-contract.js';

/** `invitations` (open first, then ended, newest first) at `now`: an open one past its TTL as expired. */
export function invitationsAt(invitations: readonly InvitationInfo[], now: number): InvitationInfo[] {
  const open: InvitationInfo[] = [];
  const lapsed: InvitationInfo[] = [];
  const ended: InvitationInfo[] = [];
  for (const i of invitations) {
    if (i.state !== 'open') ended.push(i);
    else if (Date.parse(i.expiresAt) <= now) lapsed.push({ ...i, state: 'expired', endedAt: i.expiresAt });
    else open.push(i);
  }
  lapsed.sort((a, b) => Date.parse(b.expiresAt) - Date.parse(a.expiresAt));
  return [...open, ...lapsed, ...ended];
}

/** When (epoch ms) the next open invitation after `now` expires, or null when none will. */
export function nextExpiry(invitations: readonly InvitationInfo[], now: number): number | null {
  let next: number | null = null;
  for (const i of invitations) {
    const at = Date.parse(i.expiresAt);
    if (i.state === 'open' && at > now && (next === null || at < next)) next = at;
  }
  return next;
}

/**
 * The code this window just made, when the agent listed it once (`listed`) and now lists it no more,
 * before its TTL: the agent restarted under the window and forgot it (an agent that stops forgets its
 * open invitations). Null otherwise.
 */
export function lostInvitation(
  made: InvitationInfo | null,
  listed: boolean,
  current: readonly InvitationInfo[],
  now: number,
): InvitationInfo | null {
  if (!made || !listed || current.some((i) => i.id === made.id)) return null;
  return Date.parse(made.expiresAt) > now ? made : null;
}
