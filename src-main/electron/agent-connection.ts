/**
 * What the desktop shell (tray, notifications, IPC transport) holds of the connector agent: the API
 * contract itself (ApiHandler: requests and typed events), terminal streams, and the lifecycle of the
 * process that hosts the agent. The shell never sees the agent's internals, and nothing here says
 * where the agent runs (docs/adr: where the agent runs), so the shell's tests can pass a fake.
 */
import type { Disposer } from '../core/emitter.js';
import type {
  ApiHandler,
  StreamMethodName,
  StreamMethodParams,
  StreamMethodResults,
} from '../api/contract.js';
import type { ViewerChannel } from '../api/viewer-channel.js';

/**
 * Who runs an agent the app attached to rather than started (agent-attach.ts): the home's service, or
 * a `clawbridge agent` started by hand. It keeps running after Quit.
 */
export type AttachedAgent = 'service' | 'agent';

/** The agent host as the tray shows it. */
export type AgentHostState =
  | { kind: 'starting' }
  /** `attached`: the agent is not the app's own (agent-attach.ts); absent, the app runs it. */
  | { kind: 'running'; attached?: AttachedAgent }
  /** The agent ended unexpectedly; it is started again at `retryAt` (epoch ms), with backoff. */
  | { kind: 'restarting'; reason: string; retryAt: number }
  /**
   * Not running, and not started again by itself: it stopped on request, or it could not start for a
   * reason that retrying cannot fix (`failure`: a bad config.json and the like, code CONFIG_INVALID),
   * until "Start agent".
   */
  | { kind: 'stopped'; failure?: AgentFailure };

/** Why the agent could not start: its ClawError code and its own words (up to 2000 characters). */
export interface AgentFailure {
  code: string;
  reason: string;
}

/** A streaming method's reply and the byte channel of its frames (protocol/terminal-frames.ts). */
export interface AgentStream<M extends StreamMethodName> {
  result: StreamMethodResults[M];
  channel: ViewerChannel;
}

export interface AgentConnection extends ApiHandler {
  hostState(): AgentHostState;
  onHostState(listener: (state: AgentHostState) => void): Disposer;
  openStream<M extends StreamMethodName>(method: M, params: StreamMethodParams<M>): Promise<AgentStream<M>>;
  /**
   * Starts the agent again after it stopped on request (`clawbridge stop`, `agent.stop`) or on a start
   * failure that retrying cannot fix: the tray's "Start agent". Does nothing while it runs, starts or
   * restarts, and after Quit.
   */
  start(): void;
  /**
   * Quit: the agent stops its forwards (ports freed), tells terminal viewers and peers, closes links;
   * resolves once it is gone, ending it by force after at most 5 s.
   *
   * `keepSessions` (a restart to install an update, docs/adr/0077-desktop-updates.md, 0082): the agent
   * first hands over the terminals it has open on peers (the next version's agent takes them up), then
   * its process is ended the way a crash ends it, so it hangs up nothing; the session host is not told
   * to end (Electron still ends it with the app, and its served shells with it); ports are freed with
   * the process.
   */
  stop(options?: { keepSessions?: boolean }): Promise<void>;
}
