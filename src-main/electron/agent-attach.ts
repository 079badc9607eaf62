/**
 * The desktop app with an agent it did not start: a service (`clawbridge service install`) or a
 * `clawbridge agent` started by hand already serves the app's home. The app then attaches to it over
 * the control socket, as the CLI does, instead of starting its own (which the running one would
 * refuse: one agent per home); Quit and a restart to update detach and leave it running, with the
 * shells it serves (docs/desktop-app.md §With a service).
 *
 * The decisions are pure functions here; agent-host-choice.ts performs them.
 */
import { ClawError, errorMessage, isClawError } from '../core/errors.js';
import type { Disposer } from '../core/emitter.js';
import type { ApiEvents, MethodName, MethodParams, MethodResults } from '../api/contract.js';
import type { AgentClient } from './agent-client.js';
import type { AgentConnection, AgentHostState, AttachedAgent } from './agent-connection.js';

/** What the app found on its home when it looked. */
export interface HomeSeen {
  /** An agent answered on the home's control socket. */
  readonly serving: boolean;
  /** The home has a service installed (service.json): its agent may be starting, or restarting. */
  readonly service: boolean;
}

/**
 * What the app does with its home: attach to the agent serving it; wait for the service's agent (its
 * manager starts it, and an agent of the app's own would make that start fail); or start its own.
 */
export type HostDecision = 'attach' | 'wait-for-service' | 'start-own';

export function decideHost(seen: HomeSeen): HostDecision {
  if (seen.serving) return 'attach';
  return seen.service ? 'wait-for-service' : 'start-own';
}

/** Who the attached agent is, for the tray. */
export const attachedAs = (seen: HomeSeen): AttachedAgent => (seen.service ? 'service' : 'agent');

/**
 * After the agent attached to went away: a service's comes back (its manager starts it again), so the
 * app waits and attaches again; an agent started by hand was stopped by its owner, so the app starts
 * its own, as it would have at its start.
 */
export const afterAttachedLost = (service: boolean): HostDecision =>
  service ? 'wait-for-service' : 'start-own';

/** The tray's line under the status line while attached. */
export function attachedLine(attached: AttachedAgent): string {
  return attached === 'service'
    ? 'Agent runs as a service: it keeps running after Quit'
    : 'Using an agent started outside the app: it keeps running after Quit';
}

/**
 * Connects to the agent serving `home`, if one does.
 * @returns undefined when nothing listens there (NO_AGENT); other failures are thrown
 */
export async function agentServing(connect: () => Promise<AgentClient>): Promise<AgentClient | undefined> {
  try {
    return await connect();
  } catch (err) {
    if (isClawError(err, 'NO_AGENT')) return undefined;
    throw err;
  }
}

type EventListener = <E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => void;

/**
 * An AgentConnection over an agent the app did not start: calls, events and streams go to `client`;
 * `stop` (Quit, a restart to update) only closes the app's connection; `onLost` is called once when
 * the agent goes away (stopped, restarted by its manager).
 */
export function attachedConnection(
  client: AgentClient,
  attached: AttachedAgent,
  onLost: (reason: string) => void,
): AgentConnection {
  let state: AgentHostState = { kind: 'running', attached };
  const stateListeners = new Set<(s: AgentHostState) => void>();
  let detached = false;
  client.onClose(() => {
    if (detached) return;
    detached = true;
    state = { kind: 'restarting', reason: 'the agent serving this home stopped', retryAt: Date.now() };
    for (const l of [...stateListeners]) l(state);
    onLost('the agent serving this home stopped');
  });
  const live = (): AgentClient => {
    if (detached)
      throw new ClawError('NO_AGENT', 'the agent serving this home stopped; try again in a moment');
    return client;
  };
  return {
    hostState: () => state,
    onHostState(listener) {
      stateListeners.add(listener);
      return () => void stateListeners.delete(listener);
    },
    async call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResults[M]> {
      return live().call(method, params);
    },
    onEvent: (listener: EventListener): Disposer => client.onEvent(listener),
    async openStream(method, params) {
      return live().openStream(method, params);
    },
    // Its lifecycle is not the app's: "Start agent" has nothing to start.
    start: () => {},
    stop() {
      detached = true;
      client.close();
      return Promise.resolve();
    },
  };
}

/** One line for the log when looking at the home failed other than by finding nothing. */
export const attachFailureLine = (err: unknown): string =>
  `the agent serving this home could not be reached (${errorMessage(err)}); starting the app's own`;
