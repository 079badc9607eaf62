/**
 * The serving node's terminal sessions by ID. A session is found again only by the peer that opened it
 * (its fingerprint is part of the lookup), so knowing an ID gains another peer nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { ConnectionHandle, ConnectionOpener } from '../../connections/connection-table.js';
import { ClawError } from '../../core/errors.js';
import { countedProcess } from './listed-process.js';
import { ServerSession, type TerminalProcess } from './server-session.js';
import { MAX_SESSIONS_PER_PEER, TERMINAL_RESUME_MS } from './terminal-flow.js';

export interface SessionRegistryOptions {
  log: Pick<Logger, 'info' | 'warn'>;
  /** How long a session waits for a resume after its stream is lost, in ms (read each time). */
  resumeMs?: () => number;
  maxPerPeer?: number;
  replayBytes?: number;
  /** Where each session is listed while it lives (connections/connection-table.ts); absent: not listed. */
  connections?: ConnectionOpener | undefined;
  /** Called once a session is over and forgotten (the session host tells its agent). */
  onGone?: ((id: string) => void) | undefined;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, ServerSession>();
  /** Each session's listing in the connection table, while it lives. */
  private readonly listed = new Map<string, ConnectionHandle>();
  /** What each session runs, as it is listed. */
  private readonly whats = new Map<string, string>();

  constructor(private readonly opts: SessionRegistryOptions) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Every live session, oldest first. */
  list(): ServerSession[] {
    return [...this.sessions.values()];
  }

  countFor(peer: string): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.peer === peer) n++;
    return n;
  }

  /**
   * Starts tracking a new session for `peer` around a PTY that `spawn` creates.
   * @throws ClawError('BAD_ARGUMENT') when the peer already has the most sessions allowed, or the PTY
   *   cannot be started.
   */
  create(
    peer: string,
    peerName: string,
    spawn: () => TerminalProcess,
    what = 'shell',
    /** Where it is listed (its stream's admission: services/services.ts); default the registry's table. */
    opener: ConnectionOpener | undefined = this.opts.connections,
  ): ServerSession {
    const max = this.opts.maxPerPeer ?? MAX_SESSIONS_PER_PEER;
    if (this.countFor(peer) >= max) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `${peerName} already has ${max} terminals open here; close some first`,
      );
    }
    const id = randomBytes(16).toString('hex');
    const pty = spawn();
    const listed = opener?.open({
      kind: 'terminal-served',
      peer: { name: peerName, fingerprint: peer },
      from: peerName,
      to: what,
      // Called only later, from the table: the session exists by then.
      close: (reason) => session.close(reason),
    });
    if (listed) this.listed.set(id, listed);
    this.whats.set(id, what);
    const session = new ServerSession({
      id,
      peer,
      pty: listed ? countedProcess(pty, listed) : pty,
      log: this.opts.log,
      resumeMs: this.opts.resumeMs ?? (() => TERMINAL_RESUME_MS),
      onGone: (s) => {
        listed?.end();
        this.listed.delete(s.id);
        this.whats.delete(s.id);
        if (this.sessions.get(s.id) === s) this.sessions.delete(s.id);
        this.opts.onGone?.(s.id);
      },
      ...(this.opts.replayBytes ? { replayBytes: this.opts.replayBytes } : {}),
    });
    this.sessions.set(id, session);
    return session;
  }

  /** Session `id`'s listing in the connection table (a resume carries it on), if it has one. */
  listing(id: string): ConnectionHandle | undefined {
    return this.listed.get(id);
  }

  /** What session `id` runs ('shell' or its command line). */
  what(id: string): string | undefined {
    return this.whats.get(id);
  }

  /** The session `id` if `peer` opened it. */
  find(id: string, peer: string): ServerSession | undefined {
    const s = this.sessions.get(id);
    return s && s.peer === peer ? s : undefined;
  }

  /** The session `id`, whoever opened it: for the agent that owns this registry, never for a peer. */
  get(id: string): ServerSession | undefined {
    return this.sessions.get(id);
  }

  /** Hangs up every session (the agent is stopping). */
  closeAll(reason: string): void {
    for (const s of [...this.sessions.values()]) s.close(reason);
  }
}
