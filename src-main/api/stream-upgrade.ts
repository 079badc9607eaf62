/**
 * Streaming methods on the control socket. The socket speaks NDJSON request/response; a request for a
 * streaming method (`terminal.open`) is answered like any other — `{"id":1,"ok":true,"result":…}` — and
 * from the byte after that reply's newline the socket carries the method's own frames both ways
 * (terminal frames: protocol/terminal-frames.ts). An error reply ends the connection instead.
 *
 * Rules for clients: use a fresh connection, send nothing after the request line until the reply, and
 * do not subscribe to events on it. Server: control-server.ts hands request lines here first;
 * client: `requestStreamUpgrade` below.
 *
 * Other transports (web UI `/api/stream`, Electron) use the same handlers through `startStreamMethod`:
 * validate and open, send their own "opened" message with `result`, then `attach(channel)` with their
 * ViewerChannel (or `cancel()` if the viewer left meanwhile).
 */
import type { Socket } from 'node:net';
import { z } from 'zod';
import { ClawError, type ErrorCode } from '../core/errors.js';
import { MAX_COMMAND_ARGS, MAX_TERMINAL_DIMENSION } from '../protocol/terminal-frames.js';
import type { PathKind } from '../transport/link.js';
import type { TerminalSessionState } from './contract-types.js';
import { apiErrorBody, describeZodError } from './validate.js';
import type { ViewerChannel } from './viewer-channel.js';

/** Longest reply line a client accepts before the frames start, in bytes (64 KiB; replies are small). */
export const MAX_UPGRADE_REPLY_LINE = 64 * 1024;

/** How long a client waits for the reply to a streaming request, in ms (40 s: opening may retry a path). */
export const STREAM_UPGRADE_TIMEOUT_MS = 40_000;

const dimension = z.number().int().min(1).max(MAX_TERMINAL_DIMENSION);

/** Parameter schemas of the streaming methods. */
export const streamMethodParams = {
  /** A terminal on `peer`: its shell, or `command` (argv) in a PTY; the size of the local window. */
  'terminal.open': z
    .object({
      peer: z.string().min(1).max(200),
      command: z.array(z.string().max(8192)).min(1).max(MAX_COMMAND_ARGS).optional(),
      cols: dimension,
      rows: dimension,
    })
    .strict(),
  /**
   * A viewer (back) on a session this agent keeps (`terminal.list`): its scrollback is replayed as DATA
   * frames, then live output follows; cols/rows resize the session.
   */
  'terminal.attach': z
    .object({
      id: z.string().regex(/^[0-9a-f]{16}$/, 'a terminal id is 16 hex digits'),
      cols: dimension,
      rows: dimension,
    })
    .strict(),
} as const;

export type StreamMethodName = keyof typeof streamMethodParams;
export type StreamMethodParams<M extends StreamMethodName> = z.infer<(typeof streamMethodParams)[M]>;

/** The reply's `result` for each streaming method. */
export interface StreamMethodResults {
  /**
   * The session's ID here (for `terminal.attach`, `terminal.close`), the path it started on and its
   * address (direct `host:port` or the relay URL).
   */
  'terminal.open': { id: string; path: PathKind; remote: string };
  'terminal.attach': {
    id: string;
    /** Null while the session has no stream (reconnecting, ended). */
    path: PathKind | null;
    remote: string;
    state: TerminalSessionState;
    /** Scrollback bytes replayed before live output. */
    replayBytes: number;
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
  const parsed = streamMethodParams[method].safeParse(params ?? {});
  if (!parsed.success) {
    return Promise.reject(
      new ClawError('BAD_ARGUMENT', `invalid parameters for ${method}: ${describeZodError(parsed.error)}`),
    );
  }
  return handler(parsed.data);
}

/**
 * The control socket as a ViewerChannel: the CLI writes output straight to its stdout, so it sends no
 * ACK frames (`viewerAcks: false`) and a write the socket took counts as delivered. The desktop app's
 * main process relays a window's terminal over this socket and asks for `viewerAcks: true` in its
 * request line: the window acknowledges what xterm drew, as over the web UI.
 */
export function socketChannel(socket: Socket, viewerAcks = false): ViewerChannel {
  socket.on('error', () => socket.destroy());
  return {
    viewerAcks,
    write: (bytes) => !socket.destroyed && socket.write(bytes),
    onData: (listener) => {
      socket.on('data', listener);
      return () => void socket.off('data', listener);
    },
    onDrain: (listener) => {
      socket.on('drain', listener);
      return () => void socket.off('drain', listener);
    },
    onClose: (listener) => {
      let fired = false;
      const once = () => {
        if (fired) return;
        fired = true;
        listener();
      };
      if (socket.destroyed) queueMicrotask(once);
      else socket.once('close', once);
      return () => void socket.off('close', once);
    },
    pause: () => void socket.pause(),
    resume: () => void socket.resume(),
    close: () => void socket.end(),
  };
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
  const id = 'id' in raw && Number.isInteger(raw.id) && (raw.id as number) >= 0 ? (raw.id as number) : null;
  const viewerAcks = 'viewerAcks' in raw && raw.viewerAcks === true;
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
  startStreamMethod(handlers, method, 'params' in raw ? raw.params : {}).then(
    (up) => {
      if (socket.destroyed) return up.cancel();
      socket.write(JSON.stringify({ id, ok: true, result: up.result }) + '\n');
      up.attach(socketChannel(socket, viewerAcks));
    },
    (err: unknown) => fail(err),
  );
  return true;
}

/**
 * Client side: sends a streaming request on a fresh, raw (no encoding set) control socket and waits
 * for the reply. On success the socket is paused and belongs to the caller; `rest` holds the bytes
 * that followed the reply (the first frames), to be processed before anything read later.
 * @throws ClawError with the agent's code and message on an error reply (the socket is destroyed).
 */
export function requestStreamUpgrade<M extends StreamMethodName>(
  socket: Socket,
  method: M,
  params: StreamMethodParams<M>,
  timeoutMs = STREAM_UPGRADE_TIMEOUT_MS,
  /** The viewer behind this socket acknowledges output with ACK frames (a window relayed by main). */
  viewerAcks = false,
): Promise<{ result: StreamMethodResults[M]; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const done = (err: Error | undefined, value?: { result: StreamMethodResults[M]; rest: Buffer }) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        socket.pause();
        resolve(value!);
      }
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const nl = buffered.indexOf(0x0a);
      if (nl < 0) {
        if (buffered.length > MAX_UPGRADE_REPLY_LINE)
          done(new ClawError('PROTOCOL', 'the agent sent an overlong reply'));
        return;
      }
      let reply: { ok?: unknown; result?: unknown; error?: { code?: ErrorCode; message?: string } };
      try {
        reply = JSON.parse(buffered.subarray(0, nl).toString('utf8')) as typeof reply;
      } catch {
        return done(new ClawError('PROTOCOL', `the agent sent a reply that is not JSON to ${method}`));
      }
      if (reply.ok !== true) {
        return done(new ClawError(reply.error?.code ?? 'INTERNAL', reply.error?.message ?? 'unknown error'));
      }
      done(undefined, { result: reply.result as StreamMethodResults[M], rest: buffered.subarray(nl + 1) });
    };
    const onClose = () => done(new ClawError('NO_AGENT', 'the agent closed the connection'));
    const timer = setTimeout(
      () => done(new ClawError('TIMEOUT', `the agent did not answer ${method} in time`)),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(JSON.stringify({ id: 1, method, params, ...(viewerAcks ? { viewerAcks } : {}) }) + '\n');
  });
}
