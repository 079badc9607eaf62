/**
 * The agent's side of the session host (host-server.ts, docs/adr/0022-session-host.md): finds the
 * host of this home and adopts it, or starts one (so it outlives the agent), and opens session
 * connections on it. The CLI agent starts the host detached (spawnDetachedHost); the desktop app's
 * agent asks main, which forks it as a utility process (electron/session-host-launcher.ts).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { offerPipeProof } from '../../home/pipe-proof.js';
import { ClawError, errorMessage, isClawError } from '../../core/errors.js';
import { Emitter, type Disposer } from '../../core/emitter.js';
import {
  encodeHostMessage,
  hostMessageDecoder,
  hostReply,
  parseHostMessage,
  agentChannelMessage,
  readFirstMessage,
  type HostedSession,
  type HostRequest,
  type HostReply,
  HOST_PROTOCOL_VERSION,
} from './host-protocol.js';

/**
 * How long a started host may take to answer on its socket, in ms (60 s). 10 s was too short on a
 * machine with both cores taken by other work (a load of 20: the host's start, run from sources by the
 * tests, took longer), and a host that cannot start says why in its log long before.
 */
const HOST_START_MS = 60_000;
/** Pause between attempts to reach a host being started, in ms. */
const HOST_POLL_MS = 50;

/**
 * The session host's socket, beside the control socket (so in the same private directory, and no
 * longer than it: it fits wherever the control socket fits). Pure.
 */
export function sessionHostSocketPath(controlSocket: string): string {
  if (controlSocket.startsWith('\\\\.\\pipe\\')) return `${controlSocket}-sessions`;
  if (controlSocket.endsWith('/agent.sock')) return controlSocket.replace(/agent\.sock$/, 'pty.sock');
  return controlSocket.replace(/\.sock$/, '.pty');
}

/**
 * The host's entry for code at `self` (this module's file): host-main.js beside it in tsc's dist/
 * (beside host-client.js), host-main.ts run through tsx from the sources, or, in the CLI's bundle
 * (dist/cli/bundle/, where this code sits in a chunk), host-main.cjs, the host's bundle of its own
 * (scripts/vite-host.config.ts, ADR 0105). Pure.
 */
export function hostEntry(self: string): { file: string; execArgv: string[] } {
  const fromSource = self.endsWith('.ts');
  const besideTscOutput = basename(dirname(self)) === 'session-host';
  return {
    file: join(
      dirname(self),
      fromSource ? 'host-main.ts' : besideTscOutput ? 'host-main.js' : 'host-main.cjs',
    ),
    execArgv: fromSource ? ['--import', 'tsx'] : [],
  };
}

export interface HostClientOptions {
  socketPath: string;
  /** Where the host writes its log (opened 0600, appended). */
  logPath: string;
  log: Logger;
  /**
   * Starts a host (then the client polls its socket for up to HOST_START_MS). Default: spawnDetachedHost, the
   * CLI's way; the desktop app's agent asks main instead (its binary cannot run Node scripts).
   */
  startHost?: () => void;
  /** The pipe.key file the host reads (Windows; see proofKey). */
  keyFile?: string | undefined;
  /** The home's pipe.key, on Windows: proved on every connection (home/pipe-proof.ts). */
  proofKey?: Buffer | undefined;
}

/** `gone`: a session ended; `lost`: the host itself went away (every session with it). */
type Events = { gone: [string]; lost: [] };

export class SessionHostClient {
  private readonly events = new Emitter<Events>();
  private channel: Socket | undefined;
  private connecting: Promise<HostedSession[]> | undefined;
  /** This agent closed its channel on purpose (closeAll with `bye`). */
  private leaving = false;
  /** The host's PID (the agent logs it). */
  pid: number | undefined;

  constructor(private readonly opts: HostClientOptions) {}

  /** The host went away (it died, or was killed): its sessions are gone too. */
  onLost(listener: () => void): Disposer {
    return this.events.on('lost', listener);
  }

  /** A session the host ended (exit, hang-up, not resumed in time). */
  onGone(listener: (id: string) => void): Disposer {
    return this.events.on('gone', listener);
  }

  /**
   * Adopts the running host, or with `start` starts one and adopts it; resolves with the sessions it
   * already has (those of an agent before this one), none when there is no host and `start` is false.
   * Called again once the host is gone, it starts a new one.
   */
  adopt(start: boolean): Promise<HostedSession[]> {
    if (this.channel && !this.channel.destroyed) return Promise.resolve([]);
    this.connecting ??= this.connectChannel(start).finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** A new session; resolves with its ID and the connection that carries its terminal frames. */
  async create(
    req: Extract<HostRequest, { op: 'create' }>,
  ): Promise<{ id: string; socket: Socket; rest: Buffer }> {
    const r = await this.request(req);
    if (!r.reply.ok) throw new ClawError('BAD_ARGUMENT', r.reply.message);
    return { id: r.reply.id!, socket: r.socket, rest: r.rest };
  }

  /**
   * Attaches to session `req.id`, or says why the host cannot (`gone`: no such session, or the offset;
   * `refused`: the host did not take the request as it is, as a host of an older release refuses a
   * field it does not know).
   */
  async attach(
    req: Extract<HostRequest, { op: 'attach' }>,
  ): Promise<
    | { ok: true; socket: Socket; rest: Buffer }
    | { ok: false; gone: boolean; refused: boolean; message: string }
  > {
    const r = await this.request(req);
    if (!r.reply.ok) {
      const { code, message } = r.reply;
      return { ok: false, gone: code === 'SESSION_GONE', refused: code === 'BAD_REQUEST', message };
    }
    return { ok: true, socket: r.socket, rest: r.rest };
  }

  /**
   * A watcher's connection to session `id` (docs/adr/0123-shared-terminals.md), or why not: the
   * session is gone, or the host (of an older release) does not know the request.
   */
  async watch(id: string): Promise<{ socket: Socket; rest: Buffer }> {
    const r = await this.request({ op: 'watch', id });
    if (r.reply.ok) return { socket: r.socket, rest: r.rest };
    const why =
      r.reply.code === 'BAD_REQUEST'
        ? 'the session host here predates shared terminals; the terminal must be opened again after the agent restarts'
        : `the terminal has ended (${r.reply.message})`;
    throw new ClawError('TERMINAL_LOST', why);
  }

  close(id: string, reason: string): void {
    this.channel?.write(encodeHostMessage({ op: 'close', id, reason }));
  }

  /** Hangs up every session; with `bye`, the host exits once they are gone (the agent stops on purpose). */
  closeAll(reason: string, bye = false): Promise<void> {
    const channel = this.channel;
    if (!channel || channel.destroyed) return Promise.resolve();
    if (bye) this.leaving = true;
    return new Promise((resolve) => {
      channel.end(encodeHostMessage({ op: 'closeAll', reason, ...(bye ? { bye } : {}) }), () => resolve());
    });
  }

  /**
   * Sends `req` on a new connection and reads the reply. A host that died a moment ago may not have
   * been noticed yet (its socket file is still there): then the channel is dropped, a new host is
   * started and the request is sent once more — any request that did not reach the host, and an
   * attach in any case (it changes nothing the second one would not).
   */
  private async request(req: HostRequest): Promise<{ reply: HostReply; socket: Socket; rest: Buffer }> {
    try {
      return await this.requestOnce(req);
    } catch (err) {
      if (!(err instanceof HostUnreachable) && req.op !== 'attach') throw err;
      this.dropChannel();
      return await this.requestOnce(req);
    }
  }

  /** Gives up on a channel whose host is gone, not yet closed: its sessions are lost now. */
  private dropChannel(): void {
    const channel = this.channel;
    if (!channel) return;
    this.channel = undefined; // first: its 'close' then finds it no longer current and says nothing
    channel.destroy();
    this.events.emit('lost');
  }

  private async requestOnce(req: HostRequest): Promise<{ reply: HostReply; socket: Socket; rest: Buffer }> {
    if (!this.channel || this.channel.destroyed) await this.adopt(true);
    let socket: Socket;
    try {
      // Half-open: the host's FIN after EXIT must not end our side too, or the client's FIN that
      // follows (hosted-sessions.ts sends it as CLIENT_FIN) could not be written, and the host would
      // take the closed socket for a lost agent and keep the session for the resume window.
      socket = await dial(this.opts.socketPath, this.opts.proofKey, true);
    } catch (err) {
      throw new HostUnreachable(errorMessage(err));
    }
    socket.write(encodeHostMessage(req));
    try {
      const { message, rest } = await readFirstMessage(socket, hostReply());
      return { reply: message, socket, rest };
    } catch (err) {
      socket.destroy();
      throw new ClawError('INTERNAL', `the session host did not answer: ${errorMessage(err)}`);
    }
  }

  private async connectChannel(start: boolean): Promise<HostedSession[]> {
    let socket: Socket;
    try {
      socket = await dial(this.opts.socketPath, this.opts.proofKey);
    } catch (err) {
      // Something answers but cannot prove the home's key (another user's pipe): not a missing host.
      if (isClawError(err)) throw err;
      // No host (no file, or a stale one nobody listens on): sessions of no agent before this one.
      if (!start) return [];
      try {
        (
          this.opts.startHost ??
          (() => spawnDetachedHost(this.opts.socketPath, this.opts.logPath, this.opts.log, this.opts.keyFile))
        )();
      } catch (err) {
        throw new ClawError('INTERNAL', `the session host could not be started: ${errorMessage(err)}`);
      }
      socket = await this.waitForHost();
    }
    socket.write(encodeHostMessage({ op: 'agent', v: HOST_PROTOCOL_VERSION }));
    const { message, rest } = await readFirstMessage(socket, hostReply()).catch((err: unknown) => {
      socket.destroy();
      throw new ClawError('INTERNAL', `the session host did not answer: ${errorMessage(err)}`);
    });
    if (!message.ok) {
      socket.destroy();
      throw new ClawError('INTERNAL', `the session host refused this agent: ${message.message}`);
    }
    this.pid = message.pid;
    this.channel = socket;
    const decoder = hostMessageDecoder();
    const onData = (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) {
          const m = parseHostMessage(frame, agentChannelMessage());
          if (m.op === 'gone') this.events.emit('gone', m.id);
        }
      } catch (err) {
        this.opts.log.warn(`session host sent a bad message: ${errorMessage(err)}`);
        socket.destroy();
      }
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.channel !== socket) return;
      this.channel = undefined;
      // Ended by this agent (closeAll on its way out) is no loss; anything else is the host gone.
      if (!this.leaving) this.events.emit('lost');
    });
    if (rest.length > 0) onData(rest);
    socket.resume();
    this.opts.log.info({ pid: this.pid, sessions: message.sessions?.length ?? 0 }, 'session host adopted');
    return message.sessions ?? [];
  }

  private async waitForHost(): Promise<Socket> {
    const deadline = Date.now() + HOST_START_MS;
    for (;;) {
      try {
        return await dial(this.opts.socketPath, this.opts.proofKey);
      } catch (err) {
        if (Date.now() > deadline) {
          throw new ClawError(
            'INTERNAL',
            `the session host did not start (${errorMessage(err)}); see ${this.opts.logPath}`,
          );
        }
        await new Promise((r) => setTimeout(r, HOST_POLL_MS));
      }
    }
  }
}

/**
 * Starts the host with this process's Node, detached (its own session and process group): `kill -9`
 * of the agent spares it. The CLI agent's way; stdout and stderr go to `logPath` (0600, appended).
 */
export function spawnDetachedHost(socketPath: string, logPath: string, log: Logger, keyFile?: string): void {
  const { file, execArgv } = hostEntry(fileURLToPath(import.meta.url));
  const logFd = openSync(logPath, 'a', 0o600);
  try {
    const child = spawn(process.execPath, [...execArgv, file, socketPath, ...(keyFile ? [keyFile] : [])], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: process.env,
      windowsHide: true,
    });
    child.on('error', (err) => log.error({ err }, 'the session host did not start'));
    child.unref();
  } finally {
    closeSync(logFd);
  }
}

/** Nothing answered on the host's socket: the request never reached a host. */
class HostUnreachable extends ClawError {
  constructor(why: string) {
    super('INTERNAL', `the session host is not reachable: ${why}`);
  }
}

async function dial(path: string, proofKey: Buffer | undefined, allowHalfOpen = false): Promise<Socket> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect({ path, allowHalfOpen });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
  if (proofKey) await offerPipeProof(socket, proofKey);
  return socket;
}
