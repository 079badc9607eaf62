/**
 * `clawbridge sessions`: this node's terminals on its peers and their shares, and the terminals
 * peers shared with it (docs/adr/0123-shared-terminals.md). `sessions share ID --with NAME [--write]`
 * (or `--group G`: the group's other devices; or `--link`: a one-time code and the relay page's link) shares one (again: switches that viewer between watching and typing), `sessions viewers ID`
 * (a terminal's ID, or a share's shared with this node: who else is there, as its viewers are told),
 * `sessions revoke ID VIEWER`, `sessions unshare ID`, and `sessions join SHARE` watches one here, in
 * this terminal, as `term` does (`sessions join CODE`: a link's code or the link, with no agent, join-code.ts).
 */
import type { Command } from 'commander';
import { call, withGroupOpts, type HomeOpts } from '../../cli/client-commands.js';
import { exitAfterOutput } from '../../cli/output-errors.js';
import { printBlock, printJson, printLine, printNote } from '../../cli/output.js';
import { table } from '../../cli/table.js';
import { connectControlSocket } from '../../api/control-client.js';
import { requestStreamUpgrade } from '../../api/stream-client.js';
import { parseDuration } from '../../core/duration.js';
import { ClawError } from '../../core/errors.js';
import { escapeControlChars } from '../../core/terminal-text.js';
import { controlSocketPath, resolveHome } from '../../home/home-dir.js';
import type { PresentViewer, ShareInfo } from '../shares/share-contract.js';
import { printSessions } from './sessions-table.js';
import { runTerminal, windowSize } from './term-command.js';

interface JoinOpts extends HomeOpts {
  relay?: string;
  relayFingerprint?: string;
}

interface ShareOpts extends HomeOpts {
  with?: string[];
  group?: string;
  link?: boolean;
  write?: boolean;
  expires?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** A share's ID as `sessions` lists it (16 hex); anything else `sessions join` takes is a link's code or the link. */
const isShareId = (text: string): boolean => /^[0-9a-f]{16}$/.test(text.trim());

function viewersText(s: ShareInfo): string {
  if (s.viewers.length === 0) return 'no viewers';
  return table(
    ['VIEWER', 'DEVICE', 'FINGERPRINT', 'MAY', 'NOW', 'SINCE'],
    s.viewers.map((v) => [
      escapeControlChars(v.name),
      escapeControlChars(v.device),
      v.fingerprint.slice(0, 16),
      v.write ? 'type' : 'watch',
      v.watching ? 'watching' : 'away',
      v.since,
    ]),
  );
}

/** Who is in a share, as a viewer is told: no fingerprints; this node marked. */
function presentText(r: { viewers: PresentViewer[] }): string {
  return table(
    ['VIEWER', 'DEVICE', 'MAY', 'NOW'],
    r.viewers.map((v) => [
      `${escapeControlChars(v.name)}${v.you ? ' (you)' : ''}`,
      escapeControlChars(v.device),
      v.write ? 'type' : 'watch',
      v.watching ? 'watching' : 'away',
    ]),
  );
}

export function registerSessionsCommand(program: Command): void {
  const sessions = program
    .command('sessions')
    .description('terminals this node has open on peers, their shares, and the terminals shared with it')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOpts) => {
      const r = await call(opts, 'terminal.sessions', {});
      if (opts.json) return printJson(r);
      printSessions(r);
    });

  sessions
    .command('share <id>')
    .description(
      "share a terminal: the named peers, or a group's devices, watch it (and type, with --write); again for a viewer switches it",
    )
    .option('--with <name>', 'a peer to share it with (repeat for more)', collect)
    .option(
      '--group <group>',
      'share it with every other device of a group (its name or id), as the group is now',
    )
    .option(
      '--link',
      "share it by a one-time code and a link to the relay's page: whoever opens it first watches it there",
    )
    .option('--write', 'the viewers may type (default: they only watch)')
    .option('--expires <duration>', 'end the share after this long, e.g. 1h')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: ShareOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const named = all.with !== undefined && all.with.length > 0;
      if ([named, all.group !== undefined, all.link === true].filter(Boolean).length > 1)
        throw new ClawError(
          'BAD_ARGUMENT',
          'give one of --with NAME, --group G or --link: a share is with named peers, one group, or by a link',
        );
      if (!named && all.group === undefined && !all.link)
        cmd.error(`error: required option '--with <name>', '--group <group>' or '--link' not specified`);
      const r = await call(all, 'terminal.share', {
        id,
        ...(all.link
          ? { link: true as const }
          : all.group !== undefined
            ? { group: all.group }
            : { with: all.with }),
        ...(all.write ? { write: true } : {}),
        ...(all.expires !== undefined ? { expiresMs: parseDuration(all.expires, '--expires') } : {}),
      });
      if (all.json) return printJson(r);
      printLine(`terminal ${r.id} shared as ${r.share}${r.expiresAt ? ` until ${r.expiresAt}` : ''}`);
      if (r.code && r.link) {
        // The share lives in the agent: this command returns, and the code's holder joins later.
        printLine(`code: ${r.code}`);
        printLine(`link: ${r.link}`);
        printNote(
          `one use, until ${r.codeExpiresAt ?? 'the share ends'}: whoever opens the link (or types the code under Share code on the relay's page) watches${all.write ? ' and types' : ''}; a wrong code ends it. sessions viewers ${r.id} lists them`,
        );
        if (r.viewers.length === 0) return;
      }
      printBlock(viewersText(r));
      if (r.untold)
        printNote(
          `not told now (offline or not linked here): ${r.untold.map(escapeControlChars).join(', ')}; share again to tell them`,
        );
    });

  sessions
    .command('viewers <id>')
    .description(
      "who is in a share, as the node where it runs says now: a terminal's ID (yours), or a share's shared with this node",
    )
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      // A share offered here is a viewer's question (no fingerprints); else a terminal this node shared.
      const { offered } = await call(all, 'terminal.sessions', {});
      if (offered.some((o) => o.share === id)) {
        const r = await call(all, 'terminal.present', { share: id });
        if (all.json) return printJson(r);
        printLine(
          `shared by ${escapeControlChars(r.sharerName)}, running on ${escapeControlChars(r.hostName)}`,
        );
        printBlock(presentText(r));
        return;
      }
      const r = await call(all, 'terminal.viewers', { id });
      if (all.json) return printJson(r);
      printBlock(viewersText(r));
    });

  sessions
    .command('revoke <id> <viewer>')
    .description("take a viewer out of a terminal's share: its view ends at once")
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (id: string, viewer: string, opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const r = await call(all, 'terminal.revoke', { id, viewer });
      if (all.json) return printJson(r);
      printLine(`${viewer} no longer sees terminal ${id}`);
    });

  sessions
    .command('unshare <id>')
    .description('stop sharing a terminal: the view of every viewer ends at once')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const r = await call(all, 'terminal.unshare', { id });
      if (all.json) return printJson(r);
      printLine(`terminal ${id} is no longer shared`);
    });

  sessions
    .command('join <share>')
    .description(
      "watch a terminal shared with this node, here (type into it when the sharer allows); or a link's code, or the link itself, with no agent",
    )
    .option('--home <dir>', 'node home directory')
    .option('--relay <url>', 'for a code alone: the relay the sharer uses (the link names its own)')
    .option(
      '--relay-fingerprint <hex>',
      "the relay's certificate fingerprint, for a wss:// relay with a self-signed certificate",
    )
    .action(async (share: string, opts: JoinOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      if (!isShareId(share)) return joinByCode(share, all);
      const home = resolveHome(all.home);
      const socket = await connectControlSocket(controlSocketPath(home), home);
      const { result, rest } = await requestStreamUpgrade(socket, 'terminal.join', {
        share,
        ...windowSize(),
      });
      printNote(
        `watching ${escapeControlChars(result.sharerName)}'s terminal on ${escapeControlChars(result.hostName)}${result.write ? '' : ' (read-only)'}; ~. leaves`,
      );
      const code = await runTerminal(socket, rest, process.stdin, {
        escapes: true,
        peer: result.hostName,
        pty: true,
        watching: true,
      });
      exitAfterOutput(code);
    });
}

/** `sessions join CODE`: a link's code met here, by a throwaway node of this process (join-code.ts). */
async function joinByCode(text: string, opts: JoinOpts): Promise<void> {
  const { joinLink, joinedNote } = await import('./join-code.js');
  const { RejoiningView } = await import('./join-view.js');
  const joined = await joinLink(
    text,
    opts.relay
      ? { url: opts.relay, ...(opts.relayFingerprint ? { fingerprint: opts.relayFingerprint } : {}) }
      : undefined,
  );
  printNote(joinedNote(joined));
  const view = new RejoiningView(joined.source, joined.first);
  const code = await runTerminal(view, Buffer.alloc(0), process.stdin, {
    escapes: true,
    peer: joined.target.host.name,
    pty: true,
    // A viewer: the shell's size is the sharer's, told by RESIZE; this terminal's is sent nowhere.
    watching: true,
  });
  exitAfterOutput(code);
}
