/**
 * How the Groups view says a group's session history (what `groups.history` answers): who, from which
 * of their devices, on which group device, and the devices that could not be asked. Pure.
 */
import type {
  HistorySession,
  HistorySource,
} from '../../../src-main/group-members/group-members-contract.js';

/**
 * The member, or that the owner no longer counts the device as a member's, with the name the member
 * had when the group's device knew it (`mira (not a member now)`).
 */
export function sessionMember(s: HistorySession): string {
  if (s.member !== null) return s.member;
  return s.formerMember ? `${s.formerMember} (not a member now)` : '(not a member now)';
}

/** `open` while the session runs (or its device stopped before writing its end), else how long it lasted. */
export function sessionLength(s: HistorySession): string {
  if (s.end === null) return 'open';
  const seconds = Math.max(0, Math.round((Date.parse(s.end) - Date.parse(s.start)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** The devices that did not answer, each with why: `o3: offline`. */
export function unanswered(sources: readonly HistorySource[]): string[] {
  return sources.filter((s) => !s.answered).map((s) => `${s.device.name}: ${s.why ?? 'no answer'}`);
}
