/**
 * A group invitation's link is a pairing invite's under its own action (`clawbridge://group?…`,
 * GROUP_LINK_PREFIX), so nothing takes it for a pairing invite: both ways between the two.
 */
import { INVITE_PREFIX } from '../protocol/pair-code.js';
import { GROUP_LINK_PREFIX } from './group-members-contract.js';

/** A pairing invite's link as a group invitation's (GROUP_LINK_PREFIX). */
export function groupLink(invite: string): string {
  return invite.startsWith(INVITE_PREFIX) ? GROUP_LINK_PREFIX + invite.slice(INVITE_PREFIX.length) : invite;
}

/** A group invitation's link as the pairing invite it carries; a code or pairing invite as it is. */
export function asInvite(text: string): string {
  const trimmed = text.trim();
  return trimmed.toLowerCase().startsWith(GROUP_LINK_PREFIX)
    ? INVITE_PREFIX + trimmed.slice(GROUP_LINK_PREFIX.length)
    : text;
}
