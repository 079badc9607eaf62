/**
 * `clawbridge term PEER [-- COMMAND ARGS…]`: a terminal on a peer in this one. With a TTY on both stdin
 * and stdout the local terminal goes raw, input and output (every key goes to the remote side but the
 * escape sequences of term-escape.ts), the remote program gets a PTY and is told its type, it follows
 * window resizes, and the local terminal is restored on exit. Otherwise (or with -T) the remote program
 * runs on pipes, as with `ssh host cmd`: input byte for byte and end-of-file when it ends, its stdout on
 * stdout and its stderr on stderr. Notes go to stderr, and the exit status is the remote program's (128 +
 * signal number when a signal ended it). `term shares` and `term unshare ID` are about shared terminals
 * instead, unless a peer has that name (term-shares.ts).
 */
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { exitAfterOutput, outputFailureOf } from '../../cli/output-errors.js';
import { printNote } from '../../cli/output.js';
import { STOP_SIGNALS } from '../../cli/stop-signals.js';
import type { Socket } from 'node:net';
import { Readable, type Duplex } from 'node:stream';
import type { Command } from 'commander';
import { connectControlSocket } from '../../api/control-client.js';
import { EOF_CHAR, endOfInput } from '../end-of-input.js';
import { ESCAPE_HELP, EscapeFilter } from '../term-escape.js';
import { AGENT_WAIT_MS, reopenWhenBack, waitSpan } from '../../cli/term-reattach.js';
import { ownPipePaths, ownTerminalPath, stopReading } from './term-direct.js';
import { SharerSizeNotice } from './sharer-size.js';
import type { CliTerminal } from '../../api/viewer-channel.js';
import type { StreamMethodParams } from '../../api/contract.js';
import { requestStreamUpgrade } from '../../api/stream-client.js';
import { ClawError, errorMessage } from '../../core/errors.js';
import { controlSocketPath, resolveHome } from '../../home/home-dir.js';
import {
  encodeDataFrames,
  encodeTerminalFrame,
  MAX_TERMINAL_DIMENSION,
  TERMINAL_TYPE_NAME,
  TerminalFrameDecoder,
  type ExitStatus,
  type TerminalFrame,
} from '../../protocol/terminal-frames.js';

/** Window size sent when stdout is not a terminal (the classic 80 × 24). */
export const DEFAULT_COLS = 80;
export const DEFAULT_ROWS = 24;

/** Exit status after `~.` (ssh's when its connection is closed). */
export const LEFT_BY_ESCAPE_STATUS = 255;

/** The local exit status for a remote one: its code (clamped to 255), or 128 + the signal's number. */
export function localExitCode(status: ExitStatus): number {
  if ('code' in status) return Math.min(status.code, 255);
  const n = (constants.signals as Record<string, number | undefined>)[status.signal];
  return 128 + (n ?? 1);
}

export function registerTermCommand(program: Command): void {
  program
    .command('term <peer> [command...]')
    .description(
      "open a terminal on a peer: its shell, or the command after -- (its exit status becomes clawbridge's)",
    )
    .option('--home <dir>', 'node home directory')
    .option('--no-escape', 'no escape sequences (~. ~~ ~?): every key goes to the remote program')
    .option(
      '--no-direct',
      'read and write this terminal (with -t on pipes: these pipes) here, not in the agent (which otherwise does, one process fewer per key)',
    )
    .option('-t, --tty', 'run the remote program in a terminal even when stdin or stdout is not one')
    .option('-T, --no-tty', 'run the remote program on pipes, without a terminal, even in a terminal')
    .option(
      '-n, --no-stdin',
      'read nothing from stdin: its input ends at once (for `term` in the background, like ssh -n)',
    )
    .addHelpText(
      'after',
      "\nThe remote program gets a terminal when stdin and stdout are both one here (or with -t); otherwise\nit runs on pipes: input arrives byte for byte and ends when this side's ends, and its stderr comes\nback on stderr.\n\nTyped first on a line, ~. leaves the session (when the peer stopped answering), ~~ sends ~, and\n~? lists these.\n\nExamples:\n  clawbridge term office\n  clawbridge term office -- sh -c 'uname -a'\n  clawbridge term office -- tar -C /srv -cf - data | tar -xf -\n  clawbridge term office -- sh -c 'cat > notes.txt' < notes.txt",
    )
    .action(
      async (
        peer: string,
        command: string[],
        opts: { home?: string; escape: boolean; tty?: boolean; stdin: boolean; direct: boolean },
      ) => {
        if (peer === 'shares' || peer === 'unshare') {
          // Loaded for these words only: a terminal's start loads no table code.
          const { runShareWord, shareWord } = await import('./term-shares.js');
          const word = shareWord(peer, command);
          if (word && (await runShareWord(word, { ...(opts.home ? { home: opts.home } : {}) }))) return;
        }
        const home = resolveHome(opts.home);
        const cliTerminal = opts.direct && opts.stdin ? directOffer(opts.tty, opts.escape) : undefined;
        const request = async (params: StreamMethodParams<'terminal.open'>, track?: (s: Socket) => void) => {
          const socket = await connectControlSocket(controlSocketPath(home), home);
          track?.(socket);
          const { result, rest } = await requestStreamUpgrade(
            socket,
            'terminal.open',
            params,
            undefined,
            false,
            cliTerminal,
          );
          return { socket, rest, result };
        };
        const open = async (extras: LocalTerminal) => {
          const params = { peer, ...(command.length > 0 ? { command } : {}), ...windowSize(), ...extras };
          const { socket, rest, result } = await request(params);
          // An agent that predates `pty` says nothing: it always runs a PTY.
          return { socket, rest, pty: result.pty !== false, session: result.session };
        };
        if (asksForBoth(process.argv.slice(2))) {
          throw new ClawError('BAD_ARGUMENT', '-t asks for a terminal and -T for none: give one of them');
        }
        // -n: an empty input that ends at once, so a background `term` never reads the terminal (SIGTTIN).
        const stdin: LocalInput = opts.stdin ? process.stdin : Readable.from([]);
        const extras = localTerminal(process.env, stdin.isTTY === true, process.stdout.isTTY, opts.tty);
        // An agent started before an upgrade does not know these yet: open without them rather than fail.
        const { socket, rest, pty, session } = await open(extras).catch((err: unknown) => {
          if (Object.keys(extras).length > 0 && isUnknownTermParam(err)) return open({});
          throw err;
        });
        // After the agent restarted: the same session on the peer, from the output byte we are at.
        const reopen =
          session === undefined
            ? undefined
            : (offset: number, track: (s: Socket) => void) =>
                request({ peer, resume: session, offset, ...windowSize(), ...(pty ? {} : { pty }) }, track);
        const code = await runTerminal(socket, rest, stdin, { escapes: opts.escape, peer, pty, reopen });
        exitAfterOutput(code, endedBy);
      },
    );
}

/**
 * What `term` offers its agent for direct I/O (ADR 0037, 0038), when stdin is read (no -n): its
 * terminal, for a session in a terminal (no -T); else, with -t, its stdin and stdout pipes.
 */
function directOffer(tty: boolean | undefined, escapes: boolean): CliTerminal | undefined {
  if (tty === false) return undefined;
  const path = ownTerminalPath();
  if (path) return { path, escapes };
  const pipes = tty === true ? ownPipePaths() : undefined;
  return pipes ? { ...pipes, escapes: false } : undefined;
}

/**
 * True when the options before `--` give both -t/--tty and -T/--no-tty (commander would let the last
 * one win in silence). Short options may be grouped (`-tn`). Pure.
 */
export function asksForBoth(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  const options = (end < 0 ? args : args.slice(0, end)).filter((a) => a.startsWith('-'));
  const short = (letter: string) => options.some((a) => /^-[A-Za-z]+$/.test(a) && a.includes(letter));
  return (short('t') || options.includes('--tty')) && (short('T') || options.includes('--no-tty'));
}

/** The signal that ended the session, if one did (a hang-up ends the process its own way). */
let endedBy: NodeJS.Signals | undefined;

/** Where typed or piped input comes from: process.stdin, or nothing at all (-n). */
type LocalInput = Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/** Takes the session up again on a restarted agent, from output byte `offset` (term-reattach.ts). */
type Reopen = (offset: number, track: (s: Socket) => void) => Promise<{ socket: Socket; rest: Buffer }>;

/** Typed input kept while the agent is away, in bytes (64 KiB); past that, stdin is no longer read. */
const HELD_INPUT_BYTES = 64 * 1024;

/**
 * Runs the session on an upgraded socket until it ends; resolves with the local exit status. `pty`:
 * the remote program has a terminal (else it runs on pipes). With a PTY, a local TTY and `escapes`,
 * `~.` and friends work (term-escape.ts). With `reopen`, an agent that goes away mid-session is waited
 * for and the session taken up again on its return (term-reattach.ts). `watching`: this terminal
 * watches a shared one (`sessions join`): it sends no size, and hears the sharer's (sharer-size.ts).
 */
export function runTerminal(
  first: Duplex,
  rest: Buffer,
  stdin: LocalInput,
  {
    escapes,
    peer,
    pty,
    reopen,
    watching = false,
  }: {
    escapes: boolean;
    peer: string;
    pty: boolean;
    reopen?: Reopen | undefined;
    watching?: boolean;
  },
): Promise<number> {
  const { stdout, stderr } = process;
  const raw = pty && stdin.isTTY === true;
  if (raw) stdin.setRawMode?.(true);
  if (raw && stdout.isTTY) rawOutput();
  const restore = () => {
    if (raw && stdin.isTTY) stdin.setRawMode?.(false);
  };
  process.once('exit', restore);
  // Notes quote the agent and the peer (a reason, a path): printNote shows their controls escaped.
  const note = (line: string) => printNote(line, raw ? { before: '\r\n', after: '\r\n' } : {});
  const sharer = watching
    ? new SharerSizeNotice(() => (stdout.isTTY ? windowSize() : undefined), note)
    : undefined;

  return new Promise<number>((resolve) => {
    let socket = first;
    let decoder = new TerminalFrameDecoder();
    let finished = false;
    /** Output bytes received (DATA and STDERR): where a resume after an agent restart starts. */
    let received = 0;
    /** Input bytes sent to the agent; on pipes, a resume is safe only before the first. */
    let inputSent = 0;
    let inputEnded = false;
    /** Set while the agent is away: typed input waits here. */
    let held: Buffer[] | undefined;
    let lastInput = 0x0a;
    /** The last byte the remote program wrote here: a closing note starts on a line of its own. */
    let lastOutput = 0x0a;
    let eofAgain = false;
    /** The agent reads and writes this terminal itself (ADR 0037): set from DIRECT_START on. */
    let direct = false;
    /** Output bytes the agent wrote on this terminal over the current socket (DIRECT_WRITTEN). */
    let directWritten = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      endedBy = signal;
      finish(128 + (constants.signals[signal] ?? 1));
    };
    const finish = (code: number, message?: string) => {
      if (finished) return;
      finished = true;
      restore();
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
      stdin.pause();
      socket.destroy();
      held = undefined;
      // On a terminal (cooked again: "\n" is a new line), after output that did not end its line, the
      // note starts a line of its own.
      const newline = stdout.isTTY && lastOutput !== 0x0a ? '\n' : '';
      if (message) printNote(message, { before: newline });
      resolve(code);
    };
    const onFrame = (frame: TerminalFrame) => {
      switch (frame.type) {
        case 'data':
          if (eofAgain) {
            eofAgain = false;
            send(Buffer.of(EOF_CHAR));
          }
          return toLocal(stdout, frame.data);
        case 'stderr':
          return toLocal(stderr, frame.data);
        case 'status':
          return void note(
            frame.state === 'reconnecting'
              ? `reconnecting... (${frame.detail})`
              : `reconnected ${frame.detail}`,
          );
        case 'exit': {
          const s = frame.status;
          return finish(
            localExitCode(s),
            'signal' in s ? `the remote program was ended by ${s.signal}` : undefined,
          );
        }
        case 'error':
          return finish(1, frame.message);
        case 'direct-start':
          // Stop reading the terminal and say so: whatever was read before went first on the socket.
          direct = true;
          stopReading(stdin);
          return void socket.write(encodeTerminalFrame({ type: 'direct-ready' }));
        case 'direct-written':
          directWritten = frame.offset;
          lastOutput = frame.last;
          return;
        case 'direct-left':
          return finish(LEFT_BY_ESCAPE_STATUS, `left the session (~.); ${peer} hangs it up`);
        case 'resize':
          if (!sharer) return finish(1, 'the agent sent an unexpected RESIZE frame');
          return sharer.sharerSized(frame);
        case 'direct-failed': {
          // The agent could not write our output: end as that write error would have ended us.
          const failure = outputFailureOf(Object.assign(new Error(frame.code), { code: frame.code }));
          return finish(failure.status, failure.message);
        }
        default:
          return finish(1, `the agent sent an unexpected ${frame.type.toUpperCase()} frame`);
      }
    };
    // Output waits for a full local pipe: the agent's ACKs then stop, and so does the remote program.
    const toLocal = (out: NodeJS.WriteStream, data: Uint8Array) => {
      received += data.length;
      if (data.length > 0) lastOutput = data[data.length - 1]!;
      if (!out.write(data) && !socket.isPaused()) {
        socket.pause();
        out.once('drain', () => socket.resume());
      }
    };
    const onData = (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) {
          if (finished) return;
          onFrame(frame);
        }
      } catch (err) {
        finish(1, `bad terminal frame from the agent: ${errorMessage(err)}`);
      }
    };
    const send = (bytes: Uint8Array) => {
      if (held) {
        held.push(Buffer.from(bytes));
        if (held.reduce((n, b) => n + b.length, 0) >= HELD_INPUT_BYTES) stdin.pause();
        return;
      }
      inputSent += bytes.length;
      let ok = true;
      for (const frame of encodeDataFrames(bytes)) ok = socket.write(frame);
      if (!ok) {
        stdin.pause();
        socket.once('drain', () => !finished && stdin.resume());
      }
    };

    // A signal that ends the CLI restores the local terminal and hangs up the session first.
    for (const s of STOP_SIGNALS) process.once(s, onSignal);
    const use = (s: Duplex, bytes: Buffer) => {
      socket = s;
      decoder = new TerminalFrameDecoder();
      s.on('data', onData);
      s.on('close', () => {
        if (s === socket) agentGone();
      });
      if (bytes.length > 0) onData(bytes);
      s.resume();
    };
    // The agent went away without ending the session (killed, crashed): the peer keeps the program for
    // its resume window, so wait for the agent to come back and take the session up there.
    const agentGone = () => {
      if (finished) return;
      // What the agent wrote here counts; this side reads the terminal again (`~.` must work meanwhile).
      received += directWritten;
      directWritten = 0;
      if (direct) {
        direct = false;
        stdin.resume();
      }
      // On pipes, input the peer may or may not have had cannot be told apart: no resume then.
      if (!reopen || (!pty && inputSent > 0))
        return finish(1, 'the agent closed the terminal (did it stop?)');
      held = [];
      note(`local agent stopped; waiting for it to come back (up to ${waitSpan(AGENT_WAIT_MS)})...`);
      reopenWhenBack((track) => reopen(received, track), peer, { stopped: () => finished }).then(
        (back) => {
          if (finished) return void back.socket.destroy();
          const input = held ?? [];
          held = undefined;
          use(back.socket, back.rest);
          note(`local agent is back; carried on with the terminal on ${peer}`);
          for (const chunk of input) send(chunk);
          if (inputEnded && !pty) socket.write(encodeTerminalFrame({ type: 'eof' }));
          if (!finished) stdin.resume();
        },
        (err: unknown) => finish(1, errorMessage(err)),
      );
    };
    use(first, rest);

    const filter = raw && escapes ? new EscapeFilter() : undefined;
    stdin.on('data', (chunk: Buffer) => {
      if (finished || chunk.length === 0) return;
      lastInput = chunk[chunk.length - 1]!;
      if (!filter) return send(chunk);
      const typed = filter.push(chunk);
      if (typed.send.length > 0) send(typed.send);
      for (const action of typed.actions) {
        if (action === 'help') stderr.write(`\r\n${ESCAPE_HELP}`);
        else finish(LEFT_BY_ESCAPE_STATUS, `left the session (~.); ${peer} hangs it up`);
      }
    });
    // Without a TTY, the end of our input becomes Ctrl-D at the remote side (twice after a partial
    // line: the first only hands that line over), so `cat` and friends see end-of-file. A shell that
    // is still starting discards it (bash drops input that comes before its first prompt), so one more
    // Ctrl-D follows the next output — on a pipe, end-of-file is there for every later read too.
    // On pipes the end of our input closes the program's stdin (an EOF frame).
    stdin.on('end', () => {
      if (finished || raw) return;
      inputEnded = true;
      if (!pty) return void (held ? undefined : socket.write(encodeTerminalFrame({ type: 'eof' })));
      send(endOfInput(lastInput));
      eofAgain = true;
    });
    stdin.on('error', () => undefined);
    // Whoever reads our output went away (`term b -- yes | head -1`): stop, as a program killed by
    // SIGPIPE would, and hang up; a full disk or another write error stops it too, and the command
    // fails saying why (output-errors.ts, which also catches an error that comes after the exit).
    const onOutputError = (err: NodeJS.ErrnoException) => finish(outputFailureOf(err).status);
    stdout.on('error', onOutputError);
    stderr.on('error', onOutputError);
    // Node turns SIGWINCH into 'resize' on a TTY stdout. A viewer's size is nobody's to follow.
    if (stdout.isTTY && pty) {
      stdout.on('resize', () => {
        if (finished) return;
        if (sharer) sharer.localResized();
        else if (!held) socket.write(encodeTerminalFrame({ type: 'resize', ...windowSize() }));
      });
    }
    // Unless the agent took the terminal with the first bytes it sent (DIRECT_START): not read here then.
    if (!direct) stdin.resume();
  });
}

/**
 * Turns off the local terminal's output processing (OPOST) once stdin is raw. Node's raw mode (libuv's
 * UV_TTY_MODE_RAW) leaves it on, so each "\n" from the peer reached the screen as "\r\n": a full-screen
 * program over there (vim, less, htop) that moves the cursor down with a bare "\n" saw it jump to the
 * first column. The peer's own PTY already did the output processing its program asked for; ssh's
 * client leaves its terminal fully raw too. setRawMode(false) restores the terminal libuv saved before
 * raw mode, OPOST included (and Node restores it at exit, even after a crash). POSIX only: without
 * `stty` the output stays processed, as before.
 */
function rawOutput(): void {
  if (process.platform === 'win32') return;
  spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
}

/**
 * This terminal's type ($TERM) for the remote program, when stdout is a terminal and TERM is a plain
 * terminfo name; undefined otherwise (the peer then uses xterm-256color). Output to a pipe or a file
 * has no terminal to describe.
 */
export function localTerminalType(
  env: NodeJS.ProcessEnv = process.env,
  isTTY = process.stdout.isTTY === true,
): string | undefined {
  const term = env.TERM;
  return isTTY && term && TERMINAL_TYPE_NAME.test(term) ? term : undefined;
}

/** What `terminal.open` is told about the local side besides its size. */
export type LocalTerminal = { term?: string; echo?: false; opost?: false; pty?: false };

/**
 * The local side for `terminal.open`: no terminal at all (`pty: false`, the program runs on pipes as
 * with `ssh host cmd`) unless stdin and stdout are both terminals, or `tty` says otherwise (-t / -T);
 * this terminal's type; and, for a peer that can only run a PTY, which ends are pipes — piped input is
 * not echoed back (`echo: false`), and output to a pipe or a file gets no "\r" before each "\n"
 * (`opost: false`). Pure.
 */
export function localTerminal(
  env: NodeJS.ProcessEnv = process.env,
  stdinIsTTY = process.stdin.isTTY === true,
  stdoutIsTTY = process.stdout.isTTY === true,
  tty?: boolean,
): LocalTerminal {
  const term = localTerminalType(env, stdoutIsTTY);
  const pipes = tty === false || (tty === undefined && !(stdinIsTTY && stdoutIsTTY));
  return {
    ...(term ? { term } : {}),
    ...(stdinIsTTY ? {} : { echo: false as const }),
    ...(stdoutIsTTY ? {} : { opost: false as const }),
    ...(pipes ? { pty: false as const } : {}),
  };
}

/** The agent refused `term`, `echo`, `opost` or `pty` as an unknown parameter (it predates them). */
export function isUnknownTermParam(err: unknown): boolean {
  return (
    err instanceof ClawError &&
    err.code === 'BAD_ARGUMENT' &&
    /["'](term|echo|opost|pty)["']/.test(err.message)
  );
}

/** The local window's size, within what the protocol carries; 80 × 24 when stdout is not a terminal. */
export function windowSize(): { cols: number; rows: number } {
  const { stdout } = process;
  if (!stdout.isTTY) return { cols: DEFAULT_COLS, rows: DEFAULT_ROWS };
  const clamp = (n: number | undefined, dflt: number) =>
    Math.min(MAX_TERMINAL_DIMENSION, Math.max(1, n || dflt));
  return { cols: clamp(stdout.columns, DEFAULT_COLS), rows: clamp(stdout.rows, DEFAULT_ROWS) };
}
