/**
 * The agent supervisor's state (agent-host.ts) as one discriminated union, and the pure decisions made
 * on it. Each variant carries only what is true in that state, so a client without a process, a
 * restart timer while the agent runs, or a start deadline after it said it runs do not type-check
 * (STYLE.md §State and ownership: a state machine is a type). The timers and processes inside are
 * handles the shell (agent-host.ts) owns; nothing here starts, stops or waits for anything.
 */
import type { AgentClient } from './agent-client.js';
import type { AgentFailure, AgentHostState } from './agent-connection.js';
import type { AgentToHostMessage } from './agent-process-messages.js';
import { restartDelayMs, type RestartDelays } from './agent-restart.js';

/** The parts of Electron's UtilityProcess the host uses (a `child_process` stand-in has them too). */
export interface AgentChildProcess {
  readonly pid: number | undefined;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'exit', listener: (code: number) => void): this;
}

/**
 * One agent process from its fork to its exit, with what it said about why it will end. Kept apart from
 * the states it lives in (starting, connecting, running, quitting) because it outlives each of them.
 */
export interface AgentRun {
  readonly proc: AgentChildProcess;
  /** Resolves once the process exited (after the host handled the exit). */
  readonly exited: Promise<void>;
  /** The agent's own 'failed' message, when it sent one: its code decides whether to start again. */
  readonly failure?: AgentFailure;
  /** Why it ends, when the agent or main said so before the exit (shown instead of the exit code). */
  readonly reason?: string;
  /** The agent said a client asked it to stop (`agent.stop`): it is not started again by itself. */
  readonly stopRequested: boolean;
}

/**
 * `attempt` counts the restarts of the current streak of failures: it picks the next backoff delay and
 * starts over at "Start agent" and after a run of at least `stableAfterMs`.
 */
export type Supervisor =
  /** Asking main for the identity (it may be decrypting it); no process yet. */
  | { readonly state: 'spawning'; readonly attempt: number }
  /** Forked and told to start; killed if it does not say it runs by the start deadline. */
  | {
      readonly state: 'starting';
      readonly attempt: number;
      readonly run: AgentRun;
      readonly startTimer: NodeJS.Timeout;
    }
  /** It said it runs; main is connecting to its control socket. */
  | { readonly state: 'connecting'; readonly attempt: number; readonly run: AgentRun }
  /** Main reaches it over `client`; `since` (epoch ms) tells a good run from a crash loop. */
  | {
      readonly state: 'running';
      readonly attempt: number;
      readonly run: AgentRun;
      readonly client: AgentClient;
      readonly since: number;
    }
  /** No process; `timer` calls spawning at `retryAt` (epoch ms). */
  | {
      readonly state: 'waiting-to-restart';
      readonly attempt: number;
      readonly timer: NodeJS.Timeout;
      readonly reason: string;
      readonly retryAt: number;
    }
  /** No process, and none until "Start agent": stopped on request, or a failure retrying cannot fix. */
  | { readonly state: 'stopped'; readonly failure?: AgentFailure }
  /**
   * Quit: the process was asked to stop and is waited for (then killed at the deadline); stop()
   * resolves with `run.exited`. `client`, when it ran, answers calls until the process is gone.
   */
  | { readonly state: 'quitting'; readonly run: AgentRun; readonly client?: AgentClient }
  /** Final: nothing starts the agent again. */
  | { readonly state: 'quit' };

/** The variant of `state` K. */
export type SupervisorIn<K extends Supervisor['state']> = Extract<Supervisor, { state: K }>;

/** The states that have a live agent process. */
export type WithProcess = Extract<Supervisor, { run: AgentRun }>;

/** True when `s` supervises `proc`: events of any other (an earlier) process are stale. */
export function supervises(s: Supervisor, proc: AgentChildProcess): s is WithProcess {
  return 'run' in s && s.run.proc === proc;
}

/** The client calls go to, when there is one. */
export function clientOf(s: Supervisor): AgentClient | undefined {
  return s.state === 'running' || s.state === 'quitting' ? s.client : undefined;
}

/** What the tray shows for a supervisor state. */
export function hostStateOf(s: Supervisor): AgentHostState {
  switch (s.state) {
    case 'spawning':
    case 'starting':
    case 'connecting':
      return { kind: 'starting' };
    case 'running':
      return { kind: 'running' };
    case 'waiting-to-restart':
      return { kind: 'restarting', reason: s.reason, retryAt: s.retryAt };
    case 'stopped':
      return s.failure ? { kind: 'stopped', failure: s.failure } : { kind: 'stopped' };
    case 'quitting':
      // Quit does not change what the tray shows until the process is gone (the app is closing).
      return s.client ? { kind: 'running' } : { kind: 'starting' };
    case 'quit':
      return { kind: 'stopped' };
  }
}

/** True when the tray would show the same thing for both (listeners hear only of changes). */
export function sameHostState(a: AgentHostState, b: AgentHostState): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'restarting' && b.kind === 'restarting')
    return a.reason === b.reason && a.retryAt === b.retryAt;
  if (a.kind === 'stopped' && b.kind === 'stopped')
    return a.failure?.code === b.failure?.code && a.failure?.reason === b.failure?.reason;
  if (a.kind === 'running' && b.kind === 'running') return a.attached === b.attached;
  return true;
}

/**
 * What the agent process told main about itself, folded into its run. `running` changes the state, not
 * the run, and `session-host-wanted` is the launcher's (session-host-launcher.ts), so both are left to
 * the caller.
 */
export function noteMessage(
  run: AgentRun,
  msg: Extract<AgentToHostMessage, { type: 'failed' | 'stopping' }>,
): AgentRun {
  return msg.type === 'failed'
    ? { ...run, failure: { code: msg.code, reason: msg.reason }, reason: msg.reason }
    : { ...run, stopRequested: true };
}

/** What follows the exit of a supervised process (other than at Quit). */
export type ExitOutcome = { next: 'stopped'; failure?: AgentFailure } | { next: 'restart'; reason: string };

/**
 * Decides what follows an exit: a stop the agent was asked for stays stopped; a failure in
 * `notRetried` (retrying cannot fix it) stops with that failure; anything else is started again, with
 * the reason the agent or main gave, else the exit code.
 */
export function afterExit(run: AgentRun, code: number, notRetried: ReadonlySet<string>): ExitOutcome {
  if (run.stopRequested) return { next: 'stopped' };
  if (run.failure && notRetried.has(run.failure.code)) return { next: 'stopped', failure: run.failure };
  return {
    next: 'restart',
    reason: run.reason ?? `the agent process ended unexpectedly (exit code ${code})`,
  };
}

/** When to start again, and the `attempt` the restart carries. */
export interface RestartPlan {
  delayMs: number;
  retryAt: number;
  nextAttempt: number;
}

/**
 * The wait before the next start after a failure. `since` is when the run that ended began running
 * (undefined when it never ran): a run of at least `stableAfterMs` was a good one, so the failure
 * that ended it starts the backoff from the beginning rather than continuing a crash loop.
 */
export function planRestart(
  attempt: number,
  since: number | undefined,
  now: number,
  delays: RestartDelays,
): RestartPlan {
  const from = since !== undefined && now - since >= delays.stableAfterMs ? 0 : attempt;
  const delayMs = restartDelayMs(from, delays);
  return { delayMs, retryAt: now + delayMs, nextAttempt: from + 1 };
}

/** Why a call finds no agent to answer it, and what the user can do (ClawError NO_AGENT). */
export function noAgentMessage(shown: AgentHostState): string {
  if (shown.kind === 'stopped')
    return shown.failure
      ? `the agent could not start: ${shown.failure.reason}; fix that, then start it from the tray menu (Start agent)`
      : 'the agent has stopped; start it from the tray menu (Start agent)';
  const why =
    shown.kind === 'restarting' ? `the agent is restarting (${shown.reason})` : 'the agent is starting';
  return `${why}; try again in a moment`;
}
