/**
 * The table `clawbridge sessions` prints, and `clawbridge term shares` its shared part: this node's
 * terminals on peers with each share and its viewers, then the shares peers offered this node.
 */
import { printBlock, printLine } from '../../cli/output.js';
import { table } from '../../cli/table.js';
import { escapeControlChars } from '../../core/terminal-text.js';
import type { MethodResults } from '../../api/contract.js';

type Sessions = MethodResults['terminal.sessions'];

/** Prints `r`; `sharedOnly` leaves out the terminals nobody was given a share of. */
export function printSessions(r: Sessions, sharedOnly = false): void {
  const rows = sharedOnly ? r.sessions.filter((s) => s.share) : r.sessions;
  printBlock(
    rows.length === 0
      ? sharedOnly
        ? 'no terminal of yours is shared (clawbridge sessions share ID --with PEER shares one)'
        : 'no terminals open on peers'
      : table(
          ['ID', 'PEER', 'STATE', 'SINCE', 'SHARE', 'VIEWERS'],
          rows.map((s) => [
            s.id,
            escapeControlChars(s.peerName),
            s.state,
            s.startedAt,
            s.share?.share ?? '-',
            s.share
              ? s.share.viewers
                  .map((v) => `${escapeControlChars(v.name)} (${v.write ? 'type' : 'watch'})`)
                  .join(', ') || '-'
              : '-',
          ]),
        ),
  );
  if (r.offered.length === 0) return;
  printLine('');
  printBlock(
    table(
      ['SHARE', 'ON', 'SHARED BY', 'MAY'],
      r.offered.map((o) => [
        o.share,
        escapeControlChars(o.hostName),
        escapeControlChars(o.sharerName),
        o.write ? 'type' : 'watch',
      ]),
    ),
  );
}
