/**
 * The session host (docs/adr/0022-session-host.md): a small process, started detached by the agent,
 * that owns the PTYs of the terminal sessions peers have open on this node, with their replay buffers,
 * so a shell and what runs in it outlive the agent (a crash, `kill -9`). It serves one agent at a time
 * on a private socket; a restarted agent adopts it and peers resume their sessions through it.
 */
import { chmodSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { HostLogger } from './host-log.js';
import { ClawError, errorMessage } from '../../core/errors.js';
import { describeCommand } from '../sessions/listed-process.js';
import { PipeSession } from '../sessions/pipe-session.js';
import { PtySession } from '../sessions/pty-session.js';
import { SessionRegistry } from '../sessions/session-registry.js';
import { TERMINAL_RESUME_MS } from '../sessions/terminal-flow.js';
import { acceptPipeProof } from '../../home/pipe-proof.js';
import { AgentDataStream } from './agent-data-stream.js';
import {
  agentChannelMessage,
  encodeHostMessage,
  hostMessageDecoder,
  hostRequest,
  MAX_LABEL,
  MAX_LISTED_SESSIONS,
  NO_SUCH_SESSION,
  parseHostMessage,
  readFirstMessage,
  type HostedSession,
  type HostReply,
  type HostRequest,
} from './host-protocol.js';

/**
 * How long a host with no sessions and no agent stays, in ms (5 min): long enough for an agent that
 * crashed to be started again (by hand, or by a service manager's backoff) and adopt it, short enough
 * that a node whose agent is gone for good does not keep a process around.
 */
export const HOST_IDLE_EXIT_MS = 5 * 60_000;

/** How long a connection may take to send its first message, in ms (10 s). */
const FIRST_MESSAGE_MS = 10_000;

export interface SessionHostOptions {
  socketPath: string;
  log: HostLogger;
  idleExitMs?: number;
  /** The host is idle (no sessions, no agent) for idleExitMs, or its agent left and no session is left. */
  onIdle: () => void;
  /**
   * The home's pipe.key, on Windows: a connection proves it holds it before it is read
   * (home/pipe-proof.ts), since a named pipe's ACL cannot be narrowed from Node. Absent: not asked.
   */
  proofKey?: Buffer | undefined;
}

export interface SessionHost {
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Binds the host's socket (mode 0600; a stale socket file is replaced, a live one is not) and serves.
 * @throws ClawError('CONFIG_INVALID') when another host answers there.
 */
export async function startSessionHost(opts: SessionHostOptions): Promise<SessionHost> {
  if (process.platform !== 'win32') {
    if (await answers(opts.socketPath)) {
      throw new ClawError('CONFIG_INVALID', `a session host already runs at ${opts.socketPath}`);
    }
    try {
      unlinkSync(opts.socketPath);
    } catch {
      // not there: nothing stale to remove
    }
  }
  let resumeMs = TERMINAL_RESUME_MS;
  const labels = new Map<string, { peerName: string; what: string }>();
  const agents = new Set<Socket>();
  /** The last agent said goodbye (it stopped on purpose): exit as soon as no session is left. */
  let agentLeft = false;
  let idleTimer: NodeJS.Timeout | undefined;
  const sessions: SessionRegistry = new SessionRegistry({
    log: opts.log,
    resumeMs: () => resumeMs,
    onGone: (id) => {
      labels.delete(id);
      for (const a of agents) a.write(encodeHostMessage({ op: 'gone', id }));
      checkIdle();
    },
  });
  const checkIdle = () => {
    const idle = sessions.size === 0 && agents.size === 0;
    if (!idle) {
      clearTimeout(idleTimer);
      idleTimer = undefined;
      return;
    }
    if (agentLeft) return opts.onIdle();
    idleTimer ??= setTimeout(opts.onIdle, opts.idleExitMs ?? HOST_IDLE_EXIT_MS);
  };
  const listed = (): HostedSession[] =>
    sessions
      .list()
      .slice(0, MAX_LISTED_SESSIONS)
      .map((s) => ({ id: s.id, peer: s.peer, ...(labels.get(s.id) ?? { peerName: '', what: '' }) }));

  const reply = (socket: Socket, r: HostReply) => socket.write(encodeHostMessage(r));

  const serveAgent = (socket: Socket, rest: Buffer) => {
    agents.add(socket);
    agentLeft = false;
    checkIdle();
    reply(socket, { ok: true, pid: process.pid, sessions: listed() });
    const decoder = hostMessageDecoder();
    const onData = (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) {
          const m = parseHostMessage(frame, agentChannelMessage());
          if (m.op === 'close') sessions.get(m.id)?.close(m.reason);
          else if (m.op === 'closeAll') {
            sessions.closeAll(m.reason);
            if (m.bye) agentLeft = true;
          }
        }
      } catch (err) {
        opts.log.warn(`session host: bad message from the agent: ${errorMessage(err)}`);
        socket.destroy();
      }
    };
    socket.on('data', onData);
    socket.on('close', () => {
      agents.delete(socket);
      checkIdle();
    });
    if (rest.length > 0) onData(rest);
    socket.resume();
  };

  const serveSession = (socket: Socket, req: Exclude<HostRequest, { op: 'agent' }>, rest: Buffer) => {
    if (req.op === 'watch') {
      const session = sessions.get(req.id);
      if (!session) {
        reply(socket, { ok: false, code: 'SESSION_GONE', message: NO_SUCH_SESSION });
        return socket.end();
      }
      reply(socket, { ok: true, id: session.id });
      return session.watch(new AgentDataStream(socket, rest));
    }
    resumeMs = req.resumeMs;
    if (req.op === 'create') {
      let session;
      try {
        const args = req.args;
        session = sessions.create(
          req.peer,
          req.peerName,
          () => (args.pty === false ? PipeSession.spawn(args) : PtySession.spawn(args)),
          describeCommand(args.command),
        );
      } catch (err) {
        reply(socket, { ok: false, code: 'SERVICE_FAILED', message: errorMessage(err) });
        return socket.end();
      }
      labels.set(session.id, {
        peerName: req.peerName,
        what: describeCommand(req.args.command).slice(0, MAX_LABEL),
      });
      reply(socket, { ok: true, id: session.id });
      session.attach(new AgentDataStream(socket, rest), 0);
      return;
    }
    const session = sessions.find(req.id, req.peer);
    const problem = session ? session.resumeProblem(req.offset) : NO_SUCH_SESSION;
    if (!session || problem) {
      reply(socket, { ok: false, code: 'SESSION_GONE', message: problem ?? NO_SUCH_SESSION });
      return socket.end();
    }
    reply(socket, { ok: true, id: session.id });
    session.attach(new AgentDataStream(socket, rest), req.offset, { input: req.input === true });
    session.resize(req.cols, req.rows);
  };

  const server = createServer((socket) => {
    socket.on('error', () => undefined); // each use below handles the end of the socket its own way
    const key = opts.proofKey;
    if (!key) return serveConnection(socket);
    acceptPipeProof(socket, key).then(
      (ok) => {
        if (!ok || socket.destroyed) return;
        serveConnection(socket);
        socket.resume(); // the proof left it paused
      },
      () => socket.destroy(),
    );
  });
  const serveConnection = (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), FIRST_MESSAGE_MS);
    readFirstMessage(socket, hostRequest()).then(
      ({ message, rest }) => {
        clearTimeout(timer);
        // A surprise here must cost this connection only, never the process that keeps the shells.
        try {
          if (message.op === 'agent') serveAgent(socket, rest);
          else serveSession(socket, message, rest);
        } catch (err) {
          opts.log.error({ err }, 'session host: a request failed');
          socket.destroy();
        }
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (socket.destroyed) return;
        reply(socket, { ok: false, code: 'BAD_REQUEST', message: errorMessage(err) });
        socket.end();
      },
    );
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: opts.socketPath, readableAll: false, writableAll: false }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (process.platform !== 'win32') chmodSync(opts.socketPath, 0o600);
  checkIdle();
  return {
    server,
    close: async () => {
      clearTimeout(idleTimer);
      sessions.closeAll('the session host is stopping; the session is hung up');
      for (const a of agents) a.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** True when something accepts connections on the Unix socket at `path`. */
export function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
