/**
 * Sharing a terminal with a group (docs/adr/0123-shared-terminals.md, amended for `--group`): the
 * group is resolved to its devices when the share is made — its owner's devices and each member's —
 * this node and the node where the shell runs left out. A device that joins the group later is not
 * in the share; sharing again adds it.
 */
import { ClawError } from '../../core/errors.js';

/** A device as the groups' view names it. */
interface Device {
  fingerprint: string;
  name: string;
}

/** What sharing reads of a group (the groups domain's view, groups/group-view.ts, by its shape). */
export interface SharedGroup {
  id: string;
  name: string;
  deleted: boolean;
  devices: readonly Device[];
  members: readonly { name: string; devices: readonly Device[] }[];
}

/** A viewer as the share request names it: the person, and its device apart. */
export interface GroupViewer {
  fingerprint: string;
  name: string;
  device: string;
}

/** The viewers group `ref` (its name or id) stands for now, less the `leaveOut` nodes. */
export function groupViewers(
  groups: readonly SharedGroup[],
  ref: string,
  leaveOut: ReadonlySet<string>,
): { group: SharedGroup; viewers: GroupViewer[] } {
  const live = groups.filter((g) => !g.deleted);
  const byId = live.filter((g) => g.id === ref);
  const byName = live.filter((g) => g.name === ref);
  const found = byId.length === 1 ? byId : byName;
  if (found.length > 1)
    throw new ClawError(
      'BAD_ARGUMENT',
      `'${ref}' names ${found.length} groups; give the group's id (group ls)`,
    );
  const group = found[0];
  if (!group)
    throw new ClawError(
      'BAD_ARGUMENT',
      `this node is in no group '${ref}'; clawbridge group ls lists the groups it is in`,
    );
  const viewers = new Map<string, GroupViewer>();
  const add = (d: Device, person: string) => {
    if (!leaveOut.has(d.fingerprint) && !viewers.has(d.fingerprint))
      viewers.set(d.fingerprint, { fingerprint: d.fingerprint, name: person, device: d.name });
  };
  for (const d of group.devices) add(d, d.name);
  for (const m of group.members) for (const d of m.devices) add(d, m.name);
  if (viewers.size === 0)
    throw new ClawError(
      'BAD_ARGUMENT',
      `group '${group.name}' has no device but this one and the one the terminal runs on; add a member first, or name a peer with --with`,
    );
  return { group, viewers: [...viewers.values()] };
}
