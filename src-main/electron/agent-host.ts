/**
 * Where the desktop app's agent runs: in an Electron utility process (agent-process.ts) that main
 * starts, watches and starts again with backoff when it dies, so node-pty and bulk forwards can crash
 * or pause for garbage collection without taking the tray and the window along
 * (docs/adr/0011-agent-in-a-utility-process.md). Main reaches the agent only through the API
 * contract over its control socket (agent-client.ts); the shell sees an AgentConnection.
 */
import { ClawError, errorMessage } from '../core/errors.js';
import type { Disposer } from '../core/emitter.js';
import type { ApiEvents, MethodName, MethodParams, MethodResults } from '../api/contract.js';
import { agentToHostMessage, type HostToAgentMessage } from './agent-process-messages.js';
import { connectAgentClient, type AgentClient } from './agent-client.js';
import type { AgentConnection, AgentFailure, AgentHostState } from './agent-connection.js';
import { restartDelayMs, RESTART_DELAYS, type RestartDelays } from './agent-restart.js';

/** File name of the compiled utility-process entry next to main.js. */
export const AGENT_PROCESS_FILE = 'agent-process.js';

/** Longest wait for Quit, in ms (5 s): then the agent process is killed and the app exits anyway. */
export const AGENT_STOP_TIMEOUT_MS = 5_000;

/**
 * Longest wait for a started agent process to say it runs, in ms (60 s: loading a large home and
 * binding its listeners takes well under a second; a process stuck longer is killed and started again).
 */
export const AGENT_START_TIMEOUT_MS = 60_000;

/**
 * How long after its control connection closed the agent process must be gone, in ms (2 s: a dying
 * process's exit follows its sockets' close within milliseconds), before main ends it as unreachable.
 */
export const LOST_CONNECTION_GRACE_MS = 2_000;

/**
 * Start failures that starting again cannot fix: the agent's files need a person (a config.json edited
 * into something invalid, a home owned by someone else). The host stops and waits for "Start agent"
 * instead of failing every 30 s for good.
 */
export const NOT_RETRIED_FAILURES: ReadonlySet<string> = new Set(['CONFIG_INVALID']);

/** The parts of Electron's UtilityProcess the host uses (a `child_process` stand-in has them too). */
export interface AgentChildProcess {
  readonly pid: number | undefined;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'exit', listener: (code: number) => void): this;
}

/** The part of the `electron` module the host uses. */
export interface AgentHostElectron {
  utilityProcess: {
    fork(
      modulePath: string,
      args?: string[],
      options?: { serviceName?: string; stdio?: 'inherit' | 'pipe' | 'ignore' },
    ): AgentChildProcess;
  };
}

/** The identity main loaded for the agent (kept encrypted at rest by main; see security.md). */
export interface AgentIdentityPem {
  certPem: string;
  keyPem: string;
}

export interface AgentHostOptions {
  /** The node's home directory (the app's userData). */
  home: string;
  /** Absolute path of the compiled agent-process.js (AGENT_PROCESS_FILE next to main.js). */
  entry: string;
  /** Asked before every start; undefined lets the agent read or create the identity in its home. */
  identity?: () => Promise<AgentIdentityPem | undefined>;
  /** Where the agent writes `agent.log` (`app.getPath('logs')`); absent: its stderr. */
  logDir?: string;
  log?: (line: string) => void;
  /** Tests shorten these; the app uses the defaults. */
  restartDelays?: RestartDelays;
  stopTimeoutMs?: number;
  startTimeoutMs?: number;
}

type Listener<T extends unknown[]> = (...args: T) => void;
type EventListener = <E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => void;

/** Starts the agent process now and supervises it until stop(). Call after the app is ready. */
export function startAgentHost(e: AgentHostElectron, options: AgentHostOptions): AgentConnection {
  const log = options.log ?? ((line: string) => console.error(line));
  const delays = options.restartDelays ?? RESTART_DELAYS;
  const stopTimeoutMs = options.stopTimeoutMs ?? AGENT_STOP_TIMEOUT_MS;
  const startTimeoutMs = options.startTimeoutMs ?? AGENT_START_TIMEOUT_MS;

  let state: AgentHostState = { kind: 'starting' };
  const stateListeners = new Set<Listener<[AgentHostState]>>();
  const setState = (next: AgentHostState) => {
    state = next;
    for (const l of [...stateListeners]) l(next);
  };

  // Host-level event listeners outlive agent processes: each is subscribed again on every new client.
  const eventListeners = new Map<EventListener, Disposer | undefined>();
  let client: AgentClient | undefined;
  let child: AgentChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stopping = false;
  let stopRequestedByAgent = false;
  let failureReason: string | undefined;
  /** The agent's own 'failed' message of this run, when it sent one. */
  let failure: AgentFailure | undefined;
  let runningSince: number | undefined;
  let attempt = 0;
  let restartTimer: NodeJS.Timeout | undefined;

  const useClient = (c: AgentClient | undefined) => {
    client?.close();
    client = c;
    for (const listener of eventListeners.keys()) eventListeners.set(listener, c?.onEvent(listener));
  };

  const spawn = async (): Promise<void> => {
    restartTimer = undefined;
    if (stopping) return;
    setState({ kind: 'starting' });
    failureReason = undefined;
    failure = undefined;
    let identity: AgentIdentityPem | undefined;
    try {
      identity = await options.identity?.();
    } catch (err) {
      // Without its identity the agent must not start under a new one: wait and ask again.
      return scheduleRestart(`the identity could not be loaded: ${errorMessage(err)}`);
    }
    if (stopping) return;
    let proc: AgentChildProcess;
    try {
      proc = e.utilityProcess.fork(options.entry, [], { serviceName: 'Clawbridge agent', stdio: 'inherit' });
    } catch (err) {
      return scheduleRestart(`the agent process could not be started: ${errorMessage(err)}`);
    }
    child = proc;
    exited = new Promise<void>((resolve) => proc.on('exit', (code) => (onExit(proc, code), resolve())));
    const startTimer = setTimeout(() => {
      failureReason = `the agent did not start within ${startTimeoutMs / 1000} s`;
      proc.kill();
    }, startTimeoutMs);
    proc.on('message', (raw) => {
      const parsed = agentToHostMessage.safeParse(raw);
      if (!parsed.success) return log(`agent process sent a message that is not understood; ignored`);
      const msg = parsed.data;
      if (msg.type === 'failed') {
        failureReason = msg.reason;
        failure = { code: msg.code, reason: msg.reason };
      } else if (msg.type === 'stopping') stopRequestedByAgent = true;
      else {
        clearTimeout(startTimer);
        void connectAgentClient(msg.socketPath, options.home).then(
          (c) => {
            if (child !== proc || stopping) return c.close();
            useClient(c);
            runningSince = Date.now();
            setState({ kind: 'running' });
            // The connection ends first when the process dies; if the process is still there a
            // moment later, main lost its way to a live agent: start it afresh rather than limp on.
            c.onClose(() => {
              const check = setTimeout(() => {
                if (child !== proc || stopping || client !== c) return;
                failureReason = "main lost its connection to the agent's control socket";
                proc.kill();
              }, LOST_CONNECTION_GRACE_MS);
              check.unref();
            });
          },
          (err: unknown) => {
            failureReason = `main could not reach the agent's control socket: ${errorMessage(err)}`;
            proc.kill();
          },
        );
      }
    });
    proc.on('exit', () => clearTimeout(startTimer));
    const start: HostToAgentMessage = {
      type: 'start',
      home: options.home,
      ...(identity ? { identity } : {}),
      ...(options.logDir ? { logDir: options.logDir } : {}),
    };
    proc.postMessage(start);
  };

  const scheduleRestart = (reason: string) => {
    // A process that ran a while had a good run: the next failure starts the backoff from the beginning.
    if (runningSince !== undefined && Date.now() - runningSince >= delays.stableAfterMs) attempt = 0;
    runningSince = undefined;
    const delay = restartDelayMs(attempt++, delays);
    log(`agent: ${reason}; starting it again in ${Math.round(delay / 1000)} s`);
    setState({ kind: 'restarting', reason, retryAt: Date.now() + delay });
    restartTimer = setTimeout(() => void spawn(), delay);
  };

  const onExit = (proc: AgentChildProcess, code: number) => {
    if (child !== proc) return;
    child = undefined;
    useClient(undefined);
    if (stopping || stopRequestedByAgent) {
      setState({ kind: 'stopped' });
      return;
    }
    if (failure && NOT_RETRIED_FAILURES.has(failure.code)) {
      log(`agent: ${failure.reason}; not starting it again until Start agent`);
      runningSince = undefined;
      setState({ kind: 'stopped', failure });
      return;
    }
    scheduleRestart(failureReason ?? `the agent process ended unexpectedly (exit code ${code})`);
  };

  const current = (): AgentClient => {
    if (client) return client;
    if (state.kind === 'stopped')
      throw new ClawError(
        'NO_AGENT',
        state.failure
          ? `the agent could not start: ${state.failure.reason}; fix that, then start it from the tray menu (Start agent)`
          : 'the agent has stopped; start it from the tray menu (Start agent)',
      );
    const why =
      state.kind === 'restarting' ? `the agent is restarting (${state.reason})` : 'the agent is starting';
    throw new ClawError('NO_AGENT', `${why}; try again in a moment`);
  };

  void spawn();

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const proc = child;
      if (!proc) return setState({ kind: 'stopped' });
      const deadline = new Promise<'late'>((resolve) =>
        setTimeout(() => resolve('late'), stopTimeoutMs).unref(),
      );
      // agent.stop frees the forwards' ports, tells terminal viewers and peers; the process exits after.
      if (client) {
        void client.call('agent.stop', {}).catch((err: unknown) => {
          // The reply can be lost to the agent closing its socket as it stops: ask again over the
          // process channel (the agent stops once either way) rather than kill a process that may be
          // exiting cleanly. The deadline below still ends one that does not.
          log(`agent: asking it to stop over its socket failed (${errorMessage(err)}); asking over IPC`);
          try {
            proc.postMessage({ type: 'stop' } satisfies HostToAgentMessage);
          } catch {
            // Its channel is closed: the process is on its way out already.
          }
        });
      } else proc.postMessage({ type: 'stop' } satisfies HostToAgentMessage);
      if ((await Promise.race([exited.then(() => 'exited' as const), deadline])) === 'late') {
        log(`agent: still running ${stopTimeoutMs / 1000} s after Quit; ending it`);
        proc.kill();
        await exited;
      }
      setState({ kind: 'stopped' });
    })());

  const start = (): void => {
    // Only a stop the agent was asked for, or a start failure left for the user to fix, is undone
    // here; Quit (`stopping`) is final.
    if (stopping || state.kind !== 'stopped' || child) return;
    stopRequestedByAgent = false;
    attempt = 0;
    void spawn();
  };

  return {
    hostState: () => state,
    start,
    onHostState(listener) {
      stateListeners.add(listener);
      return () => void stateListeners.delete(listener);
    },
    // async: a host without a running agent answers with a rejected promise, never a throw.
    async call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResults[M]> {
      return current().call(method, params);
    },
    onEvent(listener: EventListener): Disposer {
      eventListeners.set(listener, client?.onEvent(listener));
      return () => {
        eventListeners.get(listener)?.();
        eventListeners.delete(listener);
      };
    },
    async openStream(method, params) {
      return current().openStream(method, params);
    },
    stop,
  };
}
