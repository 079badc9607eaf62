/**
 * Client side of the control socket, used by every CLI command except `agent` and `relay`, and by the
 * desktop app's main process to reach the agent it hosts in a utility process (electron/agent-client.ts).
 */
import { statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { offerPipeProof, pipeProofNeeded, readPipeKey } from '../home/pipe-proof.js';
import { commandArgs, hereHint } from '../core/hint.js';
import { ClawError, isClawError } from '../core/errors.js';
import { checkPrivateDir, checkSocketOwner, socketPrivateDir } from '../home/home-dir.js';
import { errorFromReply, type ErrorReply } from './error-reply.js';
import type {
  ApiEvents,
  EventOptions,
  MethodName,
  MethodParams,
  MethodResults,
  StreamMethodName,
  StreamMethodParams,
  StreamMethodResults,
} from './contract.js';
import { subscribeLines } from './event-options.js';
// The client's half only: stream-upgrade.ts loads zod, which a CLI command should not pay for.
import { requestStreamUpgrade, socketChannel } from './stream-client.js';
import type { ViewerChannel } from './viewer-channel.js';

/** How long a CLI waits for the agent to answer one request, in ms (ping brings its own timeout). */
export const CONTROL_REQUEST_TIMEOUT_MS = 65_000;

interface Reply {
  /** null on an error line that answers no request (the agent refusing the connection). */
  id: number | null;
  ok: boolean;
  result?: unknown;
  error?: ErrorReply;
}

/** A pushed event line (after `"subscribe"`): `{event, data}`. */
interface EventLine {
  event: string;
  data: unknown;
}

/** Receives the contract's events (ApiEvents), as the agent pushed them. */
export type ControlEventListener = <E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => void;

export class ControlClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private buffered = '';
  private readonly eventListeners = new Set<ControlEventListener>();
  private subscribed = false;
  /** An error line for no request (`id: null`): why the agent is about to close this connection. */
  private refused: Promise<ClawError> | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => {
      const waiting = [...this.pending.values()];
      this.pending.clear();
      this.eventListeners.clear();
      // The refusal is decoded off the hot path (errorFromReply): the waiters hear it once it is.
      const rejectAll = (why: Error) => {
        for (const p of waiting) p.reject(why);
      };
      (this.refused ?? Promise.resolve(new ClawError('NO_AGENT', 'the agent closed the connection'))).then(
        rejectAll,
        (err: unknown) => rejectAll(err instanceof Error ? err : new Error(String(err))),
      );
    });
  }

  /** True once the connection is gone (the agent stopped, or close() was called). */
  get closed(): boolean {
    return this.socket.destroyed;
  }

  /** Once, when the connection ends for any reason. */
  onClose(listener: () => void): () => void {
    if (this.socket.destroyed) {
      queueMicrotask(listener);
      return () => undefined;
    }
    this.socket.once('close', listener);
    return () => void this.socket.off('close', listener);
  }

  /**
   * Subscribes this connection to the agent's events (the `"subscribe"` line of control-server.ts; the
   * agent then pushes a `status` event at once). Returns a disposer for `listener`. The first call's
   * `options` are the connection's (ADR 0059): with `messageStates: 'batched'` outbox changes come as
   * `message.states` events — from an older agent, which does not know the option, as `message.state`
   * ones, so a listener that asks for them takes both; with `messages: 'batched'` arriving messages
   * come as `messages` events, or from an older agent as `message` ones (ADR 0122).
   */
  onEvent(listener: ControlEventListener, options?: EventOptions): () => void {
    if (!this.subscribed && !this.socket.destroyed) {
      // The requests first: the first an agent takes subscribes it, and it lets the rest go; an older
      // one refuses those naming options it does not know (their replies have no waiter here), and
      // the oldest are subscribed by the bare line (subscribeLines).
      this.socket.write(subscribeLines(() => this.nextId++, options));
    }
    this.subscribed = true;
    this.eventListeners.add(listener);
    return () => void this.eventListeners.delete(listener);
  }

  /** @throws ClawError('NO_AGENT') with what to do when no agent listens on `path`. */
  static async connect(path: string, home: string): Promise<ControlClient> {
    return new ControlClient(await connectControlSocket(path, home));
  }

  call<M extends MethodName>(
    method: M,
    params: MethodParams<M>,
    timeoutMs = CONTROL_REQUEST_TIMEOUT_MS,
  ): Promise<MethodResults[M]> {
    const id = this.nextId++;
    this.socket.write(JSON.stringify({ id, method, params }) + '\n');
    return new Promise<MethodResults[M]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new ClawError(
            'TIMEOUT',
            `the agent did not answer ${method} within ${Math.round(timeoutMs / 1000)} s: it runs, but is stuck, suspended (kill -STOP, a sleeping VM) or overloaded`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as MethodResults[M]);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  close(): void {
    this.socket.end();
  }

  private onData(chunk: string): void {
    // Only the new chunk is searched for the next newline (what was buffered holds none): searching
    // the whole buffer again made a long line (a `messages.sendMany` answer) in many chunks cost
    // quadratic time. Lines are cut from one string by position: a chunk of many lines is scanned once.
    let nl = chunk.indexOf('\n');
    if (nl < 0) {
      this.buffered += chunk;
      return;
    }
    const from = this.buffered.length;
    const text = from > 0 ? this.buffered + chunk : chunk;
    let start = 0;
    for (nl += from; nl >= 0; nl = text.indexOf('\n', start)) {
      const line = text.slice(start, nl);
      start = nl + 1;
      this.onLine(line);
    }
    this.buffered = text.slice(start);
  }

  private onLine(line: string): void {
    let reply: Reply | EventLine;
    try {
      reply = JSON.parse(line) as Reply | EventLine;
    } catch {
      return;
    }
    if ('event' in reply) {
      if (typeof reply.event === 'string') this.emitEvent(reply);
      return;
    }
    if (reply.id === null) {
      if (!reply.ok) this.refused = errorFromReply(reply.error);
      return;
    }
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.result);
    else
      errorFromReply(reply.error).then(
        (err) => waiter.reject(err),
        (err: unknown) => waiter.reject(err instanceof Error ? err : new Error(String(err))),
      );
  }

  private emitEvent(line: EventLine): void {
    // The agent is trusted to send ApiEvents (it is our own process); the listener checks what it uses.
    const emit = (l: ControlEventListener) =>
      (l as (event: string, data: unknown) => void)(line.event, line.data);
    for (const l of [...this.eventListeners]) emit(l);
  }
}

/**
 * Before connecting (Unix): the socket must be one of ours, and a socket outside the home must be in a
 * private directory of ours — else another user could have bound it first and would get our requests.
 * @throws ClawError('CONFIG_INVALID') saying whose it is; fs errors (no socket: ENOENT) as they are
 */
export function checkControlSocket(path: string): void {
  if (process.platform === 'win32') return;
  const dir = socketPrivateDir(path);
  if (dir !== undefined) checkPrivateDir(dir);
  checkSocketOwner(path);
}

/**
 * A raw connection to the agent's control socket (no encoding set), for requests that upgrade the
 * socket to a stream (api/stream-upgrade.ts); `ControlClient.connect` builds on it.
 * @throws ClawError('NO_AGENT') with what to do when no agent listens on `path`;
 *   ClawError('CONFIG_INVALID') when the socket or its directory belongs to someone else (checkControlSocket)
 */
export async function connectControlSocket(
  path: string,
  home: string,
  proof = pipeProofNeeded(path, process.platform),
): Promise<Socket> {
  const socket = await dialControlSocket(path, home);
  // A Windows named pipe: prove this user's key, and check the agent's, before anything is sent
  // (pipe-proof.ts; docs/security.md §Another user on the same machine).
  if (proof) await offerPipeProof(socket, readPipeKey(home));
  return socket;
}

function dialControlSocket(path: string, home: string): Promise<Socket> {
  const noAgent = () =>
    // A file given as the home: no agent can run there, so starting one is no advice.
    statSync(home, { throwIfNoEntry: false })?.isDirectory() === false
      ? new ClawError(
          'CONFIG_INVALID',
          `${home} is a file, not a clawbridge home: give --home the directory an agent keeps its identity in`,
        )
      : new ClawError(
          'NO_AGENT',
          ...commandArgs(
            `no agent is running for ${home}: start one with `,
            hereHint(['agent', '--home', home]),
            ' (or open the Clawbridge app)',
          ),
        );
  // Not allowed to look or to connect: an agent may well run there, under another user.
  const denied = (err: NodeJS.ErrnoException) =>
    new ClawError(
      'CONFIG_INVALID',
      `cannot reach the agent of ${home}: ${err.code === 'EPERM' ? 'operation not permitted' : 'permission denied'} on ${err.path ?? path}; run the command as the user that owns that home, or use your own --home`,
    );
  const isDenied = (err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM';
  };
  try {
    checkControlSocket(path);
  } catch (err) {
    if (isClawError(err)) return Promise.reject(err);
    return Promise.reject(isDenied(err) ? denied(err as NodeJS.ErrnoException) : noAgent());
  }
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      socket.on('error', () => socket.destroy());
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => reject(isDenied(err) ? denied(err) : noAgent()));
  });
}

/**
 * Opens a streaming method (terminal.open / terminal.attach) on a fresh control connection and hands
 * back its byte channel (api/stream-upgrade.ts). The channel starts paused: bytes that came with the
 * reply go to the first onData listener, and the rest flow after resume(). With `viewerAcks` the agent
 * waits for the viewer's ACK frames before counting output as delivered (a window relayed by main).
 * @throws ClawError('NO_AGENT') when nothing listens; the agent's ClawError for a refused open
 */
export async function openControlStream<M extends StreamMethodName>(
  path: string,
  home: string,
  method: M,
  params: StreamMethodParams<M>,
  viewerAcks: boolean,
): Promise<{ result: StreamMethodResults[M]; channel: ViewerChannel }> {
  const socket = await connectControlSocket(path, home);
  const { result, rest } = await requestStreamUpgrade(socket, method, params, undefined, viewerAcks);
  return { result, channel: withFirstBytes(socketChannel(socket, viewerAcks), rest) };
}

/** `channel`, whose first onData listener also gets `first` (read along with the upgrade's reply). */
function withFirstBytes(channel: ViewerChannel, first: Uint8Array): ViewerChannel {
  let pending: Uint8Array | undefined = first.byteLength > 0 ? first : undefined;
  return {
    ...channel,
    viewerAcks: channel.viewerAcks,
    onData(listener) {
      const dispose = channel.onData(listener);
      const bytes = pending;
      pending = undefined;
      if (bytes) listener(bytes);
      return dispose;
    },
  };
}
