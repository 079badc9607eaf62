/**
 * Where the desktop app's agent runs: in an Electron utility process (agent-process.ts) that main
 * starts, watches and starts again with backoff when it dies, so node-pty and bulk forwards can crash
 * or pause for garbage collection without taking the tray and the window along
 * (docs/adr/0011-agent-in-a-utility-process.md). Main reaches the agent only through the API
 * contract over its control socket (agent-client.ts); the shell sees an AgentConnection.
 *
 * The supervisor's state is one value of the union in agent-host-state.ts (spawning → starting →
 * connecting → running, waiting-to-restart, stopped, quitting → quit), where its decisions are pure
 * functions; this file performs the effects they call for (fork, timers, kill, the socket client).
 */
import { background } from '../core/background.js';
import { ClawError, errorMessage } from '../core/errors.js';
import type { Disposer } from '../core/emitter.js';
import type { ApiEvents, MethodName, MethodParams, MethodResults } from '../api/contract.js';
import { agentToHostMessage, type HostToAgentMessage } from './agent-process-messages.js';
import { connectAgentClient, type AgentClient } from './agent-client.js';
import type { AgentConnection, AgentHostState } from './agent-connection.js';
import { endAgentProcess, handOverAgentProcess } from './agent-host-stop.js';
import {
  afterExit,
  clientOf,
  hostStateOf,
  noAgentMessage,
  noteMessage,
  planRestart,
  sameHostState,
  supervises,
  type AgentChildProcess,
  type Supervisor,
  type SupervisorIn,
} from './agent-host-state.js';
import { RESTART_DELAYS, type RestartDelays } from './agent-restart.js';
import { sessionHostSocketPath } from '../terminal/session-host/host-client.js';
import { join } from 'node:path';
import { controlSocketPath } from '../home/home-dir.js';
import { PIPE_KEY_FILE } from '../home/pipe-proof.js';
import { sessionHostLauncher, type SessionHostLauncher } from './session-host-launcher.js';

export type { AgentChildProcess } from './agent-host-state.js';

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
  /**
   * Served terminals live in a session host main forks from `entry` (session-host-process.js next to
   * main.js) when the agent asks, logging to `logPath`, so they outlive a crash of the agent's process
   * (docs/adr/0022-session-host.md); absent: they live in the agent's process and end with it.
   */
  sessionHost?: { entry: string; logPath: string };
  /** Tests shorten these; the app uses the defaults. */
  restartDelays?: RestartDelays;
  stopTimeoutMs?: number;
  startTimeoutMs?: number;
}

type EventListener = <E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => void;

/** Starts the agent process now and supervises it until stop(). Call after the app is ready. */
export function startAgentHost(e: AgentHostElectron, options: AgentHostOptions): AgentConnection {
  const log = options.log ?? ((line: string) => console.error(line));
  const delays = options.restartDelays ?? RESTART_DELAYS;
  const stopTimeoutMs = options.stopTimeoutMs ?? AGENT_STOP_TIMEOUT_MS;
  const startTimeoutMs = options.startTimeoutMs ?? AGENT_START_TIMEOUT_MS;

  const first: SupervisorIn<'spawning'> = { state: 'spawning', attempt: 0 };
  // The supervisor's whole state (agent-host-state.ts): every transition replaces it through set(),
  // and every callback that outlives a state checks it still applies before acting.
  let s: Supervisor = first;
  const stateListeners = new Set<(state: AgentHostState) => void>();
  // Host-level event listeners outlive agent processes: each is subscribed again on every new client.
  const eventListeners = new Map<EventListener, Disposer | undefined>();
  // Main's child, not the agent's: it outlives every agent process this host starts.
  const launcher: SessionHostLauncher | undefined = options.sessionHost
    ? sessionHostLauncher(e, {
        entry: options.sessionHost.entry,
        logPath: options.sessionHost.logPath,
        keyFile: join(options.home, PIPE_KEY_FILE),
        // The path the agent's client dials (run-agent.ts), from the same home.
        socketPath: () => sessionHostSocketPath(controlSocketPath(options.home)),
        log,
      })
    : undefined;

  const set = (next: Supervisor): void => {
    const before = hostStateOf(s);
    s = next;
    const after = hostStateOf(next);
    if (!sameHostState(before, after)) for (const l of [...stateListeners]) l(after);
  };

  const respawn = (attempt: number): void => {
    const spawning: SupervisorIn<'spawning'> = { state: 'spawning', attempt };
    set(spawning);
    spawnNow(spawning);
  };

  // spawn() says its failures itself; a throw past that (a bug) is logged, not the app's end.
  const spawnNow = (spawning: SupervisorIn<'spawning'>): void =>
    background(spawn(spawning), (err) => log(`agent: could not be started: ${errorMessage(err)}`));

  const spawn = async (spawning: SupervisorIn<'spawning'>): Promise<void> => {
    let identity: AgentIdentityPem | undefined;
    try {
      identity = await options.identity?.();
    } catch (err) {
      // Without its identity the agent must not start under a new one: wait and ask again.
      if (s === spawning)
        restartLater(spawning.attempt, undefined, `the identity could not be loaded: ${errorMessage(err)}`);
      return;
    }
    if (s !== spawning) return; // Quit came while the identity loaded.
    let proc: AgentChildProcess;
    try {
      proc = e.utilityProcess.fork(options.entry, [], { serviceName: 'Clawbridge agent', stdio: 'inherit' });
    } catch (err) {
      return restartLater(
        spawning.attempt,
        undefined,
        `the agent process could not be started: ${errorMessage(err)}`,
      );
    }
    const exited = new Promise<void>((resolve) => proc.on('exit', (code) => (onExit(proc, code), resolve())));
    proc.on('message', (raw) => onMessage(proc, raw));
    const startTimer = setTimeout(
      () => endRun(proc, `the agent did not start within ${startTimeoutMs / 1000} s`),
      startTimeoutMs,
    );
    set({
      state: 'starting',
      attempt: spawning.attempt,
      run: { proc, exited, stopRequested: false },
      startTimer,
    });
    const start: HostToAgentMessage = {
      type: 'start',
      home: options.home,
      ...(identity ? { identity } : {}),
      ...(options.logDir ? { logDir: options.logDir } : {}),
      ...(launcher ? { sessionHost: true as const } : {}),
    };
    proc.postMessage(start);
  };

  /** Main ends a process it supervises; `reason` is what the restart shows (not the exit code). */
  const endRun = (proc: AgentChildProcess, reason: string): void => {
    const cur = s;
    if (!supervises(cur, proc)) return;
    // At Quit the reason would show nowhere: the process is only ended sooner.
    if (cur.state !== 'quitting') set({ ...cur, run: { ...cur.run, reason } });
    proc.kill();
  };

  const onMessage = (proc: AgentChildProcess, raw: unknown): void => {
    const parsed = agentToHostMessage.safeParse(raw);
    if (!parsed.success) return log(`agent process sent a message that is not understood; ignored`);
    const msg = parsed.data;
    const cur = s;
    // Once Quit is under way nothing the process says changes what follows its exit.
    if (!supervises(cur, proc) || cur.state === 'quitting') return;
    if (msg.type === 'session-host-wanted') return launcher?.request();
    if (msg.type !== 'running') return set({ ...cur, run: noteMessage(cur.run, msg) });
    if (cur.state !== 'starting') return; // Said twice: it is already being connected to.
    clearTimeout(cur.startTimer);
    set({ state: 'connecting', attempt: cur.attempt, run: cur.run });
    void connectAgentClient(msg.socketPath, options.home).then(
      (c) => onConnected(proc, c),
      (err: unknown) => endRun(proc, `main could not reach the agent's control socket: ${errorMessage(err)}`),
    );
  };

  const onConnected = (proc: AgentChildProcess, c: AgentClient): void => {
    const cur = s;
    if (cur.state !== 'connecting' || cur.run.proc !== proc) return c.close();
    // Subscribed before the state says running, so a state listener that subscribes then is not
    // subscribed twice.
    for (const listener of eventListeners.keys()) eventListeners.set(listener, c.onEvent(listener));
    set({ state: 'running', attempt: cur.attempt, run: cur.run, client: c, since: Date.now() });
    // The connection ends first when the process dies; if the process is still there a moment later,
    // main lost its way to a live agent: start it afresh rather than limp on.
    c.onClose(() => {
      const check = setTimeout(() => {
        const now = s;
        if (now.state === 'running' && now.client === c)
          endRun(proc, "main lost its connection to the agent's control socket");
      }, LOST_CONNECTION_GRACE_MS);
      check.unref();
    });
  };

  const onExit = (proc: AgentChildProcess, code: number): void => {
    const cur = s;
    if (!supervises(cur, proc)) return;
    if (cur.state === 'starting') clearTimeout(cur.startTimer);
    const client = clientOf(cur);
    if (client) {
      client.close();
      for (const listener of eventListeners.keys()) eventListeners.set(listener, undefined);
    }
    if (cur.state === 'quitting') return set({ state: 'quit' });
    const outcome = afterExit(cur.run, code, NOT_RETRIED_FAILURES);
    if (outcome.next === 'restart')
      return restartLater(cur.attempt, cur.state === 'running' ? cur.since : undefined, outcome.reason);
    if (outcome.failure) {
      log(`agent: ${outcome.failure.reason}; not starting it again until Start agent`);
      return set({ state: 'stopped', failure: outcome.failure });
    }
    set({ state: 'stopped' });
  };

  /** `since`: when the run that ended began running, if it did (a long run resets the backoff). */
  const restartLater = (attempt: number, since: number | undefined, reason: string): void => {
    const plan = planRestart(attempt, since, Date.now(), delays);
    log(`agent: ${reason}; starting it again in ${Math.round(plan.delayMs / 1000)} s`);
    const waiting: SupervisorIn<'waiting-to-restart'> = {
      state: 'waiting-to-restart',
      attempt: plan.nextAttempt,
      reason,
      retryAt: plan.retryAt,
      timer: setTimeout(() => {
        if (s === waiting) respawn(waiting.attempt);
      }, plan.delayMs),
    };
    set(waiting);
  };

  const current = (): AgentClient => {
    const client = clientOf(s);
    if (client) return client;
    throw new ClawError('NO_AGENT', noAgentMessage(hostStateOf(s)));
  };

  const stop = ({ keepSessions = false }: { keepSessions?: boolean } = {}): Promise<void> => {
    const cur = s;
    // Before anything else: a later stop (Quit after the hand-over) must not end the hosts either.
    if (keepSessions) launcher?.leave();
    if (cur.state === 'quitting') return cur.run.exited;
    if (cur.state === 'waiting-to-restart') clearTimeout(cur.timer);
    // At Quit the stop deadline bounds the wait; the start deadline no longer matters.
    if (cur.state === 'starting') clearTimeout(cur.startTimer);
    // The session host goes after the agent: the agent's stop hangs up its sessions and tells the
    // peers, and the host then exits by itself (session-host-launcher.ts stopHosts).
    const endHosts = () => launcher?.stop() ?? Promise.resolve();
    if (!('run' in cur)) {
      set({ state: 'quit' });
      return endHosts();
    }
    const client = clientOf(cur);
    set(client ? { state: 'quitting', run: cur.run, client } : { state: 'quitting', run: cur.run });
    if (keepSessions) {
      // Not agent.stop: its closeAll … bye would hang up every session. Ended like a crash, the agent
      // leaves served shells in the session host, which waits its resume window for the next agent
      // (docs/adr/0022-session-host.md), and hands over the terminals it has open on peers (0082);
      // message and file stores are durable across exactly this.
      return handOverAgentProcess(cur.run, client, log);
    }
    return endAgentProcess(cur.run, client, stopTimeoutMs, log).then(endHosts);
  };

  const start = (): void => {
    // Only a stop the agent was asked for, or a start failure left for the user to fix, is undone
    // here; Quit is final.
    if (s.state === 'stopped') respawn(0);
  };

  spawnNow(first);

  return {
    hostState: () => hostStateOf(s),
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
      eventListeners.set(listener, clientOf(s)?.onEvent(listener));
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
