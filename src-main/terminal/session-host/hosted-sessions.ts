/**
 * The `terminal` service with its sessions in the session host (docs/adr/0022-session-host.md): the
 * agent checks a peer's request and splices the peer's stream to a session connection on the host,
 * which keeps the PTY and its replay buffer. The agent keeps only the listing of each session in the
 * connection table (and so the audit log), by session ID, from its start or adoption to its end.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { SessionAdmission, ServiceRequest } from '../../services/services.js';
import { describeZodError } from '../../core/zod-error.js';
import type {
  ConnectionHandle,
  ConnectionOpener,
  ConnectionOpening,
} from '../../connections/connection-table.js';
import { errorMessage } from '../../core/errors.js';
import { terminalOpenArgs } from '../../protocol/terminal-open-args.js';
import { describeCommand } from '../sessions/listed-process.js';
import { CLIENT_FIN, frameClientBytes } from './agent-data-stream.js';
import { WholeFrames } from './whole-frames.js';
import { CLOSE_GRACE_MS } from '../sessions/terminal-flow.js';
import { encodeTerminalFrame, fitText } from '../../protocol/terminal-frames.js';
import type { SessionHostClient } from './host-client.js';
import { NO_SUCH_SESSION, type HostedSession } from './host-protocol.js';

export interface HostedSessionsOptions {
  client: SessionHostClient;
  log: Logger;
  selfName: () => string;
  /** The resume window for sessions served here, in ms (the node's setting, read at each request). */
  resumeMs: () => number;
  connections?: ConnectionOpener | undefined;
}

interface Known {
  peer: string;
  /** What it runs, as it is listed. */
  what: string;
  listed: ConnectionHandle | undefined;
  /** The peer's streams spliced to this session now (one, or briefly two while a resume replaces one). */
  splices: Set<(reason: string) => void>;
}

export class HostedSessions {
  private readonly known = new Map<string, Known>();
  /**
   * The adoption of the sessions an agent before this one left (start()). A peer's resume that arrives
   * while it runs waits for it: the session is listed first, so the resume is logged as one and the
   * listing is not made twice (once by the resume's admission, once by the adoption).
   */
  private adopted: Promise<void> = Promise.resolve();

  constructor(private readonly opts: HostedSessionsOptions) {
    opts.client.onGone((id) => {
      this.known.get(id)?.listed?.end();
      this.known.delete(id);
    });
    opts.client.onLost(() => {
      opts.log.warn('the session host went away; the terminal sessions served here ended with it');
      for (const k of this.known.values()) k.listed?.end();
      this.known.clear();
    });
  }

  /**
   * Adopts a host that runs already and lists the sessions it kept from an agent before this one. A
   * host is started only for the first session: a node that serves no terminal runs none.
   */
  async start(): Promise<void> {
    this.adopted = (async () => {
      // Started under an agent before this one, which wrote their start: the log says they carry on.
      for (const s of await this.opts.client.adopt(false)) this.track(s, { resumed: true });
    })();
    await this.adopted;
  }

  /** Answers one `terminal` stream request (already past the permission check), admitted as `served`. */
  serve(req: ServiceRequest, served: SessionAdmission): void {
    void this.serveAsync(req, served).catch((err: unknown) => {
      this.opts.log.warn({ err }, 'terminal request failed in the session host');
    });
  }

  /**
   * Ends session `id`: the host hangs up its program, and the peer's stream is told `reason` here and
   * now, not after a round trip through the host — a peer being removed loses its link right after.
   */
  hangUp(id: string, reason: string): void {
    this.opts.client.close(id, reason);
    for (const end of this.known.get(id)?.splices ?? []) end(reason);
  }

  /** What session `id` runs, when `peer` opened it (a share's opener must be: ADR 0123). */
  openedBy(id: string, peer: string): { what: string } | undefined {
    const k = this.known.get(id);
    return k && k.peer === peer ? { what: k.what } : undefined;
  }

  /** Hangs up every session and lets the host exit (the agent stops on purpose). */
  async closeAll(reason: string): Promise<void> {
    // Peers are told here first, before the agent's links close (see hangUp).
    for (const k of this.known.values()) for (const end of k.splices) end(reason);
    await this.opts.client.closeAll(reason, true);
    for (const k of this.known.values()) k.listed?.end();
    this.known.clear();
  }

  private async serveAsync(req: ServiceRequest, served: SessionAdmission): Promise<void> {
    const self = this.opts.selfName();
    const parsed = terminalOpenArgs().safeParse(req.args);
    if (!parsed.success)
      return req.reject('BAD_REQUEST', `bad terminal request: ${describeZodError(parsed.error)}`);
    const args = parsed.data;
    const peer = req.peer.fingerprint;
    if ('resume' in args) {
      // A failed adoption is logged where start() is called; the resume is still answered.
      await this.adopted.catch(() => undefined);
      let attached: Awaited<ReturnType<SessionHostClient['attach']>>;
      try {
        const attach = {
          op: 'attach',
          id: args.resume,
          peer,
          offset: args.offset,
          cols: args.cols,
          rows: args.rows,
          resumeMs: this.opts.resumeMs(),
        } as const;
        attached = await this.opts.client.attach({ ...attach, ...(args.input ? { input: true } : {}) });
        // A host started by an older release does not know `input`: attach without it. Its SESSION
        // then carries no input count, and the peer knows from that not to send its keys again.
        if (!attached.ok && attached.refused && args.input) attached = await this.opts.client.attach(attach);
      } catch (err) {
        return req.reject('SERVICE_FAILED', errorMessage(err));
      }
      // Each reason is a whole sentence naming this node: the client shows it as is (terminal-client.ts).
      if (!attached.ok && attached.gone && attached.message === NO_SUCH_SESSION) {
        return req.reject(
          'SESSION_GONE',
          `${self} no longer has this terminal session (it was closed there, or not resumed in time)`,
        );
      }
      if (!attached.ok && attached.gone) {
        return req.reject(
          'SESSION_GONE',
          `cannot resume the terminal session on ${self}: ${attached.message}`,
        );
      }
      if (!attached.ok) return req.reject('SERVICE_FAILED', attached.message);
      const conn = attached;
      // A resume (a path change): the log says the session carries on, on the link this stream came on.
      const listed = this.known.get(args.resume)?.listed;
      this.splice(() => served.resume(listed), conn, args.resume, false);
      return;
    }
    const what = describeCommand(args.command);
    let created: { id: string; socket: Socket; rest: Buffer };
    try {
      const { v: _v, ...fields } = args;
      created = await this.opts.client.create({
        op: 'create',
        peer,
        peerName: req.peer.name,
        resumeMs: this.opts.resumeMs(),
        args: fields,
      });
    } catch (err) {
      return req.reject('SERVICE_FAILED', errorMessage(err));
    }
    const listed = this.track({ id: created.id, peer, peerName: req.peer.name, what }, {}, served);
    this.splice(() => served.accept(listed), created, created.id, true);
  }

  /** Lists session `s` through `opener`: its stream's admission, or for one adopted the registry's. */
  private track(
    s: HostedSession,
    how: Pick<ConnectionOpening, 'resumed'>,
    opener = this.opts.connections,
  ): ConnectionHandle | undefined {
    const listed = opener?.open({
      kind: 'terminal-served',
      peer: { name: s.peerName, fingerprint: s.peer },
      from: s.peerName,
      to: s.what,
      close: (reason) => this.hangUp(s.id, reason),
      ...how,
    });
    this.known.set(s.id, { peer: s.peer, what: s.what, listed, splices: new Set() });
    return listed;
  }

  /**
   * Joins the peer's stream and the host connection of session `id`. `created`: a session created for
   * this request, hung up when the peer gave up before its stream was accepted.
   */
  private splice(
    accept: () => Duplex,
    conn: { socket: Socket; rest: Buffer },
    id: string,
    created: boolean,
  ): void {
    let stream: Duplex;
    try {
      stream = accept();
    } catch {
      conn.socket.destroy();
      if (created) this.opts.client.close(id, 'the client gave up before the session started');
      return;
    }
    const known = this.known.get(id);
    const listed = known?.listed;
    const { socket } = conn;
    const frames = new WholeFrames();
    const toPeer = (chunk: Buffer) => {
      let whole: Buffer;
      try {
        whole = frames.push(chunk);
      } catch (err) {
        this.opts.log.warn(`session host broke the terminal protocol: ${errorMessage(err)}`);
        socket.destroy();
        return;
      }
      if (whole.length === 0) return;
      listed?.bytesIn(whole.length);
      if (!stream.write(whole)) socket.pause();
    };
    const end = (reason: string) => {
      unsplice();
      socket.destroy();
      if (!stream.writableEnded) stream.end(encodeTerminalFrame({ type: 'error', message: fitText(reason) }));
    };
    known?.splices.add(end);
    const unsplice = () => known?.splices.delete(end);
    stream.on('drain', () => socket.resume());
    socket.on('data', toPeer);
    // The host ends the connection after EXIT or an ERROR frame: the peer's stream ends the same way,
    // and is let go if the peer does not end its side in time (as server-session.ts does).
    socket.on('end', () => {
      unsplice();
      stream.end();
      const grace = setTimeout(() => stream.destroy(), CLOSE_GRACE_MS).unref();
      stream.once('close', () => clearTimeout(grace));
    });
    socket.on('error', () => undefined);
    // The host went away without ending (it died): the peer sees its stream fail and tries to resume.
    socket.on('close', () => {
      unsplice();
      if (!stream.writableEnded) stream.destroy();
    });
    stream.on('data', (chunk: Buffer) => {
      listed?.bytesOut(chunk.length);
      for (const frame of frameClientBytes(chunk)) if (!socket.write(frame)) stream.pause();
    });
    socket.on('drain', () => stream.resume());
    // The peer's FIN goes on as one (an empty frame), and ends our side of the connection (it is
    // half-open: the host may have ended its side first, after EXIT); a stream that died (link lost,
    // agent stopping) just drops the connection, which the host takes for a lost stream to be resumed.
    stream.on('end', () => socket.end(CLIENT_FIN));
    stream.on('error', () => socket.destroy());
    stream.on('close', () => {
      unsplice();
      if (!stream.readableEnded) socket.destroy();
    });
    if (conn.rest.length > 0) toPeer(conn.rest);
    socket.resume();
  }
}
