/**
 * Terminals (architecture.md §Services), wired into an agent: the `terminal` service peers open here (permission
 * `terminal`, refused as `permission denied: B does not allow terminals from A`), and the
 * `terminal.open` streaming method this node's CLI uses to open terminals on peers.
 */
import type { Logger } from 'pino';
import type { NodeStateReader } from '../state/node-state.js';
import type { SessionAdmission, ServiceRegistry, ServiceRequest } from '../services/services.js';
import type { MuxStream } from '../mux/stream.js';
import { describeZodError } from '../core/zod-error.js';
import type { StreamUpgradeHandlers } from '../api/stream-upgrade.js';
import { errorMessage } from '../core/errors.js';
import { lifecycle } from '../core/lifecycle.js';
import { TERMINAL_RESUME_DEFAULT_MS } from './terminal-settings.js';
import { TERMINAL_SERVICE } from '../protocol/terminal-frames.js';
import { terminalOpenArgs } from '../protocol/terminal-open-args.js';
import type { ConnectionsOpened } from '../services/opened-connections.js';
import { describeCommand } from './sessions/listed-process.js';
import { PipeSession } from './sessions/pipe-session.js';
import { PtySession } from './sessions/pty-session.js';
import type { ServerSession } from './sessions/server-session.js';
import { SessionRegistry } from './sessions/session-registry.js';
import { agentOpener, type TerminalPeers } from './viewer-bridge.js';
import { ViewerSessions } from './viewer-sessions.js';
import { resolvePeer } from '../links/resolve-peer.js';
import type { SessionHostClient } from './session-host/host-client.js';
import { HostedSessions } from './session-host/hosted-sessions.js';
import { Emitter } from '../core/emitter.js';
import { agentSessions, hostedSessions, type SharedSessions } from './shares/shared-sessions.js';

export interface Terminals {
  /** Sessions peers have open on this node, when they live in the agent (no session host). */
  readonly sessions: SessionRegistry;
  /** Streaming methods for every transport (`terminal.open`, `terminal.attach`; stream-upgrade.ts). */
  readonly upgrades: StreamUpgradeHandlers;
  /** The sessions this node has open on its peers (agent-owned; `terminal.list`). */
  readonly viewers: ViewerSessions;
  /** The sessions served here as a share names them, wherever they live (ADR 0123). */
  readonly shared: SharedSessions;
  /**
   * Adopts the session host an agent before this one left running, listing its sessions again (in the
   * background: a slow host does not hold the agent's start, and this resolves at once).
   */
  start(): Promise<void>;
  /** Hangs up every session, served or opened (the agent is stopping); resolves once peers were told. */
  stop(): Promise<void>;
}

/** What terminals use of the agent (architecture.md §Rules the code keeps). */
export interface TerminalsDeps {
  readonly name: string;
  readonly log: Logger;
  /** Read for the resume windows and the detached idle time. */
  readonly state: Pick<NodeStateReader, 'get'>;
  /** Where the `terminal` service is registered, and where its sessions are listed and held. */
  readonly services: Pick<ServiceRegistry, 'register' | 'opener'>;
  /** This node's peers, to open terminals on. */
  readonly peers: TerminalPeers;
  /**
   * Where each session this node opens on a peer is listed while it lives, and ended when that peer
   * is removed here (services/opened-connections.ts); absent: not listed.
   */
  readonly connections?: ConnectionsOpened | undefined;
  /**
   * The session host that keeps the PTYs of sessions served here, so they outlive the agent
   * (docs/adr/0022-session-host.md); absent: they live in the agent and end with it.
   */
  readonly sessionHost?: SessionHostClient | undefined;
}

/**
 * Registers the `terminal` service on `agent` and returns the control-socket side; `start` adopts the
 * session host. Call once.
 */
export function createTerminals(agent: TerminalsDeps): Terminals {
  const gone = new Emitter<{ gone: [string] }>();
  const sessions = new SessionRegistry({
    log: agent.log.child({ service: TERMINAL_SERVICE }),
    resumeMs: () => agent.state.get().terminalResumeMs,
    onGone: (id) => gone.emit('gone', id),
  });
  const hosted = agent.sessionHost
    ? new HostedSessions({
        client: agent.sessionHost,
        log: agent.log.child({ service: TERMINAL_SERVICE }),
        selfName: () => agent.name,
        resumeMs: () => agent.state.get().terminalResumeMs,
        // Sessions adopted from the host have no stream yet: listed and held under the grant all the same.
        connections: agent.services.opener(TERMINAL_SERVICE),
      })
    : undefined;
  // Each session is listed as `terminal-served` and held under the peer's grant by the registry: a
  // peer removed, or no longer allowed terminals, loses its sessions here at once (not after the
  // resume window), told in these words.
  agent.services.register(TERMINAL_SERVICE, {
    permission: 'terminal',
    noun: 'terminals',
    // A session is listed while its program starts, and carried on by later streams.
    admits: 'session',
    kind: 'terminal-served',
    revoked: (record, self) => {
      if (!record) return `${self} removed this node as a peer; the session is hung up`;
      if (!record.allow.includes('terminal'))
        return `${self} no longer allows terminals from this node; the session is hung up`;
      return undefined;
    },
    handle: (req, served) =>
      hosted ? hosted.serve(req, served) : serveTerminal(agent.name, sessions, req, served),
  });
  const viewers = new ViewerSessions({
    opener: (peer) => {
      const entry = resolvePeer(agent.peers, peer);
      return { fingerprint: entry.fingerprint, opener: agentOpener(agent.peers, entry) };
    },
    // How long this node's sessions on a peer try to resume is the peer's window, which is not known
    // here: a short window set for sessions served here must not cut these off sooner than usual.
    resumeMs: () => Math.max(agent.state.get().terminalResumeMs, TERMINAL_RESUME_DEFAULT_MS),
    detachedIdleMs: () => agent.state.get().detachedTerminalIdleMs,
    log: agent.log,
    connections: agent.connections,
  });
  // Stopped in reverse: sessions served here first, then those in the session host, then the ones
  // this node opened on its peers.
  const life = lifecycle([
    {
      name: 'viewer sessions',
      stop: () => viewers.closeAll(`the agent here (${agent.name}) is stopping; the session is hung up`),
    },
    {
      name: 'session host',
      start: () => {
        // Sessions an agent before this one left in the host are listed again (and may be resumed).
        hosted?.start().catch((err: unknown) => {
          agent.log.warn(`could not adopt the session host: ${errorMessage(err)}`);
        });
      },
      stop: () => hosted?.closeAll(`${agent.name} is stopping; the session is hung up`),
    },
    {
      name: 'served sessions',
      stop: () => sessions.closeAll(`${agent.name} is stopping; the session is hung up`),
    },
  ]);
  const terminals: Terminals = {
    sessions,
    upgrades: viewers.handlers,
    viewers,
    shared:
      hosted && agent.sessionHost ? hostedSessions(hosted, agent.sessionHost) : agentSessions(sessions, gone),
    start: () => life.start(),
    stop: () => life.stop(),
  };
  return terminals;
}

/**
 * Answers one `terminal` stream request (already past the permission check): a new session, listed
 * through its admission `served`, or the resume of one this peer opened. Refusals carry a reason the
 * requesting CLI shows as is.
 */
export function serveTerminal(
  selfName: string,
  sessions: SessionRegistry,
  req: ServiceRequest,
  served: SessionAdmission,
): void {
  const parsed = terminalOpenArgs().safeParse(req.args);
  if (!parsed.success)
    return req.reject('BAD_REQUEST', `bad terminal request: ${describeZodError(parsed.error)}`);
  const args = parsed.data;
  if ('resume' in args) {
    const session = sessions.find(args.resume, req.peer.fingerprint);
    // Each reason is a whole sentence naming this node: the client shows it as is (terminal-client.ts).
    if (!session) {
      return req.reject(
        'SESSION_GONE',
        `${selfName} no longer has this terminal session (it was closed there, or not resumed in time)`,
      );
    }
    const problem = session.resumeProblem(args.offset);
    if (problem) {
      return req.reject('SESSION_GONE', `cannot resume the terminal session on ${selfName}: ${problem}`);
    }
    // The session carries on, on this stream's link (the audit log says so).
    const stream = acceptOrDrop(() => served.resume(sessions.listing(session.id)));
    if (!stream) return;
    session.attach(stream, args.offset, { input: args.input === true });
    session.resize(args.cols, args.rows);
    return;
  }
  let session: ServerSession;
  try {
    session = sessions.create(
      req.peer.fingerprint,
      req.peer.name,
      () => (args.pty === false ? PipeSession.spawn(args) : PtySession.spawn(args)),
      describeCommand(args.command),
      served,
    );
  } catch (err) {
    return req.reject('SERVICE_FAILED', errorMessage(err));
  }
  const stream = acceptOrDrop(() => served.accept(sessions.listing(session.id)));
  if (!stream) return session.close('the client gave up before the session started');
  session.attach(stream, 0);
}

/** Accepts the stream, or undefined when the requester gave up (or its link died) meanwhile. */
function acceptOrDrop(accept: () => MuxStream): MuxStream | undefined {
  try {
    return accept();
  } catch {
    return undefined;
  }
}
