/**
 * `clawbridge connections`: the connections this node carries right now (forwards, proxies, exits
 * served for peers, terminals), and `connections close ID` to cut one of them.
 */
import type { Command } from 'commander';
import type { ConnectionInfo } from '../api/contract.js';
import { call, withGroupOpts, type HomeOpts } from './client-commands.js';
import { formatBytes } from './format-bytes.js';
import { allowStrayWords, refuseStrayWords } from './list-or-subcommand.js';
import { age, printBlock, printJson, printLine } from './output.js';
import { table } from './table.js';
import { plainPunctuation } from './plain-punctuation.js';

/** The table `connections` prints (IN: from TO back to FROM; OUT: from FROM to TO). */
export function connectionsTable(list: ConnectionInfo[], now = Date.now()): string {
  if (list.length === 0) return 'no open connections';
  return table(
    ['ID', 'KIND', 'PEER', 'FROM', 'TO', 'IN', 'OUT', 'AGE'],
    list.map((c) => [
      c.id,
      c.kind,
      c.peer ? `${c.peer.name} (${c.peer.fingerprint.slice(0, 8)})` : '-',
      // Labels the agent wrote (a relay circuit's `a1b2c3d4...`), in ASCII as the rest of the CLI.
      plainPunctuation(c.from),
      plainPunctuation(c.to),
      formatBytes(c.bytesIn),
      formatBytes(c.bytesOut),
      age(c.openedAt, now),
    ]),
  );
}

export function registerConnectionsCommand(program: Command): void {
  const connections = program
    .command('connections')
    .description('list the connections this node carries right now (needs a running agent)')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOpts, cmd: Command) => {
      refuseStrayWords(cmd);
      const list = await call(opts, 'connections.list', {});
      if (opts.json) printJson(list);
      else printBlock(connectionsTable(list));
    });

  connections
    .command('close <id>')
    .description('cut one connection (a forward connection, a terminal session, a relay circuit)')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const c = await call(all, 'connections.close', { id });
      if (all.json) printJson(c);
      else printLine(`closed ${c.kind} connection ${c.id}: ${c.from} -> ${c.to}`);
    });

  allowStrayWords(connections);
}
