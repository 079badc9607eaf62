/**
 * The owner's devices on `peers` (ADR 0056): `peers mine NAME on|off`, `peers revoke NAME`
 * and the MINE column. Registered by client-commands.ts on its `peers` command, with its `call`
 * passed in (this module imports nothing of it, so no import cycle).
 */
import type { Command } from 'commander';
import type { MethodName, MethodParams, MethodResults, PeerInfo } from '../api/contract.js';
import { ClawError } from '../core/errors.js';
import { printJson, printLine } from './output.js';
import { shellWord } from '../core/shell-word.js';

interface Opts {
  home?: string;
  json?: boolean;
}

/** How a subcommand asks the agent, and reads its group's options (client-commands.ts). */
export interface MineCli {
  call<M extends MethodName>(opts: Opts, method: M, params: MethodParams<M>): Promise<MethodResults[M]>;
  withGroupOpts<T extends Opts>(opts: T, cmd: Command): T;
}

/**
 * The MINE column of `peers`: `-` (not one of the owner's devices), `yes` (both mark each other),
 * `one-sided` (this node marks it; it has not marked this node, so nothing is introduced),
 * `yes?` (not known yet whether it marks this node); `, via NAME` when an introduction brought it;
 * `via group lab` for a node no pairing let in but a group (PeerInfo.groups); `removed from group lab`
 * for a removed member's device a group's device lets in only to hear of it (PeerInfo.guestOf).
 */
export function mineText(p: PeerInfo, all: readonly PeerInfo[]): string {
  // A guest of no group now (a removed member's device, let in to hear of it) says which and why.
  if (p.groups !== undefined && p.groups.length === 0 && p.guestOf !== undefined && p.guestOf.length > 0)
    return p.guestOf.join(', ');
  if (p.groups !== undefined) return groupsText(p.groups);
  if (!p.mine) return '-';
  const mark = p.theyMarkMine === true ? 'yes' : p.theyMarkMine === false ? 'one-sided' : 'yes?';
  if (p.introducedBy === null) return mark;
  const by = all.find((x) => x.fingerprint === p.introducedBy)?.name ?? p.introducedBy.slice(0, 8);
  return `${mark}, via ${by}`;
}

/** Which groups let a node in without a pairing: `via group lab`, `via groups lab, ci`. */
export function groupsText(groups: readonly string[]): string {
  if (groups.length === 0) return 'via a group';
  return `via group${groups.length > 1 ? 's' : ''} ${groups.join(', ')}`;
}

/** What `peers rm` and `peers revoke` say they did. */
export function revokedText(r: MethodResults['peers.revoke']): string {
  return r.everywhere
    ? `removed ${r.name} (${r.fingerprint}) here and, as the removal reaches them, on all your other devices`
    : `removed peer ${r.name} (${r.fingerprint})`;
}

/** `peers mine` and `peers revoke`, on the `peers` command. */
export function registerMineSubcommands(peers: Command, cli: MineCli): void {
  peers
    .command('mine <peer> <on-or-off>')
    .description(
      'mark a peer as one of your devices (on) or not (off); once it marks this node too, each introduces the other to your other devices',
    )
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (ref: string, onOff: string, opts: Opts, cmd: Command) => {
      if (onOff !== 'on' && onOff !== 'off')
        throw new ClawError('BAD_ARGUMENT', `say on or off, got '${onOff}'`);
      const all = cli.withGroupOpts(opts, cmd);
      const peer = await cli.call(all, 'peers.mine', { peer: ref, on: onOff === 'on' });
      if (all.json) return printJson(peer);
      if (!peer.mine) return printLine(`${peer.name} is no longer marked as one of your devices`);
      printLine(`${peer.name} is marked as one of your devices`);
      if (peer.theyMarkMine !== true) {
        // Named as this node is called (known here), not a placeholder.
        const self = (await cli.call(all, 'status', {})).name;
        printLine(
          `it counts once ${peer.name} marks this node too: there, run \`clawbridge peers mine ${shellWord(self)} on\` (until then nothing is introduced)`,
        );
      }
    });

  peers
    .command('revoke <peer>')
    .description(
      'remove one of your devices from all of them (a lost laptop): it cannot come back through an old introduction',
    )
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: Opts, cmd: Command) => {
      const all = cli.withGroupOpts(opts, cmd);
      const r = await cli.call(all, 'peers.revoke', { peer: ref });
      if (all.json) return printJson(r);
      printLine(revokedText(r));
    });
}
