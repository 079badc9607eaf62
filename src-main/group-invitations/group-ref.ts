/**
 * A group as a person names it in a command: its name as `group ls` shows it, or its id. Pure.
 */
import { ClawError } from '../core/errors.js';
import { commandArgs, hereHint } from '../core/hint.js';
import type { GroupView, GroupsView } from '../state/groups.js';

/**
 * The live (not deleted) group `ref` names in `view`: its id, or its name when one group has it.
 * @throws ClawError('BAD_ARGUMENT') naming the groups there are, or the ids of those with that name
 */
export function groupOf(view: GroupsView, ref: string): GroupView {
  const live = view.groups.filter((g) => !g.deleted);
  const byId = live.find((g) => g.id === ref.toLowerCase());
  if (byId) return byId;
  const named = live.filter((g) => g.name === ref);
  if (named.length === 1) return named[0]!;
  if (named.length > 1)
    throw new ClawError(
      'BAD_ARGUMENT',
      `${named.length} groups are named ${ref} here: give one's id (${named.map((g) => g.id).join(', ')})`,
    );
  throw new ClawError(
    'BAD_ARGUMENT',
    ...commandArgs(`no group ${ref} here (see `, hereHint(['group', 'ls']), ')'),
  );
}

/** `ref`'s group, which this node's person must own. @throws ClawError('BAD_ARGUMENT') otherwise */
export function ownedGroupOf(view: GroupsView, ref: string, what: string): GroupView {
  const group = groupOf(view, ref);
  if (group.role !== 'owner')
    throw new ClawError(
      'BAD_ARGUMENT',
      `${group.name} is a group you are a member of: only its owner can ${what}`,
    );
  return group;
}
