/**
 * The client's side of streaming methods on the control socket (stream-upgrade.ts has the protocol
 * and the server's side): the request, its reply line, and the socket as a ViewerChannel afterwards.
 * It loads no schema library, so a CLI command that opens a terminal starts quickly.
 */
import type { Socket } from 'node:net';
import { ClawError } from '../core/errors.js';
import { errorFromReply, type ErrorReply } from './error-reply.js';
import type { StreamMethodName, StreamMethodParams, StreamMethodResults } from './contract.js';
import type { CliTerminal, ViewerChannel } from './viewer-channel.js';

/** Longest reply line a client accepts before the frames start, in bytes (64 KiB; replies are small). */
export const MAX_UPGRADE_REPLY_LINE = 64 * 1024;

/** How long a client waits for the reply to a streaming request, in ms (40 s: opening may retry a path). */
export const STREAM_UPGRADE_TIMEOUT_MS = 40_000;

/**
 * The control socket as a ViewerChannel: the CLI writes output straight to its stdout, so it sends no
 * ACK frames (`viewerAcks: false`) and a write the socket took counts as delivered. The desktop app's
 * main process relays a window's terminal over this socket and asks for `viewerAcks: true` in its
 * request line: the window acknowledges what xterm drew, as over the web UI.
 */
export function socketChannel(socket: Socket, viewerAcks = false, cliTerminal?: CliTerminal): ViewerChannel {
  socket.on('error', () => socket.destroy());
  return {
    viewerAcks,
    ...(cliTerminal ? { cliTerminal } : {}),
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
  /** The CLI's terminal, offered for direct I/O (ADR 0037); an agent that predates it ignores it. */
  cliTerminal?: CliTerminal,
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
      let reply: { ok?: unknown; result?: unknown; error?: ErrorReply };
      try {
        reply = JSON.parse(buffered.subarray(0, nl).toString('utf8')) as typeof reply;
      } catch {
        return done(new ClawError('PROTOCOL', `the agent sent a reply that is not JSON to ${method}`));
      }
      if (reply.ok !== true) {
        // The reply is whole: nothing read or closed after it matters while its error is decoded (the
        // agent ends the socket right after an error reply).
        socket.off('data', onData);
        socket.off('close', onClose);
        errorFromReply(reply.error).then(
          (err) => done(err),
          (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
        );
        return;
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
    const extras = {
      ...(viewerAcks ? { viewerAcks } : {}),
      ...(cliTerminal ? { terminal: cliTerminal } : {}),
    };
    socket.write(JSON.stringify({ id: 1, method, params, ...extras }) + '\n');
  });
}
