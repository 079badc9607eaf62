/**
 * `clawbridge status`: this node, its relays, what each domain adds (its `statusLines`, from its
 * `cli/` part: docs/adr/0086-cli-and-window-per-domain.md) and the peers. A module of its own so it can
 * take the domains' descriptions (domain-commands.ts) while the command modules those describe import
 * client-commands.ts: no import cycle, and nothing of a domain's commands loads for `status`.
 */
import type { Command } from 'commander';
import { plainPunctuation } from './plain-punctuation.js';
import { call, peerTable, type HomeOpts } from './client-commands.js';
import { domainClis } from './domain-commands.js';
import { natStatusLines } from './nat-status-text.js';
import { hintCommand, printBlock, printJson, printLine } from './output.js';
import { parseWait, retryFor } from './wait-for.js';

/** How long `status` waits for a running agent's answer, in ms: it answers at once unless it is stuck. */
export const STATUS_TIMEOUT_MS = 10_000;

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('show this node, its relays and its peers (needs a running agent)')
    .option('--wait <duration>', 'wait this long (e.g. 10s) for an agent that is still starting')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .option('--wide', "print each peer's row whole, wider than the terminal")
    .action(async (opts: HomeOpts & { wait?: string; wide?: boolean }) => {
      const waitMs = parseWait(opts.wait);
      const timeoutMs = Math.max(STATUS_TIMEOUT_MS, waitMs);
      const s = (await retryFor(waitMs, ['NO_AGENT'], () => call(opts, 'status', {}, timeoutMs)))!;
      if (opts.json) return printJson(s);
      printLine(`${s.name}  ${s.fingerprint}`);
      printLine(`direct: ${s.listen ?? 'off'}`);
      for (const r of s.relays)
        printLine(
          `relay:  ${r.url}  ${r.connected ? 'connected' : `not connected${r.error ? ` (${plainPunctuation(r.error)})` : ''}`}${r.onDemand ? "  (on demand: a peer's home relay)" : ''}`,
        );
      // A peer's home relay is reached on demand, and dropped while idle: say so, not just "none".
      const homes = [...new Set(s.peers.flatMap((p) => (p.homeRelay ? [p.homeRelay] : [])))];
      if (s.relays.length === 0 && homes.length > 0)
        printLine(`relay:  none of its own; peers' home relays are used on demand: ${homes.join(', ')}`);
      // Relays are agent flags: the running agent is stopped and started again with one.
      else if (s.relays.length === 0)
        printLine(
          `relay:  none (add one: \`${hintCommand('stop', opts.home)}\`, then \`${hintCommand('agent', opts.home)} --relay URL\`)`,
        );
      if (s.nat) for (const line of natStatusLines(s.nat)) printLine(line);
      for (const domain of await domainClis())
        for (const line of domain.statusLines?.(s) ?? []) printLine(line);
      // A blank line sets the table apart; the one-line hint for no peers follows the header as is.
      if (s.peers.length > 0) printLine('');
      printBlock(peerTable(s.peers, opts.home));
    });
}
