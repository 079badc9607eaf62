/**
 * Streaming methods (the terminal domain's terminals) over the web UI's `/api/stream` WebSocket, one
 * socket per stream (docs/web-ui.md "Terminal streams"): the token, then
 * `{"type":"open","method":"terminal.open","params":…}` → `{"type":"opened","result":…}` (or
 * `{"type":"error",…}` and a close); from then on binary messages carrying the method's frames both
 * ways, handed to its handler as a ViewerChannel.
 */
import type { RawData, WebSocket } from 'ws';
import { z } from 'zod';
import type { Disposer } from '../../core/emitter.js';
import { ClawError } from '../../core/errors.js';
import { startStreamMethod, type StreamContract, type StreamUpgradeHandlers } from '../stream-upgrade.js';
import { apiErrorBody } from '../validate.js';
import { describeZodError } from '../../core/zod-error.js';
import { madeOnUse } from '../../core/made-on-use.js';
import type { ViewerChannel } from '../viewer-channel.js';
import {
  CLOSE_UNSUPPORTED_DATA,
  MAX_SEND_BACKLOG_BYTES,
  sendJson,
  textOf,
  type UiSessions,
} from './ws-session.js';

/** Unsent bytes above which write() returns false and the writer waits for onDrain (256 KiB). */
export const STREAM_HIGH_WATER_BYTES = 256 * 1024;

/**
 * Bytes a page may send before anything reads them (before `opened`), in bytes (1 MiB: a page types
 * ahead a little, it does not stream before the terminal exists).
 */
export const MAX_EARLY_BYTES = 1024 * 1024;

/** Close code for a page that breaks the stream's rules (RFC 6455 policy violation). */
const CLOSE_POLICY = 1008;

/** Made on use (core/made-on-use.ts, ADR 0073): a page opens a terminal now and then. */
const openMessage = madeOnUse(() =>
  z.object({ type: z.literal('open'), method: z.string().max(64), params: z.unknown() }),
);

/**
 * A WebSocket as a ViewerChannel: binary messages in and out, backpressure from the socket's unsent
 * bytes, and `viewerAcks` because the page acknowledges output once xterm has drawn it. Messages that
 * arrive before anyone listens are kept, up to MAX_EARLY_BYTES.
 */
export function webSocketChannel(ws: WebSocket): ViewerChannel {
  const data = new Set<(bytes: Uint8Array) => void>();
  const drain = new Set<() => void>();
  const closed = new Set<() => void>();
  const early: Uint8Array[] = [];
  let earlyBytes = 0;
  let waitingForDrain = false;
  const listen = <T>(set: Set<T>, l: T): Disposer => {
    set.add(l);
    return () => set.delete(l);
  };
  ws.on('message', (msg: RawData, isBinary: boolean) => {
    if (!isBinary) return ws.close(CLOSE_UNSUPPORTED_DATA, 'terminal frames travel as binary messages');
    const bytes = toBytes(msg);
    if (data.size === 0) {
      early.push(bytes);
      earlyBytes += bytes.byteLength;
      if (earlyBytes > MAX_EARLY_BYTES)
        ws.close(CLOSE_POLICY, 'too many terminal frames before the stream opened');
    }
    for (const l of data) l(bytes);
  });
  ws.once('close', () => {
    for (const l of closed) l();
  });
  return {
    viewerAcks: true,
    write(bytes) {
      if (ws.readyState !== ws.OPEN) return true; // onClose follows; nothing to wait for
      ws.send(bytes, { binary: true }, () => {
        if (waitingForDrain && ws.bufferedAmount < STREAM_HIGH_WATER_BYTES) {
          waitingForDrain = false;
          for (const l of drain) l();
        }
      });
      // A writer that ignores false must not grow memory without bound either.
      if (ws.bufferedAmount > MAX_SEND_BACKLOG_BYTES) ws.terminate();
      if (ws.bufferedAmount < STREAM_HIGH_WATER_BYTES) return true;
      waitingForDrain = true;
      return false;
    },
    onData(l) {
      const dispose = listen(data, l);
      earlyBytes = 0;
      for (const bytes of early.splice(0)) l(bytes);
      return dispose;
    },
    onDrain: (l) => listen(drain, l),
    onClose: (l) => {
      if (ws.readyState === ws.CLOSED) queueMicrotask(l);
      return listen(closed, l);
    },
    // While paused the socket is not read at all, a close from the page included: it is seen on resume.
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    close: () => ws.close(1000),
  };
}

function toBytes(msg: RawData): Uint8Array {
  if (Array.isArray(msg)) return Buffer.concat(msg);
  return msg instanceof ArrayBuffer ? new Uint8Array(msg) : msg;
}

/**
 * Serves one `/api/stream` socket, checking the open against `contract` (the streaming methods the
 * agent's contract pieces bring, with their schemas). `handlers` undefined or without the method: the
 * open is refused with a reason (this agent does not serve it over the web UI).
 */
export function serveStreamSocket(
  ws: WebSocket,
  contract: StreamContract,
  handlers: StreamUpgradeHandlers | undefined,
  sessions: UiSessions,
  tokenOffered = false,
): void {
  sessions.admit(
    ws,
    () => {
      ws.once('message', (raw: RawData, isBinary: boolean) => {
        void open(ws, textOf(raw, isBinary), contract, handlers).catch((err: unknown) => {
          sendJson(ws, { type: 'error', error: apiErrorBody(err) });
          ws.close(1000);
        });
      });
    },
    tokenOffered,
  );
}

async function open(
  ws: WebSocket,
  text: string | undefined,
  contract: StreamContract,
  handlers: StreamUpgradeHandlers | undefined,
): Promise<void> {
  let raw: unknown;
  try {
    raw = JSON.parse(text ?? '');
  } catch {
    throw new ClawError(
      'BAD_ARGUMENT',
      'the first message after auth must be {"type":"open",…} as JSON text',
    );
  }
  const msg = openMessage().safeParse(raw);
  if (!msg.success) throw new ClawError('BAD_ARGUMENT', `malformed open: ${describeZodError(msg.error)}`);
  // Made before the stream opens, so frames a page sends early wait in it (the socket keeps being read
  // meanwhile: a paused socket would not see the page's close either, and the open would not be cancelled).
  const channel = webSocketChannel(ws);
  const stream = await startStreamMethod(contract, handlers ?? {}, msg.data.method, msg.data.params);
  if (ws.readyState !== ws.OPEN) return stream.cancel();
  sendJson(ws, { type: 'opened', result: stream.result });
  stream.attach(channel);
}
