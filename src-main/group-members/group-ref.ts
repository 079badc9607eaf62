/**
 * A group as a person names it in a command: its id, or its name as `group ls` shows it; said in the
 * groups domain's words (groups-api.ts findGroup, whose deps are wider than the view read here). Pure.
 */
import { ClawError } from '../core/errors.js';
import { commandArgs, hereHint } from '../core/hint.js';
import type { GroupBook } from '../groups/group-book.js';
import type { GroupView } from '../state/groups.js';

/**
 * The live (not deleted) group `ref` names in `book`'s view: its id, or its name when one group has it.
 * @throws ClawError('BAD_ARGUMENT') when none does, or more than one has that name
 */
export function groupOf(book: Pick<GroupBook, 'view'>, ref: string): GroupView {
  const live = book.view().groups.filter((g) => !g.deleted);
  const byId = live.find((g) => g.id === ref.toLowerCase());
  if (byId) return byId;
  const named = live.filter((g) => g.name === ref || g.name.toLowerCase() === ref.toLowerCase());
  if (named.length === 1) return named[0]!;
  if (named.length > 1)
    throw new ClawError(
      'BAD_ARGUMENT',
      `'${ref}' names ${named.length} groups; give one's id (${named.map((g) => g.id).join(', ')})`,
    );
  throw new ClawError(
    'BAD_ARGUMENT',
    ...commandArgs(`no group named '${ref}' (`, hereHint(['group', 'ls']), ' lists them)'),
  );
}

/** `ref`'s group, which this node's person must own to `what`. @throws ClawError('BAD_ARGUMENT') */
export function ownedGroupOf(book: Pick<GroupBook, 'view'>, ref: string, what: string): GroupView {
  const group = groupOf(book, ref);
  if (group.role !== 'owner')
    throw new ClawError(
      'BAD_ARGUMENT',
      `only the owner of group ${group.name} can ${what}: this node is a member's device there`,
    );
  return group;
}
