/**
 * `clawbridge file …` (ADR 0051): send files and folders to a peer, see what arrived here and
 * move it out. `file send` follows its transfer until the peer verified everything (exit 0) or it
 * failed (exit 1); while the peer is unreachable it waits and says so, and when the local agent stops
 * it waits for it to come back and carries on, as `term` does; Ctrl-C cancels the transfer (exit 130).
 * `file usage`, `clear` and `delete` show and remove what transfers left on this node's disk.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { ConflictMode, FilesUsage, ReceivedInfo, TransferInfo } from '../files-contract.js';
import { CONFLICT_MODES } from '../files-contract.js';
import { ControlClient } from '../../api/control-client.js';
import { ClawError, errorMessage, isClawError } from '../../core/errors.js';
import { controlSocketPath, resolveHome } from '../../home/home-dir.js';
import { withAgent, withGroupOpts, type HomeOpts } from '../../cli/client-commands.js';
import { formatBytes } from '../../cli/format-bytes.js';
import {
  age,
  hintCommand,
  printBlock,
  printJson,
  printJsonLine,
  printLine,
  printNote,
  printProgress,
  useJsonLines,
} from '../../cli/output.js';
import { exitAfterOutput } from '../../cli/output-errors.js';
import { BAR_CELLS, progressLine } from './file-progress.js';
import { requireHome } from '../../cli/home-missing.js';
import { STOP_SIGNALS } from '../../cli/stop-signals.js';
import { plainPunctuation } from '../../cli/plain-punctuation.js';
import { table } from '../../cli/table.js';
import { AGENT_WAIT_MS, waitSpan } from '../../cli/term-reattach.js';

/** How long `file send` waits for the agent to walk and hash what it names, in ms (30 min). */
export const SEND_CALL_TIMEOUT_MS = 30 * 60_000;
/** How often `file send` reads the transfer besides its events, in ms (an event lost costs no more). */
const POLL_MS = 1000;
/** `--conflict`, checked here. */
export function parseConflict(value: string | undefined): ConflictMode {
  if (value === undefined) return 'rename';
  if (!(CONFLICT_MODES as readonly string[]).includes(value)) {
    throw new ClawError('BAD_ARGUMENT', `--conflict takes ${CONFLICT_MODES.join(', ')}, got '${value}'`);
  }
  return value as ConflictMode;
}

export { clock, progressLine } from './file-progress.js';

/** The table `file list` prints. */
export function receivedTable(list: readonly ReceivedInfo[]): string {
  if (list.length === 0)
    return 'nothing received (clawbridge file send PEER PATH on another node sends here)';
  return table(
    ['ID', 'FROM', 'NAMES', 'FILES', 'SIZE', 'RECEIVED'],
    list.map((r) => [
      r.id,
      r.from.name,
      r.names.map((n) => JSON.stringify(n).slice(1, -1)).join(', '),
      String(r.files),
      formatBytes(r.bytes),
      r.receivedAt.slice(0, 19).replace('T', ' '),
    ]),
  );
}

/** What `file usage` prints: the inbox, staging and each partial transfer in it, and the free disk. */
export function usageText(u: FilesUsage, now = Date.now()): string {
  const lines = [
    `inbox     ${formatBytes(u.inbox.bytes)} in ${u.inbox.entries} received ${u.inbox.entries === 1 ? 'entry' : 'entries'} (clawbridge file get DIR moves them out)`,
    `staging   ${formatBytes(u.staging.bytes)} in ${u.staging.transfers.length} partial transfer${u.staging.transfers.length === 1 ? '' : 's'}`,
    `free      ${formatBytes(u.freeBytes)}`,
  ];
  if (u.staging.transfers.length === 0) return lines.join('\n');
  const rows = table(
    ['ID', 'FROM', 'SIZE', 'STATE', 'LAST CHANGE'],
    u.staging.transfers.map((s) => [
      s.id,
      s.from.name ?? s.from.fingerprint.slice(0, 16),
      formatBytes(s.bytes),
      s.state ?? 'stopped',
      `${age(s.changedAt, now)} ago`,
    ]),
  );
  return `${lines.join('\n')}\n\n${rows}\n\nclawbridge file cancel ID gives a partial transfer up and removes its bytes.`;
}

interface SendOpts extends HomeOpts {
  quiet?: boolean;
}

/** Follows a transfer on `client` until it ends or the connection closes ('agent-gone'). */
function follow(
  client: ControlClient,
  id: string,
  show: (t: TransferInfo) => void,
): Promise<TransferInfo | 'agent-gone'> {
  return new Promise((resolvePromise) => {
    let over = false;
    const end = (v: TransferInfo | 'agent-gone') => {
      if (over) return;
      over = true;
      offEvent();
      offClose();
      clearInterval(poll);
      resolvePromise(v);
    };
    const seen = (t: TransferInfo) => {
      if (over || t.id !== id) return;
      show(t);
      if (t.state === 'done' || t.state === 'failed' || t.state === 'cancelled') end(t);
    };
    const offEvent = client.onEvent((event, data) => {
      if (event === 'file.transfer') seen(data as TransferInfo);
    });
    const offClose = client.onClose(() => end('agent-gone'));
    const poll = setInterval(() => {
      client.call('files.transfers', {}, 10_000).then(
        (list) => {
          const t = list.find((x) => x.id === id);
          if (t) seen(t);
        },
        () => undefined,
      );
    }, POLL_MS);
  });
}

/** Connects again to the agent of `home` once it is back (until `deadline`). */
async function agentBack(home: string, deadline: number): Promise<ControlClient> {
  for (;;) {
    try {
      return await ControlClient.connect(controlSocketPath(home), home);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** A transfer's ID as `file transfers` shows it (files-contract.ts checks the same). */
const TRANSFER_ID = /^[0-9a-f]{32}$/;

/** How long Ctrl-C waits for the agent to cancel the transfer, in ms. */
const CANCEL_CALL_MS = 5000;

const ended = (t: TransferInfo) => t.state === 'done' || t.state === 'failed' || t.state === 'cancelled';

async function sendCommand(peer: string, paths: string[], opts: SendOpts): Promise<void> {
  const json = opts.json === true;
  if (json) useJsonLines();
  const home = resolveHome(opts.home);
  const absolute = paths.map((p) => resolve(p));
  const tty = !json && process.stderr.isTTY === true;
  let lastWhy: string | undefined;
  let drawn = false;
  const clear = () => {
    if (drawn) printProgress(null);
    drawn = false;
  };
  const note = (line: string) => {
    if (json) return;
    clear();
    printNote(line);
  };
  const show = (t: TransferInfo) => {
    // An ended transfer is said once, by the line that ends the command.
    if (ended(t)) return;
    if (json) return printJsonLine({ event: 'progress', ...t });
    if (t.state === 'waiting' && t.why !== lastWhy) {
      lastWhy = t.why;
      note(`waiting: ${t.why ?? `for ${t.peer.name}`}`);
    } else if (t.state === 'sending' && lastWhy !== undefined && !tty) {
      lastWhy = undefined;
      note(`sending to ${t.peer.name}...`);
    }
    if (t.state === 'sending') lastWhy = undefined;
    if (tty && (t.state === 'sending' || t.state === 'waiting')) {
      printProgress(progressLine(t, Math.max(10, Math.min(BAR_CELLS, (process.stderr.columns ?? 80) - 70))));
      drawn = true;
    }
  };
  let client = await ControlClient.connect(controlSocketPath(home), home);
  /** The transfer, once the agent answered `files.send`. */
  let id: string | undefined;
  let startedId: (id: string | undefined) => void = () => undefined;
  const known = new Promise<string | undefined>((r) => (startedId = r));
  const stop = interruptsCancel(async () => {
    clear();
    if (id === undefined) {
      if (!json)
        printNote('cancelling: the agent is still reading the files (Ctrl-C again leaves at once)...');
      await known;
    }
    if (id === undefined) return;
    try {
      const t = await client.call('files.cancel', { id }, CANCEL_CALL_MS);
      if (json) printJsonLine({ event: 'cancelled', ...t });
      printNote(
        `cancelled: nothing more is sent to ${t.peer.name} (transfer ${t.id}); what arrived there is removed`,
      );
    } catch (err) {
      printNote(
        `interrupted, but the agent could not cancel the transfer (${errorMessage(err)}): it may go on; clawbridge file cancel ${id} stops it`,
      );
    }
  });
  /** While the local agent comes back: until when it may take. */
  let backBy: number | undefined;
  try {
    for (;;) {
      let started;
      try {
        // Back from a restart: the agent lists the transfer (running, or ended meanwhile) by its ID.
        const listed =
          id === undefined
            ? undefined
            : (await client.call('files.transfers', {}, 10_000)).find((t) => t.id === id);
        started = listed
          ? { ...listed, skipped: [] }
          : await client.call('files.send', { peer, paths: absolute }, SEND_CALL_TIMEOUT_MS);
      } catch (err) {
        // An agent still starting takes the connection and closes it: not back yet, as for `term`.
        if (backBy === undefined || !isClawError(err, 'NO_AGENT') || Date.now() > backBy) throw err;
        client.close();
        await new Promise((r) => setTimeout(r, 250));
        client = await agentBack(home, backBy);
        continue;
      }
      const first = id === undefined;
      id = started.id;
      startedId(id);
      if (stop.interrupted) return await stop.done;
      if (backBy !== undefined) note('local agent is back; carrying on with the transfer');
      backBy = undefined;
      if (first) {
        if (!json) for (const s of started.skipped) note(`skipped ${s.path}: ${s.why}`);
        if (json) printJsonLine({ event: 'started', ...started });
      }
      show(started);
      const end = ended(started) ? started : await follow(client, started.id, show);
      if (stop.interrupted) return await stop.done;
      if (end === 'agent-gone') {
        client.close();
        note(`local agent stopped; waiting for it to come back (up to ${waitSpan(AGENT_WAIT_MS)})...`);
        backBy = Date.now() + AGENT_WAIT_MS;
        client = await agentBack(home, backBy);
        continue;
      }
      clear();
      if (end.state === 'done') {
        const resumed = end.resumedAt ? ` (${formatBytes(end.resumedAt)} were there already)` : '';
        if (json) printJsonLine({ event: 'done', ...end });
        else
          printLine(
            `sent ${end.files} file${end.files === 1 ? '' : 's'} (${formatBytes(end.bytes)}) to ${end.peer.name}, every one verified${resumed}; on ${end.peer.name}: clawbridge file get DIR`,
          );
        return;
      }
      if (json) printJsonLine({ event: end.state, ...end });
      // One line saying what ended it: a cancel's why already says who cancelled.
      throw new ClawError('TRANSFER_FAILED', `not sent: ${end.why ?? `the transfer ${end.state}`}`);
    }
  } catch (err) {
    // Ctrl-C while the send was being answered: the cancel's line is the one that counts.
    if (stop.interrupted) return await stop.done;
    throw err;
  } finally {
    startedId(undefined);
    stop.dispose();
    client.close();
  }
}

/**
 * Ctrl-C (and SIGTERM, a hang-up) while `file send` runs: stops the transfer, as `scp` does, with
 * `cancel`, then ends the command with status 130 (128 + SIGINT). A second one ends it at once.
 */
function interruptsCancel(cancel: () => Promise<void>): {
  readonly interrupted: boolean;
  /** Never resolves: the process exits once the cancel is done. */
  readonly done: Promise<never>;
  dispose(): void;
} {
  let interrupted = false;
  let done: Promise<never> = new Promise<never>(() => undefined);
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return exitAfterOutput(130, signal);
    interrupted = true;
    done = cancel().then(() => {
      exitAfterOutput(130, signal);
      return new Promise<never>(() => undefined);
    });
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  return {
    get interrupted() {
      return interrupted;
    },
    get done() {
      return done;
    },
    dispose: () => {
      if (interrupted) return;
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
    },
  };
}

export function registerFileCommands(program: Command): void {
  const file = program
    .command('file')
    .description('send files and folders to a peer; list and take what peers sent here')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON');

  file
    .command('send <peer> [paths...]')
    .description(
      'send files and folders (recursively) to PEER and wait until it verified every byte; an interrupted transfer carries on where it stopped; with --code, to anyone who has the code it prints (no pairing)',
    )
    .option('--code', 'offer PATH... (every argument a path) to whoever takes the one-time code printed')
    .option('--ttl <seconds>', 'with --code: how long the code may be taken (default 600)')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print progress events as JSON lines')
    .addHelpText(
      'after',
      '\nThe peer must allow it: there, `clawbridge peers allow NAME files`. Received files wait in its\nfile inbox until `clawbridge file get DIR` moves them out. Running the same `file send` again after\na failure sends only what is missing. Ctrl-C stops the transfer, as scp does: the peer removes\nwhat had arrived of it.\n\nWith --code the files go to someone who is no peer: the command prints a one-time code and a\nlink, and the other side runs `clawbridge file receive CODE-OR-LINK` (no pairing; no agent needed).\n\nExamples:\n  clawbridge file send laptop report.pdf\n  clawbridge file send nas ~/photos/2026 ~/notes.txt\n  clawbridge file send --code slides.pdf',
    )
    .action(
      async (
        peer: string,
        paths: string[],
        opts: SendOpts & { code?: boolean; ttl?: string },
        cmd: Command,
      ) => {
        const all = withGroupOpts(opts, cmd);
        if (opts.code) {
          const { sendCodeCommand } = await import('./file-code-commands.js');
          return sendCodeCommand([peer, ...paths], { ...all, ...(opts.ttl ? { ttl: opts.ttl } : {}) });
        }
        if (paths.length === 0)
          throw new ClawError(
            'BAD_ARGUMENT',
            'name what to send after the peer (or use --code to send to anyone)',
          );
        await sendCommand(peer, paths, all);
      },
    );

  file
    .command('receive <code>')
    .description(
      "take files someone offered with `file send --code`: no pairing needed; CODE is the code or the link it printed. This home's agent receives when it runs, else this process does",
    )
    .option(
      '--to <dir>',
      'where the files go (made if missing; a name there already is kept, the new one renamed)',
      '.',
    )
    .option('--relay <url>', 'the relay to meet on, for a bare code (the link names it)')
    .option('--relay-fingerprint <fp>', "with --relay: the relay's certificate fingerprint")
    .option('--home <dir>', 'node home directory: its agent receives, when it runs')
    .option('--no-agent', 'receive in this process even when an agent runs here')
    .option(
      '--no-direct',
      'reach the sender through the relay only, not at the direct addresses its offer names',
    )
    .option('--json', 'print the offer, progress and the end as JSON lines')
    .action(
      async (
        code: string,
        opts: {
          to?: string;
          relay?: string;
          relayFingerprint?: string;
          json?: boolean;
          home?: string;
          agent?: boolean;
          direct?: boolean;
        },
        cmd: Command,
      ) => {
        const { receiveCommand } = await import('./file-receive-command.js');
        // `--home` and `--json` given after `receive` are the `file` group's (withGroupOpts).
        const all = withGroupOpts(opts, cmd);
        await receiveCommand(code, { ...all, json: all.json === true });
      },
    );

  file
    .command('list')
    .description('what peers sent here and waits in the file inbox: from, names, files, size')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const list = await withAgent(all, (c) => c.call('files.list', {}));
      if (all.json) printJson(list);
      else printBlock(receivedTable(list));
    });

  file
    .command('transfers')
    .description('transfers in both directions: state, progress, why one waits or failed')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const list = await withAgent(all, (c) => c.call('files.transfers', {}));
      if (all.json) return printJson(list);
      if (list.length === 0) return printLine('no transfers');
      printBlock(
        table(
          ['ID', 'DIR', 'PEER', 'STATE', 'PROGRESS', 'WHY'],
          list.map((t) => [
            t.id,
            t.direction,
            t.peer.name,
            t.state,
            `${formatBytes(t.bytesDone)}/${formatBytes(t.bytes)}, files ${t.filesDone}/${t.files}`,
            plainPunctuation(t.why ?? ''),
          ]),
        ),
      );
    });

  file
    .command('cancel <id>')
    .description(
      'stop a transfer (either direction; the other side is told), or give up an incoming one that stopped: what arrived of it is removed',
    )
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      // Said here in the command's words: the agent's refusal names its API method and parameter.
      if (!TRANSFER_ID.test(id)) {
        throw new ClawError(
          'BAD_ARGUMENT',
          `'${id}' is not a transfer ID (32 hex characters): \`${hintCommand('file transfers', all.home)}\` lists them`,
        );
      }
      const t = await withAgent(all, (c) => c.call('files.cancel', { id }));
      if (all.json) printJson(t);
      else printLine(`transfer ${t.id}: ${t.state}${t.why ? ` (${plainPunctuation(t.why)})` : ''}`);
    });

  file
    .command('clear')
    .description(
      'forget the transfers that ended done or cancelled (failed ones stay until cancelled or sent again)',
    )
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const r = await withAgent(all, (c) => c.call('files.clear', {}));
      if (all.json) printJson(r);
      else printLine(`forgot ${r.cleared} finished transfer${r.cleared === 1 ? '' : 's'}`);
    });

  file
    .command('usage')
    .description('disk the files use here: the inbox, and each partial transfer kept in staging')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nStaging keeps what arrived of a transfer that has not finished, so that its sender can carry it on\n(for 30 days after it last moved). `clawbridge file cancel ID` gives one up and removes its bytes.',
    )
    .action(async (opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const u = await withAgent(all, (c) => c.call('files.usage', {})).catch(async (err: unknown) => {
        // All of it is on disk: read there when no agent runs.
        if (!isClawError(err, 'NO_AGENT')) throw err;
        const home = resolveHome(all.home);
        // No agent and no home either: nothing was ever kept there (the disk's own error named statfs).
        requireHome(home, 'no files to show');
        const { usageOnDisk } = await import('../files-usage.js');
        return usageOnDisk(home);
      });
      if (all.json) return printJson(u);
      printBlock(usageText(u));
    });

  file
    .command('delete <ids...>')
    .description(
      "delete what arrived in the file inbox, by the IDs `file list` shows (as the window's Delete)",
    )
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nThe files are removed from this node for good; nothing is said to the sender.\n\nExample:\n  clawbridge file list\n  clawbridge file delete 2026-03-01-09-30-12-1a2b3c',
    )
    .action(async (ids: string[], opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const r = await withAgent(all, async (c) => {
        const listed = new Set((await c.call('files.list', {})).map((m) => m.id));
        const unknown = ids.filter((id) => !listed.has(id));
        if (unknown.length > 0) {
          throw new ClawError(
            'BAD_ARGUMENT',
            `nothing received under ${unknown.join(', ')} (clawbridge file list shows the IDs); nothing deleted`,
          );
        }
        return c.call('files.delete', { ids });
      });
      if (all.json) printJson(r);
      else printLine(`deleted ${r.deleted} received ${r.deleted === 1 ? 'entry' : 'entries'}`);
    });

  file
    .command('get <dir>')
    .description('move what arrived out of the file inbox into DIR (made if missing)')
    .option('--wait', 'wait for a transfer to arrive when none has')
    .option(
      '--conflict <mode>',
      'a name that exists in DIR already: rename (name (1).ext), overwrite or skip',
      'rename',
    )
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (dir: string, opts: HomeOpts & { wait?: boolean; conflict?: string }, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const conflict = parseConflict(opts.conflict);
      const target = resolve(dir);
      const result = await withAgent(all, async (c) => {
        if (opts.wait && (await c.call('files.list', {})).length === 0) {
          if (!all.json)
            printNote('nothing received yet; waiting for a transfer to arrive (Ctrl-C stops)...');
          await new Promise<void>((resolveWait, reject) => {
            const offClose = c.onClose(() => reject(new ClawError('NO_AGENT', 'the agent stopped')));
            const off = c.onEvent((event) => {
              if (event !== 'file.received') return;
              off();
              offClose();
              resolveWait();
            });
            // One may have arrived between the list and the subscription.
            c.call('files.list', {}).then((l) => {
              if (l.length > 0) {
                off();
                offClose();
                resolveWait();
              }
            }, reject);
          });
        }
        return c.call('files.get', { dir: target, conflict });
      });
      if (all.json) return printJson(result);
      for (const m of result.moved) printLine(m.to);
      for (const s of result.skipped) printNote(`left in the inbox: ${s.name} (${s.why})`);
      for (const l of result.notKept) printNote(`link not kept: ${l.path} (${l.why})`);
      if (result.moved.length === 0 && result.skipped.length === 0) printNote('nothing received to move');
    });
}
