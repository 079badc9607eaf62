/**
 * Streaming methods on the control socket. The socket speaks NDJSON request/response; a request for a
 * streaming method (`terminal.open`) is answered like any other — `{"id":1,"ok":true,"result":…}` — and
 * from the byte after that reply's newline the socket carries the method's own frames both ways
 * (terminal frames: protocol/terminal-frames.ts). An error reply ends the connection instead.
 *
 * Rules for clients: use a fresh connection, send nothing after the request line until the reply, and
 * do not subscribe to events on it. Server: control-server.ts hands request lines here first;
 * client: `requestStreamUpgrade` in stream-client.ts (no zod there: a CLI command loads it on every
 * start).
 *
 * Other transports (web UI `/api/stream`, Electron) use the same handlers through `startStreamMethod`:
 * validate and open, send their own "opened" message with `result`, then `attach(channel)` with their
 * ViewerChannel (or `cancel()` if the viewer left meanwhile).
 */
import type { Socket } from 'node:net';
import { z } from 'zod';
import { ClawError } from '../core/errors.js';
import { madeOnUse } from '../core/made-on-use.js';
import { MAX_TERMINAL_OFFSET, SESSION_ID } from '../protocol/terminal-frames.js';
import { newTerminalFields, terminalDimension } from '../protocol/terminal-open-args.js';
import type { PathKind } from '../transport/link.js';
import type { TerminalSessionState } from './contract-types.js';
import { apiErrorBody, requestIdOf } from './validate.js';
import { describeZodError } from '../core/zod-error.js';
import { socketChannel } from './stream-client.js';
import type { CliTerminal, ViewerChannel } from './viewer-channel.js';
import { PROCESS_PIPE_PATH, TERMINAL_DEVICE_PATH } from '../protocol/terminal-device.js';

/** `terminal.open` for a new session. */
export const newTerminalParams = () =>
  z.object({ peer: z.string().min(1).max(200), ...newTerminalFields() }).strict();

/**
 * Parameter schemas of the streaming methods, each made on use (core/made-on-use.ts, ADR 0073): an
 * agent loads this module with every start and may open no terminal all day.
 */
export const streamMethodParams = {
  /**
   * A terminal on `peer`, asked for with the same fields as the OPEN between agents (terminal-open-args.ts
   * newTerminalFields): its shell or `command`, the local window's size and, from a terminal other than
   * the window's xterm.js, its type (the CLI's $TERM; terminal-type.ts). With `pty: false` the program
   * runs on pipes where the peer can (input byte for byte, an EOF frame closes its stdin, its stderr
   * comes as STDERR frames); `result.pty` says what the session got.
   */
  'terminal.open': madeOnUse(() =>
    newTerminalParams()
      .extend({
        /**
         * Back on a session this node had open on `peer` before its agent restarted (docs/protocol.md
         * §Resuming after the local agent restarted): the peer's session ID (the `session` of the first
         * `terminal.open`'s result), with `offset`, the output bytes the viewer has; the peer finds the
         * session by this node's identity and that ID and replays from `offset`. Only the window size and
         * `pty` (false: the session runs on pipes) go with it.
         */
        resume: z.string().regex(SESSION_ID, 'a session ID is 32 hex digits').optional(),
        offset: z.number().int().min(0).max(MAX_TERMINAL_OFFSET).optional(),
      })
      .strict()
      .superRefine((p, ctx) => {
        if ((p.resume === undefined) !== (p.offset === undefined))
          ctx.addIssue({ code: 'custom', path: ['offset'], message: 'resume and offset go together' });
        for (const key of ['command', 'term', 'echo', 'opost'] as const) {
          if (p.resume !== undefined && p[key] !== undefined)
            ctx.addIssue({ code: 'custom', path: [key], message: 'not with resume (the session has it)' });
        }
      }),
  ),
  /**
   * A viewer (back) on a session this agent keeps (`terminal.list`): its scrollback is replayed as DATA
   * frames, then live output follows; cols/rows resize the session. `from`: the output offset this
   * viewer has already shown up to (its last SESSION frame's offset plus the DATA bytes since), so a
   * window whose connection dropped gets only what it missed (ADR 0004's resume, for the viewer).
   */
  'terminal.attach': madeOnUse(() =>
    z
      .object({
        id: z.string().regex(/^[0-9a-f]{16}$/, 'a terminal id is 16 hex digits'),
        cols: terminalDimension(),
        rows: terminalDimension(),
        from: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
      })
      .strict(),
  ),
} as const;

export type StreamMethodName = keyof typeof streamMethodParams;
export type StreamMethodParams<M extends StreamMethodName> = z.infer<
  ReturnType<(typeof streamMethodParams)[M]>
>;

/** The reply's `result` for each streaming method. */
export interface StreamMethodResults {
  /**
   * The session's ID here (for `terminal.attach`, `terminal.close`), the path it started on and its
   * address (direct `host:port` or the relay URL), and whether it runs in a terminal (false: on pipes).
   */
  'terminal.open': {
    id: string;
    path: PathKind;
    remote: string;
    pty: boolean;
    /**
     * The peer's ID for the session (32 hex digits): what a viewer gives as `resume` to open it again
     * after this agent restarted. Absent from agents before it.
     */
    session?: string;
  };
  'terminal.attach': {
    id: string;
    /** Null while the session has no stream (reconnecting, ended). */
    path: PathKind | null;
    remote: string;
    state: TerminalSessionState;
    /** Scrollback bytes replayed before live output. */
    replayBytes: number;
    /**
     * Output offset of the first replayed byte (the SESSION frame's too): `from` when the scrollback
     * still held it, else the oldest byte it holds; a viewer that asked `from` and gets another offset
     * lost bytes in between and redraws from a clean screen.
     */
    offset: number;
  };
}

/** What a handler hands back once the stream is ready. */
export interface UpgradedStream<M extends StreamMethodName> {
  result: StreamMethodResults[M];
  /** Takes over the viewer's channel, right after the reply was sent; the channel is paused until then. */
  attach(channel: ViewerChannel): void;
  /** The client left before the reply could be written: release what was opened. */
  cancel(): void;
}

export type StreamUpgradeHandlers = {
  [M in StreamMethodName]?: (params: StreamMethodParams<M>) => Promise<UpgradedStream<M>>;
};

export function isStreamMethod(name: unknown): name is StreamMethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(streamMethodParams, name);
}

/**
 * Validates a streaming request and runs its handler, for any transport.
 * @throws ClawError('BAD_ARGUMENT') for an unknown method or bad params (naming the field); the
 *   handler's own ClawError otherwise (PEER_NOT_FOUND, STREAM_REJECTED…)
 */
export function startStreamMethod(
  handlers: StreamUpgradeHandlers,
  method: string,
  params: unknown,
): Promise<UpgradedStream<StreamMethodName>> {
  if (!isStreamMethod(method)) {
    return Promise.reject(new ClawError('BAD_ARGUMENT', `unknown streaming method '${method}'`));
  }
  const handler = handlers[method] as ((p: unknown) => Promise<UpgradedStream<StreamMethodName>>) | undefined;
  if (!handler) return Promise.reject(new ClawError('BAD_ARGUMENT', `this agent does not serve '${method}'`));
  const parsed = streamMethodParams[method]().safeParse(params ?? {});
  if (!parsed.success) {
    return Promise.reject(
      new ClawError('BAD_ARGUMENT', `invalid parameters for ${method}: ${describeZodError(parsed.error)}`),
    );
  }
  return handler(parsed.data);
}

/**
 * The `terminal` of a control socket's streaming request (ADR 0037): the CLI's terminal device and
 * whether its escapes apply, or (ADR 0038) its stdin and stdout pipes; an Error saying what is wrong
 * otherwise. Pure.
 */
export function cliTerminalOf(value: unknown): CliTerminal | Error {
  if (!value || typeof value !== 'object')
    return new Error('expected {path, escapes} or {path, escapes, output}');
  const { path, escapes, output } = value as Record<string, unknown>;
  if (typeof escapes !== 'boolean') return new Error('escapes: expected true or false');
  if (output === undefined) {
    if (typeof path !== 'string' || !TERMINAL_DEVICE_PATH.test(path))
      return new Error('path: expected a terminal device such as /dev/pts/3');
    if (Object.keys(value).length !== 2) return new Error('only path, escapes and output');
    return { path, escapes };
  }
  if (typeof path !== 'string' || !PROCESS_PIPE_PATH.test(path))
    return new Error('path: with output, expected a pipe such as /proc/1234/fd/0');
  if (typeof output !== 'string' || !PROCESS_PIPE_PATH.test(output))
    return new Error('output: expected a pipe such as /proc/1234/fd/1');
  if (escapes) return new Error('escapes: there are none on pipes');
  if (Object.keys(value).length !== 3) return new Error('only path, escapes and output');
  return { path, escapes, output };
}

/**
 * Server side: takes over `socket` when `line` requests a streaming method. Returns false (and touches
 * nothing) for any other line. `rest` is whatever the client sent after the line.
 */
export function acceptStreamUpgrade(
  socket: Socket,
  line: string,
  rest: string,
  handlers: StreamUpgradeHandlers,
): boolean {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return false;
  }
  if (!raw || typeof raw !== 'object' || !('method' in raw) || !isStreamMethod(raw.method)) return false;
  const method = raw.method;
  const id = requestIdOf(raw);
  const viewerAcks = 'viewerAcks' in raw && raw.viewerAcks === true;
  const terminal = 'terminal' in raw ? cliTerminalOf(raw.terminal) : undefined;
  socket.pause();
  const fail = (err: unknown) => {
    if (!socket.destroyed) socket.end(JSON.stringify({ id, ok: false, error: apiErrorBody(err) }) + '\n');
  };
  const refuse = (message: string) => {
    fail(new ClawError('BAD_ARGUMENT', message));
    return true;
  };
  if (id === null) return refuse('malformed request: id: expected a whole number');
  if (rest.trim() !== '') return refuse(`send nothing after a ${method} request until its reply`);
  if (terminal instanceof Error) return refuse(`malformed request: terminal: ${terminal.message}`);
  startStreamMethod(handlers, method, 'params' in raw ? raw.params : {}).then(
    (up) => {
      if (socket.destroyed) return up.cancel();
      socket.write(JSON.stringify({ id, ok: true, result: up.result }) + '\n');
      up.attach(socketChannel(socket, viewerAcks, terminal));
    },
    (err: unknown) => fail(err),
  );
  return true;
}

export {
  MAX_UPGRADE_REPLY_LINE,
  STREAM_UPGRADE_TIMEOUT_MS,
  requestStreamUpgrade,
  socketChannel,
} from './stream-client.js';
