/**
 * `peers retry PEER`: try a direct link to a peer now instead of after the backoff (its addresses are
 * dialed; across NATs a round of simultaneous opens starts, within the peer's budget). Registered by
 * client-commands.ts on its `peers` command, with its `call` passed in (as mine-peers.ts is).
 */
import type { Command } from 'commander';
import type { PeerInfo } from '../api/contract.js';
import { escapeControlChars } from '../core/names.js';
import type { MineCli } from './mine-peers.js';
import { printJson, printLine } from './output.js';

interface Opts {
  home?: string;
  json?: boolean;
}

/** What `peers retry` says: the link it has now, or why it is relayed and when it tries again. */
export function retriedText(p: PeerInfo): string {
  const name = escapeControlChars(p.name);
  if (p.state === 'online' && p.path === 'direct') return `${name} is linked directly`;
  const why = p.relayReason ?? p.stateDetail;
  const line = `trying a direct link to ${name} now`;
  return why ? `${line}; until it is up: ${escapeControlChars(why)}` : line;
}

export function registerRetrySubcommand(peers: Command, cli: MineCli): void {
  peers
    .command('retry <peer>')
    .description('try a direct link to a peer now, not after the backoff (across NATs: a simultaneous open)')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: Opts, cmd: Command) => {
      const all = cli.withGroupOpts(opts, cmd);
      const peer = await cli.call(all, 'peers.retry', { peer: ref });
      if (all.json) return printJson(peer);
      printLine(retriedText(peer));
    });
}
