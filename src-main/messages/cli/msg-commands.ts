/**
 * `clawbridge msg …`: messages between programs on paired nodes (ADR 0046) — send, listen,
 * inbox, outbox, delete, and request/reply with ask and serve. A client of the running agent like
 * every command here; the waiting, listening and asking are the messages domain's client side
 * (messages/client/), which the client library (messages/client/agent-client.ts) shares.
 */
import type { Command } from 'commander';
import type { InboxMessage, OutboxMessage } from '../messages-contract.js';
import {
  bodyBytes,
  bodyFromBytes,
  checkBodySizes,
  splitLines,
  type AwaitedState,
  type BodyParams,
} from '../message-bodies.js';
import {
  DEFAULT_WAIT_MS,
  MessagesClient,
  MessageStateError,
  PartlyQueuedError,
} from '../client/messages-client.js';
import { parseDuration } from '../../core/duration.js';
import { ClawError } from '../../core/errors.js';
import { uuidV7Problem } from '../../core/uuid-v7.js';
import {
  DEFAULT_TOPIC,
  MAX_MESSAGE_BODY_BYTES,
  topicProblem,
  ttlProblem,
} from '../../protocol/message-frames.js';
import { withAgent, withGroupOpts, type HomeOpts } from '../../cli/client-commands.js';
import { inboxTable, messageLine, messageText, outboxTable, sentLine } from './msg-format.js';
import {
  printBlock,
  printBlockToStderr,
  printJson,
  printJsonLine,
  printLine,
  printNote,
  printText,
  stdoutFlushed,
  useJsonLines,
} from '../../cli/output.js';
import { exitAfterOutput } from '../../cli/output-errors.js';
import { checkProgram, runForReply, stopRunning } from './run-for-reply.js';
import { listenUntilStopped } from './msg-listen-loop.js';

/**
 * Most input `send --lines` reads, in bytes (64 MiB): what the outbox holds undelivered for one peer
 * (ADR 0046), so more could not be queued anyway.
 */
export const LINES_INPUT_MAX_BYTES = 64 * 1024 * 1024;
/** How long `serve` lets its command run for one message unless told otherwise (60 s). */
export const SERVE_TIMEOUT_MS = 60_000;

interface SendOpts extends HomeOpts {
  topic?: string;
  ttl?: string;
  wait?: string;
  timeout?: string;
  lines?: boolean;
}

interface FilterOpts extends HomeOpts {
  topic?: string;
  from?: string;
}

/** `--topic`, checked here so a typo fails before anything is sent. */
export function parseTopic(topic: string | undefined): string | undefined {
  if (topic === undefined) return undefined;
  const problem = topicProblem(topic);
  if (problem) throw new ClawError('BAD_ARGUMENT', `--topic: ${problem}`);
  return topic;
}

/** `--ttl` in ms (1 s – 30 days), or undefined for the agent's default (7 days). */
export function parseTtl(ttl: string | undefined): number | undefined {
  if (ttl === undefined) return undefined;
  const ms = parseDuration(ttl, '--ttl');
  const problem = ttlProblem(ms);
  if (problem) throw new ClawError('BAD_ARGUMENT', `--ttl: ${problem}`);
  return ms;
}

/** `--wait delivered|read` and its `--timeout` (default 30 s); a timeout without a wait is a mistake. */
export function parseSendWait(
  wait: string | undefined,
  timeout: string | undefined,
): { wait?: AwaitedState; timeoutMs: number } {
  if (wait === undefined) {
    if (timeout !== undefined) {
      throw new ClawError(
        'BAD_ARGUMENT',
        '--timeout is how long --wait waits: give --wait delivered or --wait read',
      );
    }
    return { timeoutMs: DEFAULT_WAIT_MS };
  }
  if (wait !== 'delivered' && wait !== 'read') {
    throw new ClawError('BAD_ARGUMENT', `--wait takes delivered or read, got '${wait}'`);
  }
  return { wait, timeoutMs: parseTimeout(timeout) };
}

/** `--timeout` in ms (default 30 s). */
export function parseTimeout(timeout: string | undefined, fallback = DEFAULT_WAIT_MS): number {
  if (timeout === undefined) return fallback;
  const ms = parseDuration(timeout, '--timeout');
  if (ms <= 0) throw new ClawError('BAD_ARGUMENT', `--timeout must be more than 0, got '${timeout}'`);
  return ms;
}

/** Message IDs as typed, checked and without repeats. */
export function parseIds(ids: readonly string[]): string[] {
  for (const id of ids) {
    const problem = uuidV7Problem(id);
    if (problem) throw new ClawError('BAD_ARGUMENT', `'${id}' is no message ID: ${problem}`);
  }
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}

/**
 * All of stdin, up to `max` bytes.
 * @throws ClawError('BAD_ARGUMENT') with `tooMuch` once more came
 */
async function readStdin(max: number, tooMuch: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new ClawError('BAD_ARGUMENT', tooMuch);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The bodies `send` (and `ask`) sends: TEXT, else all of stdin as one, or with --lines one per line.
 * Every one is checked against the 1 MiB limit before anything is queued.
 */
export async function bodiesToSend(text: string | undefined, lines: boolean): Promise<BodyParams[]> {
  if (text !== undefined && lines) {
    throw new ClawError('BAD_ARGUMENT', 'give TEXT or --lines (each line of stdin is a message), not both');
  }
  // Typed at a terminal, stdin ends only with Ctrl-D: say so, rather than seem to hang.
  if (text === undefined && process.stdin.isTTY) {
    printNote(
      lines
        ? 'type the messages, one per line, and end them with Ctrl-D'
        : 'type the message and end it with Ctrl-D (or give it as TEXT)',
    );
  }
  const bodies =
    text !== undefined
      ? [{ text }]
      : lines
        ? splitLines(
            await readStdin(
              LINES_INPUT_MAX_BYTES,
              '--lines reads at most 64 MiB of input (what the outbox holds for one peer): nothing was queued',
            ),
          ).map(bodyFromBytes)
        : [
            bodyFromBytes(
              await readStdin(
                MAX_MESSAGE_BODY_BYTES,
                `stdin holds more than 1 MiB (${MAX_MESSAGE_BODY_BYTES} bytes), the most a message body holds: nothing was queued`,
              ),
            ),
          ];
  checkBodySizes(bodies);
  return bodies;
}

/** Prints the messages `send` queued: their IDs, or with --json one object per line. */
function printSent(list: readonly OutboxMessage[], json: boolean | undefined): void {
  for (const m of list) {
    if (json) printJsonLine(sentLine(m));
    else printLine(m.id);
  }
}

/**
 * Ends the command when its output could not be written (`msg listen | head -1` once head has its
 * line): as `cat` ends, with the status output-errors.ts gives it, and the message whose line was
 * lost is not marked read. Never resolves.
 */
function endForLostOutput(): Promise<never> {
  exitAfterOutput(0);
  return new Promise<never>(() => undefined);
}

export function registerMsgCommands(program: Command): void {
  const msg = program
    .command('msg')
    .description(
      'messages between programs on paired nodes: send, listen, ask, serve (needs a running agent)',
    )
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON');

  msg
    .command('send <peer> [text]')
    .description(
      'queue a message for a peer (TEXT, else all of stdin; bytes that are not UTF-8 go as they are)',
    )
    .option('--topic <topic>', 'the topic (default: default)')
    .option('--ttl <duration>', 'how long it may wait to be delivered, 1s to 30d (default 7d)')
    .option('--lines', 'each line of stdin is one message')
    .option(
      '--wait <receipt>',
      'exit only once it was delivered (or read by a program there): delivered or read',
    )
    .option('--timeout <duration>', 'how long --wait waits (default 30s)')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print {"id","peer","topic","state"} per message, one per line')
    .action(async (peer: string, text: string | undefined, opts: SendOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      if (all.json) useJsonLines();
      const topic = parseTopic(opts.topic);
      const ttlMs = parseTtl(opts.ttl);
      const { wait, timeoutMs } = parseSendWait(opts.wait, opts.timeout);
      const bodies = await bodiesToSend(text, opts.lines === true);
      if (bodies.length === 0) return; // --lines with no line: nothing to send
      await withAgent(all, async (c) => {
        const client = new MessagesClient(c);
        // Before the first send: a receipt may come before the send's own answer.
        if (wait) client.followEvents();
        const sendOpts = {
          ...(topic !== undefined ? { topic } : {}),
          ...(ttlMs !== undefined ? { ttlMs } : {}),
        };
        // --lines: in requests of up to 1,000 lines, each one disk flush on the agent; a line the
        // outbox cannot take stops the rest (the IDs of those queued are printed before the error).
        let sent: OutboxMessage[];
        try {
          sent = await client.sendMany(peer, bodies, sendOpts);
        } catch (err) {
          if (err instanceof PartlyQueuedError) printSent(err.queued, all.json);
          throw err;
        }
        if (!wait) return printSent(sent, all.json);
        try {
          printSent(
            await client.waitFor(
              sent.map((m) => m.id),
              wait,
              timeoutMs,
            ),
            all.json,
          );
        } catch (err) {
          // What became of each: the IDs (for `msg outbox` and `msg delete`) before the error line.
          if (err instanceof MessageStateError) {
            const now = new Map(err.messages.map((m) => [m.id, m]));
            printSent(
              sent.map((m) => now.get(m.id) ?? m),
              all.json,
            );
          }
          throw err;
        }
      });
    });

  msg
    .command('listen')
    .description(
      'print messages as they arrive, unread ones first, each marked read once printed; Ctrl-C stops',
    )
    .option('--topic <topic>', 'only this topic')
    .option('--from <peer>', 'only from this peer (a name or fingerprint)')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print one JSON object per message, one per line')
    .addHelpText(
      'after',
      '\nIt runs until stopped: when the agent restarts it waits for it and carries on, each message\nprinted once. Two listeners on one topic both get every message (each marks what it printed\nread): to share work out, give each its own topic.',
    )
    .action(async (opts: FilterOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      if (all.json) useJsonLines();
      const topic = parseTopic(opts.topic);
      // Across restarts of the agent too, each message printed once (msg-listen-loop.ts).
      await listenUntilStopped(all, (client, memory) =>
        client.listen(
          {
            ...(topic !== undefined ? { topic } : {}),
            ...(opts.from !== undefined ? { from: opts.from } : {}),
            memory,
          },
          async (m) => {
            if (all.json) printJsonLine(messageLine(m));
            else printLine(messageText(m));
            // Read means printed: the receipt goes once the line is out, not while it waits in a pipe.
            if (!(await stdoutFlushed())) await endForLostOutput();
          },
        ),
      );
    });

  msg
    .command('inbox')
    .description('list received messages, oldest first (marks nothing read)')
    .option('--unread', 'only messages no program has taken yet')
    .option('--topic <topic>', 'only this topic')
    .option('--from <peer>', 'only from this peer (a name or fingerprint)')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (opts: FilterOpts & { unread?: boolean }, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const topic = parseTopic(opts.topic);
      const list = await withAgent(all, (c) =>
        new MessagesClient(c).listAll({
          ...(opts.unread ? { unread: true } : {}),
          ...(topic !== undefined ? { topic } : {}),
          ...(opts.from !== undefined ? { from: opts.from } : {}),
        }),
      );
      if (all.json) printJson(list);
      else printBlock(inboxTable(list));
    });

  msg
    .command('outbox')
    .description(
      'list sent messages, oldest first: the state of each (queued, sent, delivered, read, expired, refused) and why',
    )
    .option('--peer <peer>', 'only to this peer')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOpts & { peer?: string }, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const list = await withAgent(all, (c) =>
        new MessagesClient(c).outboxAll(opts.peer !== undefined ? { peer: opts.peer } : {}),
      );
      if (all.json) printJson(list);
      else printBlock(outboxTable(list));
    });

  msg
    .command('delete <ids...>')
    .description('remove messages from the inbox or the outbox (one not yet delivered is not sent)')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (raw: string[], opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const ids = parseIds(raw);
      const deleted = await withAgent(all, (c) => new MessagesClient(c).delete(ids));
      if (all.json) printJson({ deleted });
      else printLine(`deleted ${deleted} message${deleted === 1 ? '' : 's'}`);
      if (deleted < ids.length) {
        printNote(`${ids.length - deleted} of the IDs given are in neither the inbox nor the outbox`);
        process.exitCode = 1;
      }
    });

  msg
    .command('ask <peer> [text]')
    .description(
      'send a message (TEXT, else stdin) and wait for one reply; print it; exit 1 on an error reply',
    )
    .option('--topic <topic>', 'the topic a `msg serve` there answers (default: default)')
    .option('--timeout <duration>', 'how long to wait for the reply (default 30s)')
    .option(
      '--ttl <duration>',
      'how long a server there may still answer it (default: the --timeout, so none runs it once you stop waiting)',
    )
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print the reply as one JSON object')
    .action(async (peer: string, text: string | undefined, opts: SendOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      if (all.json) useJsonLines();
      const topic = parseTopic(opts.topic);
      const ttlMs = parseTtl(opts.ttl);
      const timeoutMs = parseTimeout(opts.timeout);
      const [body] = await bodiesToSend(text, false);
      const reply = await withAgent(all, (c) =>
        new MessagesClient(c).ask(peer, body!, {
          timeoutMs,
          ...(topic !== undefined ? { topic } : {}),
          ...(ttlMs !== undefined ? { ttlMs } : {}),
        }),
      );
      printReply(reply, all.json);
    });

  msg
    .command('serve <command...>')
    .description(
      'answer each message on a topic by running COMMAND (after --, no shell) with the body on stdin; its stdout is the reply; Ctrl-C stops',
    )
    .option('--topic <topic>', 'the topic to answer (default: default, as `msg ask` sends)')
    .option('--from <peer>', 'only messages from this peer')
    .option('--timeout <duration>', 'how long the command may run for one message (default 60s)')
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print one JSON object per answered message')
    .addHelpText(
      'after',
      "\nA non-zero exit, a signal or a timeout is replied as an error (its status and stderr), which\n`msg ask` prints and exits 1 on. Messages are answered one at a time, unread ones first; each is\nmarked read once its reply is queued. A question past its TTL (by default, its asker stopped\nwaiting) is not run: it is left unread to expire. Replies to this node's own questions are left to\n`msg ask`. It carries on across agent restarts; stopped (Ctrl-C, SIGTERM), it ends the command\nrunning and what that command started.\n\nExamples:\n  clawbridge msg serve --topic upper -- tr a-z A-Z\n  clawbridge msg serve --topic status --from laptop -- uptime",
    )
    .action(
      async (command: string[], opts: FilterOpts & { topic?: string; timeout?: string }, cmd: Command) => {
        const all = withGroupOpts(opts, cmd);
        if (all.json) useJsonLines();
        // The topic `msg ask` (and `send`) uses when given none: a serve started the same way answers it.
        const topic = parseTopic(opts.topic) ?? DEFAULT_TOPIC;
        const timeoutMs = parseTimeout(opts.timeout, SERVE_TIMEOUT_MS);
        const [program, ...args] = command as [string, ...string[]];
        checkProgram(program);
        // However serve ends (an error too), the command answering then does not outlive it.
        process.once('exit', () => stopRunning('SIGTERM'));
        await listenUntilStopped(
          all,
          (client, memory) =>
            client.serve(
              { topic, ...(opts.from !== undefined ? { from: opts.from } : {}), memory },
              async (m) => {
                const run = await runForReply(program, args, bodyBytes(m), timeoutMs);
                return run.ok
                  ? { body: bodyFromBytes(run.stdout) }
                  : { body: { text: run.why }, error: true };
              },
              (m, reply, error) => {
                if (all.json)
                  printJsonLine({ id: m.id, from: m.from, topic: m.topic, reply: reply.id, error });
                else
                  printLine(
                    `answered ${m.id} from ${m.from.name}${error ? ' with an error' : ''}: reply ${reply.id}`,
                  );
              },
              (m) => {
                if (all.json) printJsonLine({ id: m.id, from: m.from, topic: m.topic, expired: m.expiresAt });
                else
                  printLine(
                    `not answered: ${m.id} from ${m.from.name} expired at ${m.expiresAt} (its asker stopped waiting); left unread`,
                  );
              },
            ),
          // The command answering now, and whatever it started, ends with the server.
          () => stopRunning('SIGTERM'),
        );
      },
    );
}

/** `ask`'s reply: its body on stdout, or an error reply on stderr with exit status 1. */
function printReply(reply: InboxMessage, json: boolean | undefined): void {
  if (json) printJsonLine(messageLine(reply));
  if (reply.error) {
    printNote(`${reply.from.name} answered with an error:`);
    printBlockToStderr(bodyBytes(reply).toString('utf8').trimEnd());
    process.exitCode = 1;
    return;
  }
  if (json) return;
  // As it came: a line break is added only for a person's terminal, so a pipe gets the reply's bytes.
  if (reply.text !== undefined) printText(reply.text, process.stdout.isTTY === true);
  else {
    printNote('the reply is not text: printed as base64 (`--json` gives it as "base64")');
    printLine(reply.base64 ?? '');
  }
}
