/**
 * A group as a person names it in a command, for the members' side: the groups domain's own reading
 * (groups-api.ts findGroup), so both domains say the same, and the owner's check this domain's
 * methods add. Pure.
 */
import { ClawError } from '../core/errors.js';
import type { GroupBook } from '../groups/group-book-key.js';
import { findGroup } from '../groups/groups-api.js';
import type { GroupView } from '../groups/group-view.js';

/** The live group `ref` names (its id, or its name). @throws ClawError('BAD_ARGUMENT') */
export const groupOf = findGroup;

/** `ref`'s group, which this node's person must own to `what`. @throws ClawError('BAD_ARGUMENT') */
export function ownedGroupOf(book: Pick<GroupBook, 'view'>, ref: string, what: string): GroupView {
  const group = findGroup(book, ref);
  if (group.role !== 'owner')
    throw new ClawError(
      'BAD_ARGUMENT',
      `only the owner of group ${group.name} can ${what}: this node is a member's device there`,
    );
  return group;
}
