/**
 * Client side of the control socket, used by every CLI command except `agent` and `relay`.
 */
import { connect, type Socket } from 'node:net';
import { ClawError, isClawError, type ErrorCode } from '../core/errors.js';
import { checkPrivateDir, checkSocketOwner, socketPrivateDir } from '../agent/home-dir.js';
import type { MethodName, MethodParams, MethodResults } from './contract.js';

/** How long a CLI waits for the agent to answer one request, in ms (ping brings its own timeout). */
export const CONTROL_REQUEST_TIMEOUT_MS = 65_000;

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: { code: ErrorCode; message: string };
}

export class ControlClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private buffered = '';

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => {
      for (const p of this.pending.values())
        p.reject(new ClawError('NO_AGENT', 'the agent closed the connection'));
      this.pending.clear();
    });
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
        reject(new ClawError('TIMEOUT', `the agent did not answer ${method} in time`));
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
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      let reply: Reply;
      try {
        reply = JSON.parse(line) as Reply;
      } catch {
        continue;
      }
      const waiter = this.pending.get(reply.id);
      if (!waiter) continue;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.result);
      else
        waiter.reject(
          new ClawError(reply.error?.code ?? 'INTERNAL', reply.error?.message ?? 'unknown error'),
        );
    }
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
export function connectControlSocket(path: string, home: string): Promise<Socket> {
  const noAgent = () =>
    new ClawError(
      'NO_AGENT',
      `no agent is running for ${home}: start one with \`clawbridge agent --home ${home}\` (or open the Clawbridge app)`,
    );
  try {
    checkControlSocket(path);
  } catch (err) {
    return Promise.reject(isClawError(err) ? err : noAgent());
  }
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      socket.on('error', () => socket.destroy());
      resolve(socket);
    });
    socket.once('error', () => reject(noAgent()));
  });
}
