/**
 * Streaming methods on the control socket. The socket speaks NDJSON request/response; a request for a
 * streaming method (one a domain's contract piece lists in `streams`, such as the terminal domain's
 * `terminal.open`) is answered like any other — `{"id":1,"ok":true,"result":…}` — and from the byte
 * after that reply's newline the socket carries the method's own frames both ways (the terminal's:
 * protocol/terminal-frames.ts). An error reply ends the connection instead.
 *
 * Rules for clients: use a fresh connection, send nothing after the request line until the reply, and
 * do not subscribe to events on it. Server: control-server.ts hands request lines here first;
 * client: `requestStreamUpgrade` in stream-client.ts (no zod there: a CLI command loads it on every
 * start).
 *
 * Which methods stream, their parameter schemas and their results are what the registered domains bring
 * (contract.ts `StreamMethods`, contract-registry.ts); this module names none. Other transports (web UI
 * `/api/stream`, Electron) use the same handlers through `startStreamMethod`: validate and open, send
 * their own "opened" message with `result`, then `attach(channel)` with their ViewerChannel (or
 * `cancel()` if the viewer left meanwhile).
 */
import type { Socket } from 'node:net';
import { ClawError } from '../core/errors.js';
import type { StreamMethodName, StreamMethodParams, StreamMethodResults } from './contract.js';
import type { Contract } from './contract-registry.js';
import { apiErrorBody, requestIdOf } from './validate.js';
import { describeZodError } from '../core/zod-error.js';
import { socketChannel } from './stream-client.js';
import type { CliTerminal, ViewerChannel } from './viewer-channel.js';
import { PROCESS_PIPE_PATH, TERMINAL_DEVICE_PATH } from '../protocol/terminal-device.js';

/** What a transport checks a streaming request against: the methods the contract's pieces bring. */
export type StreamContract = Pick<Contract, 'isStreamMethod' | 'streamParamsSchema'>;

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

/**
 * Validates a streaming request against `contract` (the schema of the piece that brings the method)
 * and runs its handler, for any transport.
 * @throws ClawError('BAD_ARGUMENT') for a method no piece brings, one no domain of this agent serves,
 *   or bad params (naming the field); the handler's own ClawError otherwise (PEER_NOT_FOUND,
 *   STREAM_REJECTED…)
 */
export function startStreamMethod(
  contract: StreamContract,
  handlers: StreamUpgradeHandlers,
  method: string,
  params: unknown,
): Promise<UpgradedStream<StreamMethodName>> {
  if (!contract.isStreamMethod(method)) {
    return Promise.reject(new ClawError('BAD_ARGUMENT', `unknown streaming method '${method}'`));
  }
  const handler = handlers[method] as ((p: unknown) => Promise<UpgradedStream<StreamMethodName>>) | undefined;
  if (!handler) return Promise.reject(new ClawError('BAD_ARGUMENT', `this agent does not serve '${method}'`));
  const parsed = contract.streamParamsSchema(method).safeParse(params ?? {});
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
  contract: StreamContract,
  handlers: StreamUpgradeHandlers,
): boolean {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return false;
  }
  if (!raw || typeof raw !== 'object' || !('method' in raw) || !contract.isStreamMethod(raw.method))
    return false;
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
  startStreamMethod(contract, handlers, method, 'params' in raw ? raw.params : {}).then(
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
