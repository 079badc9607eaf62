/**
 * `clawbridge group …` (docs/cli.md §Groups): groups of the owner's devices shared with other people.
 * Thin over the agent's `groups.*` methods; every command prints JSON with `--json`.
 */
import type { Command } from 'commander';
import { ClawError, isClawError } from '../../core/errors.js';
import { formatDuration, parseDuration } from '../../core/duration.js';
import { escapeControlChars } from '../../core/terminal-text.js';
import { shellWord } from '../../core/shell-word.js';
import { call, withGroupOpts, type HomeOpts } from '../../cli/client-commands.js';
import { allowStrayWords, refuseStrayWords } from '../../cli/list-or-subcommand.js';
import { hintCommand, printBlock, printJson, printLine } from '../../cli/output.js';
import { parseAllow } from '../../cli/permissions.js';
import { MAX_INVITATION_TTL_MS, MIN_INVITATION_TTL_MS } from '../group-members-contract.js';
import { compareLine, groupsText, groupText, invitationsText } from './group-format.js';
import { historyText } from './history-format.js';

/** How long `group join` waits for the agent: finding the inviter, the PAKE and the records. */
const JOIN_WAIT_MS = 120_000;

type Action<A extends unknown[]> = (...args: [...A, HomeOpts, Command]) => Promise<void>;

/** A subcommand with `--home` and `--json`, its options merged with the group's. */
function sub<A extends unknown[]>(
  parent: Command,
  spec: string,
  description: string,
  action: Action<A>,
): Command {
  return parent
    .command(spec)
    .description(description)
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (...args: unknown[]) => {
      const cmd = args.at(-1) as Command;
      const own = args.at(-2) as HomeOpts;
      await action(...([...args.slice(0, -2), withGroupOpts(own, cmd), cmd] as [...A, HomeOpts, Command]));
    });
}

export function registerGroupCommands(program: Command): void {
  const group = program
    .command('group')
    .description('share a group of your devices with other people (members); alone: `group ls`')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOpts, cmd: Command) => {
      refuseStrayWords(cmd);
      await list(opts);
    });

  sub<[string]>(
    group,
    'create <name>',
    'create a group you own (members may use `terminal` on its devices)',
    async (name, opts) => {
      const { group: g } = await call(opts, 'groups.create', { name });
      if (opts.json) return printJson(g);
      printLine(`created group ${escapeControlChars(g.name)}`);
      printLine(`add your devices with \`${hintCommand(`group add ${g.name} DEVICE...`, opts.home)}\``);
    },
  );

  sub<[string, string[]]>(
    group,
    'add <name> <device...>',
    'add your own devices (this node, or peers marked mine) to a group',
    async (name, devices, opts) => {
      const { group: g } = await call(opts, 'groups.add', { group: name, devices });
      if (opts.json) return printJson(g);
      printBlock(groupText(g));
    },
  );

  sub<[string, string[]]>(
    group,
    'drop <name> <device...>',
    "drop devices from a group: members' terminals and connections to them end",
    async (name, devices, opts) => {
      const { group: g } = await call(opts, 'groups.drop', { group: name, devices });
      if (opts.json) return printJson(g);
      printBlock(groupText(g));
    },
  );

  sub<[string, string]>(
    group,
    'allow <name> <list>',
    "what members may do on the group's devices, e.g. terminal,forward (the whole list; none for nothing)",
    async (name, words, opts) => {
      const permissions = allowList(words);
      const { group: g } = await call(opts, 'groups.allow', { group: name, permissions });
      if (opts.json) return printJson(g);
      printLine(
        `members of ${escapeControlChars(g.name)} may: ${g.permissions.length > 0 ? g.permissions.join(', ') : 'nothing'}`,
      );
    },
  );

  sub<[string, string]>(
    group,
    'rename <name> <new-name>',
    'renames a group you own; its members see the new name once it reaches them',
    async (name, newName, opts) => {
      const { group: g } = await call(opts, 'groups.rename', { group: name, name: newName });
      if (opts.json) return printJson(g);
      printLine(`renamed ${escapeControlChars(name)} to ${escapeControlChars(g.name)}`);
    },
  );

  const invite = sub<[string]>(
    group,
    'invite <name>',
    'show a one-time code (and a link) that makes the device entering it a member',
    async (name, opts) => {
      const { ttl } = opts as HomeOpts & { ttl: string };
      const ttlMs = parseDuration(ttl, '--ttl');
      if (ttlMs < MIN_INVITATION_TTL_MS || ttlMs > MAX_INVITATION_TTL_MS)
        throw new ClawError('BAD_ARGUMENT', `--ttl must be between 10s and 24h, got ${ttl}`);
      const r = await call(opts, 'groups.invite', { group: name, ttlMs });
      if (opts.json) return printJson(r);
      printLine(`code:    ${r.code}`);
      printLine(`link:    ${r.link}`);
      printLine(`expires: ${r.expiresAt} (in ${formatDuration(ttlMs)}); single use`);
      // The link itself, quoted for a shell: it holds `&`, and the member pastes the line as it is.
      printLine(
        `on the member's device run: clawbridge group join ${shellWord(r.link)} (the code alone finds this node only on a relay or network you share)`,
      );
      printLine(
        `when it has joined, \`${hintCommand('group invitations', opts.home)}\` shows its fingerprint: compare it with the member's screen`,
      );
    },
  );
  invite.option('--ttl <duration>', 'how long the code is valid, e.g. 10m', '10m');

  sub<[string]>(
    group,
    'join <code-or-link>',
    "join a group with its owner's one-time code",
    async (code, opts) => {
      const r = await call(opts, 'groups.join', { code }, JOIN_WAIT_MS);
      if (opts.json) return printJson(r);
      const { fingerprint } = await call(opts, 'status', {});
      printLine(
        `joined group ${escapeControlChars(r.group.name)}, invited by ${escapeControlChars(r.inviter.name)}`,
      );
      printLine("compare with the owner's screen (`group invitations` there):");
      printLine(`  ${compareLine('this device', fingerprint)}`);
      printLine(`  ${compareLine(r.inviter.name, r.inviter.fingerprint)}`);
      printLine(
        `its devices: ${r.devices.length > 0 ? r.devices.map((d) => escapeControlChars(d.name)).join(', ') : 'none yet'}; open a terminal with \`${hintCommand(`term ${r.devices.length === 1 ? shellWord(r.devices[0]!.name) : 'DEVICE'}`, opts.home)}\``,
      );
    },
  );

  sub<[]>(group, 'ls', 'the groups you own or belong to: role, devices, members', async (opts) =>
    list(opts),
  ).alias('list');

  sub<[string | undefined]>(
    group,
    'invitations [name]',
    'open invitations, then how the last ones ended (who joined, with the fingerprint to compare)',
    async (name, opts) => {
      const { invitations } = await call(
        opts,
        'groups.invitations',
        name === undefined ? {} : { group: name },
      );
      if (opts.json) return printJson(invitations);
      printBlock(invitationsText(invitations));
    },
  );

  sub<[string]>(
    group,
    'cancel <code-or-id>',
    'cancel an open invitation: nobody can join with it after',
    async (code, opts) => {
      const r = await call(opts, 'groups.cancelInvitation', { code });
      if (opts.json) return printJson(r);
      printLine(`invitation ${r.code} to ${escapeControlChars(r.group.name)} cancelled`);
    },
  );

  sub<[string, string]>(
    group,
    'remove <name> <member>',
    "remove a member (by the name `group ls` shows): its terminals and connections on the group's devices end",
    async (name, member, opts) => {
      const { group: g } = await call(opts, 'groups.remove', { group: name, member });
      if (opts.json) return printJson(g);
      printLine(`removed ${escapeControlChars(member)} from ${escapeControlChars(g.name)}`);
    },
  );

  sub<[string]>(group, 'leave <name>', 'leave a group you are a member of', async (name, opts) => {
    const r = await call(opts, 'groups.leave', { group: name });
    if (opts.json) return printJson(r);
    printLine(`left group ${escapeControlChars(r.group.name)}`);
  });

  sub<[string]>(
    group,
    'history <name>',
    "members' terminal sessions on the group's devices: who, from which device, start and end",
    async (name, opts) => {
      const r = await call(opts, 'groups.history', { group: name }, 60_000);
      if (opts.json) return printJson(r);
      printBlock(historyText(r));
    },
  );

  sub<[string]>(
    group,
    'delete <name>',
    "delete a group: every member's access to its devices ends",
    async (name, opts) => {
      const r = await call(opts, 'groups.delete', { group: name });
      if (opts.json) return printJson(r);
      printLine(`deleted group ${escapeControlChars(r.group.name)}`);
    },
  );

  allowStrayWords(group);
}

async function list(opts: HomeOpts): Promise<void> {
  const { groups } = await call(opts, 'groups.list', {});
  if (opts.json) return printJson(groups);
  printBlock(groupsText(groups, hintCommand('group create NAME', opts.home)));
}

/** `group allow`'s list in the words of this command, not `--allow`'s. */
function allowList(words: string): ReturnType<typeof parseAllow> {
  try {
    return parseAllow(words);
  } catch (err) {
    if (isClawError(err, 'BAD_ARGUMENT'))
      throw new ClawError('BAD_ARGUMENT', (err as Error).message.replace(/^--allow:? ?/, 'group allow: '));
    throw err;
  }
}
