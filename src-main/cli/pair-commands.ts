/**
 * Pairing and approval commands: `pair new`, `pair join`, `pending`, `approve`, `reject`.
 */
import { constants } from 'node:os';
import type { Command } from 'commander';
import { ClawError } from '../core/errors.js';
import { commandArgs, hereHint } from '../core/hint.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { groupFingerprint } from '../core/fingerprint.js';
import {
  MAX_PAIR_CODE_TTL_MS,
  MAX_PAIR_JOIN_TIMEOUT_MS,
  MIN_PAIR_CODE_TTL_MS,
  type MethodParams,
} from '../api/contract.js';
import { call, withAgent, withGroupOpts, type HomeOpts } from './client-commands.js';
import {
  age,
  hintCommand,
  printBlock,
  printBlockToStderr,
  printJson,
  printLine,
  printNote,
} from './output.js';
import { table } from './table.js';
import { markHereCommand } from './mine-peers.js';
import { followJoin } from './pair-progress.js';
import { defaultAllow, describeAllow, parseAllow, permissionList } from './permissions.js';
import { parseWait, retryFor } from './wait-for.js';
import { exitAfterStop, STOP_SIGNALS } from './stop-signals.js';
import { isoTime } from '../core/iso-time.js';
import { shellWord } from '../core/shell-word.js';

export function registerPairCommands(program: Command): void {
  const pair = program
    .command('pair')
    .description('pair with another node using a one-time code')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON');

  pair
    .command('new')
    .description('show a one-time code (and an invite link) for another node to join with')
    .option('--ttl <duration>', 'how long the code is valid, e.g. 10m', '10m')
    .option(
      '--mine',
      'the device that joins is one of your devices (it must mark this node too: `pair join --mine` there): approving it marks it',
    )
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (own: HomeOpts & { ttl: string; mine?: boolean }, cmd: Command) => {
      const opts = withGroupOpts(own, cmd);
      const ttlMs = parseDuration(opts.ttl, '--ttl');
      if (ttlMs < MIN_PAIR_CODE_TTL_MS || ttlMs > MAX_PAIR_CODE_TTL_MS)
        throw new ClawError('BAD_ARGUMENT', `--ttl must be between 10s and 24h, got ${opts.ttl}`);
      const r = await call(opts, 'pair.new', { ttlMs, ...(opts.mine ? { mine: true } : {}) });
      if (opts.json) return printJson(r);
      printLine(`code:    ${r.code}`);
      printLine(`invite:  ${r.invite}`);
      printLine(`expires: ${r.expiresAt} (in ${formatDuration(ttlMs)}); single use`);
      printLine(
        `on the other node run: clawbridge pair join ${shellWord(r.invite)}${opts.mine ? ' --mine' : ''}, or open the invite link there (the code alone finds this node only on a relay or network you share)`,
      );
      if (opts.mine)
        printLine(
          'the device that joins is marked as one of your devices when you approve it (approve --no-mine to not)',
        );
      printLine(
        `when a device joins, \`${hintCommand('pending', opts.home)}\` shows it; compare its fingerprint, then \`${hintCommand('approve --latest', opts.home)}\``,
      );
      // The invite names the home relay: if it is down, a joiner waits for nothing there.
      const home = (await call(opts, 'status', {})).relays.find((r) => !r.onDemand);
      if (home && !home.connected) {
        printNote(
          `note: relay ${home.url} is not connected now${home.error ? ` (${home.error})` : ''}; until it is, a joiner finds this node only on this network`,
        );
      }
    });

  pair
    .command('join <code-or-invite>')
    .description("join another node with its code; waits for its owner's approval")
    .option('--timeout <duration>', 'how long to wait for approval, e.g. 10m', '10m')
    .option(
      '--allow <list>',
      `what the other node may do here: ${permissionList()} or none (default: none, or with --mine what your introduced devices may do: settings mine-allow; a node that is already a peer keeps what it may do)`,
    )
    .option(
      '--mine',
      'the other node is one of your devices (it must mark this node too): each introduces the other to your others',
    )
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(
      async (
        code: string,
        own: HomeOpts & { timeout: string; allow?: string; mine?: boolean },
        cmd: Command,
      ) => {
        const opts = withGroupOpts(own, cmd);
        const timeoutMs = parseDuration(opts.timeout, '--timeout');
        if (timeoutMs < 1000 || timeoutMs > MAX_PAIR_JOIN_TIMEOUT_MS) {
          throw new ClawError('BAD_ARGUMENT', '--timeout must be between 1s and 1h');
        }
        const allow = opts.allow === undefined ? undefined : parseAllow(opts.allow);
        // Each step as it happens (stderr): how the other device was found, the fingerprints to compare.
        const progress = opts.json
          ? { stop: () => undefined }
          : await followJoin(opts.home, printBlockToStderr);
        // Ctrl-C stops the join in the agent too (which runs it), so a late approval cannot pair us.
        const interrupted = (signal: NodeJS.Signals) => {
          void call(opts, 'pair.cancel', { code })
            .catch(() => undefined)
            .finally(() => {
              printNote('pairing cancelled');
              exitAfterStop(signal, 128 + (constants.signals[signal] ?? 1));
            });
        };
        for (const signal of STOP_SIGNALS) process.once(signal, interrupted);
        // The agent gives up at timeoutMs; the socket waits a little longer so the agent's answer wins.
        const r = await withAgent(opts, (c) =>
          c.call(
            'pair.join',
            { code, timeoutMs, ...(allow ? { allow } : {}), ...(opts.mine ? { mine: true } : {}) },
            timeoutMs + 15_000,
          ),
        ).finally(() => {
          progress.stop();
          for (const signal of STOP_SIGNALS) process.off(signal, interrupted);
        });
        if (opts.json) return printJson(r);
        printLine(`paired with ${r.name} (fingerprint ${groupFingerprint(r.fingerprint)})`);
        printLine(`${r.name} may do here: ${describeAllow(r.allow)}`);
      },
    );

  pair
    .command('list')
    .description('codes this node shows that nobody used yet')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (own: HomeOpts, cmd: Command) => {
      const opts = withGroupOpts(own, cmd);
      const { codes } = await call(opts, 'pair.list', {});
      if (opts.json) return printJson(codes);
      if (codes.length === 0) return printLine('no open codes');
      printBlock(
        table(
          ['CODE', 'EXPIRES', 'INVITE'],
          codes.map((c) => [c.code, c.expiresAt, c.invite]),
        ),
      );
    });

  pair
    .command('cancel <code>')
    .description(
      "retire an open code of this node (nobody can join with it after), or stop this node's own join with that code",
    )
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (code: string, own: HomeOpts, cmd: Command) => {
      const opts = withGroupOpts(own, cmd);
      const r = await call(opts, 'pair.cancel', { code });
      if (opts.json) return printJson(r);
      printLine(`code ${r.code} cancelled`);
    });

  program
    .command('pending')
    .description('requests waiting for your approval')
    .option('--wait <duration>', 'wait this long (e.g. 30s) for a request when there is none yet')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOpts & { wait?: string }) => {
      const waitMs = parseWait(opts.wait);
      const list =
        (await retryFor(waitMs, ['NO_AGENT'], async () => {
          const l = await call(opts, 'pending.list', {});
          return l.length > 0 ? l : undefined;
        })) ?? [];
      // A script waiting for a request learns from the exit status that none came.
      if (list.length === 0 && waitMs > 0) process.exitCode = 1;
      if (opts.json) return printJson(list);
      if (list.length === 0)
        return printLine(waitMs > 0 ? `no pending requests after ${opts.wait}` : 'no pending requests');
      printBlock(
        table(
          ['ID', 'NAME', 'VIA', 'ADDRESS', 'AGE', 'FINGERPRINT'],
          list.map((p) => [
            p.id,
            p.displayName,
            (p.via === 'code' ? 'code (verified)' : 'fingerprint only: compare!') +
              (p.mine ? ', one of my devices' : ''),
            p.address,
            age(isoTime(Date.now() - p.age * 1000)),
            groupFingerprint(p.fingerprint),
          ]),
        ),
      );
    });

  program
    .command('approve [id]')
    .description('approve a pending request (compare its fingerprint with the other screen first)')
    .option('--latest', 'the most recent code-verified request (never one that came with only a fingerprint)')
    .option(
      '--fingerprint <fp>',
      'the fingerprint you compared; needed for a request that came without a code, and checked whenever given (--latest too)',
    )
    .option(
      '--allow <list>',
      `what the new peer may do here: ${permissionList()} or none (default: ${defaultAllow().join(',')}; a node that is already a peer keeps what it may do)`,
    )
    .option(
      '--mine',
      'it is one of your devices: it and this node introduce each other to your others (the default for a code made with `pair new --mine`)',
    )
    .option('--no-mine', 'not one of your devices, though its code was made with `pair new --mine`')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(
      async (
        id: string | undefined,
        opts: HomeOpts & { latest?: boolean; allow?: string; fingerprint?: string; mine?: boolean },
      ) => {
        const peer = await call(opts, 'pending.approve', approveParams(id, opts));
        if (opts.json) return printJson(peer);
        printLine(`approved ${peer.name} (fingerprint ${groupFingerprint(peer.fingerprint)})`);
        printLine(`${peer.name} may do here: ${describeAllow(peer.allow)}`);
        // Only while it is so: a device that marks this node already (it asked for introductions) counts.
        // Unknown until the two have linked (null): a joiner that ran `pair join --mine` already marks
        // this node, and the pairing messages do not say so, so the line says how to tell.
        const markHere = async () => markHereCommand((await call(opts, 'status', {})).name);
        if (peer.mine && peer.theyMarkMine === false)
          printLine(
            `${peer.name} is marked as one of your devices; it counts once ${peer.name} marks this node too (\`pair join --mine\` or \`${await markHere()}\` there)`,
          );
        else if (peer.mine && peer.theyMarkMine !== true)
          printLine(
            `${peer.name} is marked as one of your devices; it counts once ${peer.name} marks this node too: it does if it joined with \`pair join --mine\` (\`clawbridge peers\` shows it once they link), otherwise run \`${await markHere()}\` there`,
          );
      },
    );

  program
    .command('reject [id]')
    .description('reject a pending request; that node will not be asked about again')
    .option('--latest', 'the most recent code-verified request')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, opts: HomeOpts & { latest?: boolean }) => {
      const r = await call(opts, 'pending.reject', target(id, opts.latest));
      if (opts.json) return printJson(r);
      printLine(`rejected ${r.name} (${r.fingerprint})`);
    });
}

/**
 * What `approve` asks the agent: the request (by id or `--latest`), the permissions, and the compared
 * fingerprint whenever one is given, whatever the form: the agent refuses an approval whose
 * fingerprint is not the request's, for code-verified requests and `--latest` too.
 */
export function approveParams(
  id: string | undefined,
  opts: { latest?: boolean; allow?: string; fingerprint?: string; mine?: boolean },
): MethodParams<'pending.approve'> {
  return {
    // Given either way (--mine, --no-mine) or not at all: the request's code decides then.
    ...(opts.mine !== undefined ? { mine: opts.mine } : {}),
    ...target(id, opts.latest),
    ...(opts.fingerprint !== undefined ? { fingerprint: opts.fingerprint } : {}),
    ...(opts.allow === undefined ? {} : { allow: parseAllow(opts.allow) }),
  };
}

function target(id: string | undefined, latest: boolean | undefined): { id: string } | { latest: true } {
  if (latest && id) throw new ClawError('BAD_ARGUMENT', 'give either an id or --latest, not both');
  if (latest) return { latest: true };
  if (!id)
    throw new ClawError(
      'BAD_ARGUMENT',
      ...commandArgs('which request? give its id (see ', hereHint(['pending']), ') or --latest'),
    );
  return { id };
}
