/**
 * How `clawbridge group history` prints a group's sessions: one line each, newest first, and the
 * devices that could not be asked. Pure.
 */
import type { HistoryResult } from '../group-members-contract.js';
import { escapeControlChars } from '../../core/terminal-text.js';
import { table } from '../../cli/table.js';

export function historyText(r: HistoryResult): string {
  const lines: string[] = [];
  if (r.sessions.length === 0)
    lines.push(`no member sessions on the devices of ${escapeControlChars(r.group.name)}`);
  else
    lines.push(
      table(
        ['MEMBER', 'FROM', 'ON', 'START', 'END'],
        r.sessions.map((s) => [
          escapeControlChars(
            s.member ?? (s.formerMember ? `${s.formerMember} (not a member now)` : '(not a member now)'),
          ),
          escapeControlChars(s.memberDevice.name),
          escapeControlChars(s.device.name),
          s.start,
          s.end ?? 'open',
        ]),
      ),
    );
  for (const s of r.sources.filter((x) => !x.answered))
    lines.push(
      `${escapeControlChars(s.device.name)} was not asked: ${escapeControlChars(s.why ?? 'unknown')}`,
    );
  return lines.join('\n');
}
