/**
 * Where a change of a group's guest is decided instead (services/guest-changes.ts): a member's device
 * on a group's device, or a group's device on a member's, has no record there to change; the group
 * does, and the refusal names the group command that applies — one its reader can run.
 */
import { hereHint } from '../core/hint.js';
import { guestGroups, type Guest } from '../services/admission.js';
import type { AskedWords, GuestChange, GuestDecision } from '../services/guest-changes.js';

/** A group's words as `group allow` takes them: `terminal,forward`, or `none`. */
export function groupWords(words: readonly string[]): string {
  return words.length > 0 ? words.join(',') : 'none';
}

/**
 * Where a guest's `change` is decided instead, and the command that applies. A guest this node dials
 * (`dial`) is one of a group's devices and this node a member's device, whose group's owner alone
 * changes the group: a command only that owner can run is not told here as one to run. The words it
 * has here are its groups' together: the list `asked` comes to is known only when it is one group's.
 */
export function groupGuestDecision(
  guest: Pick<Guest, 'allow' | 'dial' | 'because'>,
  change: GuestChange,
  asked: AskedWords | undefined,
): GuestDecision {
  const groups = guestGroups(guest);
  const group = groups[0] ?? 'GROUP';
  switch (change) {
    case 'words': {
      if (guest.dial)
        return {
          before:
            "a group's device may open nothing on a member's device, and no group command changes that; to let it, pair with it: ",
          hint: hereHint(['pair', 'join', 'CODE']),
          after: ' with a code its owner shows',
        };
      const one = groups.length === 1 ? asked : undefined;
      const words = one
        ? one.on
          ? [...new Set([...guest.allow, one.permission])]
          : guest.allow.filter((w) => w !== one.permission)
        : undefined;
      return {
        before: "what a member may do on the group's devices is the group's: its owner runs ",
        hint: hereHint(['group', 'allow', group, words ? groupWords(words) : 'LIST']),
        after: '',
      };
    }
    case 'name':
      return {
        before: 'its name is the one its group gives it (its member or owner chose it): ',
        hint: hereHint(['group', 'ls']),
        after: ' shows it',
      };
    case 'path':
      return {
        before: "it is reached where its group's devices say it is (",
        hint: hereHint(['group', 'ls']),
        after: ' shows its state); to choose its path, pair with it',
      };
    case 'access':
      return guest.dial
        ? {
            before: "its access is the group's to give and take (its owner removes it; ",
            hint: hereHint(['group', 'leave', group]),
            after: ' leaves the group)',
          }
        : {
            before:
              "its access is the group's to give and take (its owner runs `group remove` or `group drop`; ",
            hint: hereHint(['group', 'ls']),
            after: ' shows the group)',
          };
  }
}
