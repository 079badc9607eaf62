/**
 * How `clawbridge group …` prints groups, invitations and sessions: plain text for people (the
 * `--json` forms print what the agent answered). Pure.
 */
import type { GroupDeviceInfo, GroupInfo } from '../../groups/groups-contract.js';
import type { InvitationInfo } from '../group-members-contract.js';
import { groupFingerprint } from '../../core/fingerprint.js';
import { escapeControlChars } from '../../core/terminal-text.js';
import { table } from '../../cli/table.js';

/** `online, direct`, `online, relay`, or `offline (why)`: a device's state as this node sees it now. */
export function deviceState(d: GroupDeviceInfo): string {
  if (d.self) return 'this device';
  if (d.online) return `online, ${d.path ?? 'no path'}`;
  return d.why ? `offline (${escapeControlChars(d.why)})` : 'offline';
}

/** One group: its name, role and grant, its devices with their state, and (owner) its members. */
export function groupText(g: GroupInfo): string {
  const lines = [
    `${escapeControlChars(g.name)} (${g.role === 'owner' ? 'you own it' : 'you are a member'}; members may: ${g.permissions.length > 0 ? g.permissions.join(', ') : 'nothing'})`,
  ];
  if (g.devices.length === 0) lines.push('  no devices yet');
  else
    lines.push(
      indent(
        table(
          ['DEVICE', 'STATE', 'FINGERPRINT'],
          g.devices.map((d) => [escapeControlChars(d.name), deviceState(d), d.fingerprint.slice(0, 16)]),
        ),
      ),
    );
  if (g.members !== undefined) {
    if (g.members.length === 0) lines.push('  no members yet');
    for (const m of g.members) {
      const devices = m.devices.map((d) => escapeControlChars(d.name)).join(', ');
      lines.push(`  member ${escapeControlChars(m.name)} (${m.root.slice(0, 16)}): ${devices}`);
    }
  }
  return lines.join('\n');
}

/** Every group, one block each; what to run when there is none. */
export function groupsText(groups: readonly GroupInfo[], createHint: string): string {
  if (groups.length === 0) return `no groups: create one with \`${createHint}\``;
  return groups.map(groupText).join('\n\n');
}

/**
 * Invitations as a table, open ones first, then how the last ones ended; below it, the whole
 * fingerprint of each device that joined, to compare with the one its screen shows.
 */
export function invitationsText(list: readonly InvitationInfo[]): string {
  if (list.length === 0) return 'no invitations';
  const rows = table(
    ['ID', 'GROUP', 'CODE', 'STATE', 'EXPIRES', 'BY'],
    list.map((i) => [
      i.id,
      escapeControlChars(i.group.name),
      i.code,
      i.state + (i.problem ? ` (${escapeControlChars(i.problem)})` : ''),
      i.expiresAt,
      i.by ? `${escapeControlChars(i.by.name)} ${i.by.short}` : '-',
    ]),
  );
  const joined = list.flatMap((i) =>
    i.by && !i.problem ? [`${i.code}: ${compareLine(i.by.name, i.by.fingerprint)}`] : [],
  );
  return [rows, ...joined].join('\n');
}

/** The fingerprint to compare, grouped as `pair` shows it. */
export function compareLine(who: string, fingerprint: string): string {
  return `${escapeControlChars(who)}'s fingerprint: ${groupFingerprint(fingerprint)}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
