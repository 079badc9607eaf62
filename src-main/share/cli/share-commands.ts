/**
 * `clawbridge share DIR --via PEER --listen [HOST:]PORT`, `share list`, `share stop NAME`
 * (ADR 0052): publish a folder read-only over HTTP on a peer's address.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ShareInfo } from '../share-contract.js';
import { ClawError } from '../../core/errors.js';
import { escapeControlChars } from '../../core/terminal-text.js';
import { call, withGroupOpts, type HomeOpts } from '../../cli/client-commands.js';
import { peerListenerText } from '../../forwards/cli/peer-listener-text.js';
import { formatBytes } from '../../cli/format-bytes.js';
import { hintCommand, printBlock, printJson, printLine, printNote } from '../../cli/output.js';
import { argvSecretWarning, readSecretFile } from '../../cli/secret-file.js';
import { table } from '../../cli/table.js';

interface ShareAddOpts extends HomeOpts {
  via?: string;
  listen?: string;
  name?: string;
  dotfiles?: boolean;
  password?: string;
  passwordFile?: string;
}

/** What `share --help` says about who can reach a share (docs/security.md §Shared folders). */
const SHARE_NOTE = `
The peer listens on --listen (its 127.0.0.1 unless a host is given) and needs to allow 'listen' for
this node (peers allow THIS-NODE listen, there); an address other machines can reach needs its owner's
consent (agent --allow-remote-reverse-listen there). Anyone who reaches that address can read every
file under DIR (dot-files only with --dotfiles) unless a password is set: give one with
--password-file FILE (or --password, which other users of this machine can see in ps). It is saved
as a salted hash and never shown again. Downloads are listed in \`connections\` and the audit log.
`;

function stateText(s: ShareInfo): string {
  return s.state === 'error' && s.error ? `error: ${s.error}` : s.state;
}

function shareTable(list: ShareInfo[], home?: string): string {
  if (list.length === 0) {
    return `no shares yet: add one with \`${hintCommand('share DIR --via PEER --listen PORT', home)}\``;
  }
  return (
    table(
      ['NAME', 'URL', 'VIA', 'DIR', 'OPEN', 'TOTAL', 'SENT', 'STATE'],
      list.map((s) => [
        s.name,
        s.url,
        s.via,
        escapeControlChars(s.dir),
        String(s.open),
        String(s.connections),
        formatBytes(s.bytesSent),
        s.state + (s.password ? ', password' : '') + (s.dotfiles ? ', dot-files' : ''),
      ]),
    ) +
    list
      .filter((s) => s.state === 'error' && s.error)
      .map((s) => `\n${s.name}: ${escapeControlChars(s.error ?? '')}`)
      .join('')
  );
}

export function registerShareCommands(program: Command): void {
  const share = program
    .command('share')
    .description("publish a folder read-only over HTTP on a peer's address (needs a running agent)")
    .argument('[dir]', 'the folder to share')
    .option('--via <peer>', 'the peer that listens (needs permission listen there)')
    .option('--listen <[host:]port>', 'where the peer listens (its 127.0.0.1 unless a host is given)')
    .option('--name <name>', 'a name for the share (default share-PORT)')
    .option('--dotfiles', 'also serve names starting with "."')
    .option('--password-file <file>', 'ask clients for the password in this file (HTTP Basic)')
    .option('--password <password>', 'ask clients for this password (visible in ps: prefer --password-file)')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .addHelpText('after', SHARE_NOTE)
    .action(async (dir: string | undefined, opts: ShareAddOpts, cmd: Command) => {
      if (dir === undefined) {
        // A bare `share` lists, as `forward` does.
        const list = await call(opts, 'share.list', {});
        return opts.json ? printJson(list) : printBlock(shareTable(list, opts.home));
      }
      if (opts.via === undefined) cmd.error(`error: required option '--via <peer>' not specified`);
      if (opts.listen === undefined)
        cmd.error(`error: required option '--listen <[host:]port>' not specified`);
      if (opts.password !== undefined && opts.passwordFile !== undefined) {
        throw new ClawError('BAD_ARGUMENT', 'give --password or --password-file, not both');
      }
      let password: string | undefined;
      if (opts.passwordFile !== undefined) {
        password = readSecretFile('--password-file', opts.passwordFile, (line) => printNote(line));
        if (password === '')
          throw new ClawError('BAD_ARGUMENT', `--password-file ${opts.passwordFile} is empty`);
      } else if (opts.password !== undefined) {
        printNote(argvSecretWarning('--password', '--password-file FILE'));
        password = opts.password;
      }
      const s = await call(opts, 'share.add', {
        dir: resolve(dir),
        via: opts.via,
        listen: opts.listen,
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        ...(opts.dotfiles ? { dotfiles: true } : {}),
        ...(password !== undefined ? { password } : {}),
      });
      if (opts.json) return printJson(s);
      printLine(`share ${s.name}: ${s.url} on ${s.via} -> ${escapeControlChars(s.dir)} (${stateText(s)})`);
    });

  share
    .command('list')
    .description('list shares with their URL, connections and bytes sent')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const list = await call(all, 'share.list', {});
      if (all.json) return printJson(list);
      printBlock(shareTable(list, all.home));
      // This node's side of its peers' shares: the ports it opened for them (status says it too).
      const { listeningForPeers } = await call(all, 'status', {});
      for (const l of listeningForPeers ?? []) printLine(`listening here for ${peerListenerText(l)}`);
    });

  share
    .command('stop <name>')
    .alias('rm')
    .description('stop a share: the peer stops listening and open downloads are cut')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const r = await call(all, 'share.remove', { name });
      if (all.json) printJson(r);
      else printLine(`stopped share ${r.name}`);
    });
}
