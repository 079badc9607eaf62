/**
 * The desktop app's agent, wherever it runs: the app looks at its home first and attaches to the agent
 * serving it (a service, or one started by hand), waits for a service's agent that is not up yet, or
 * starts its own (agent-host.ts), as agent-attach.ts decides. The shell holds one AgentConnection and
 * never learns which; this one hands every call to the connection of the moment and moves the
 * listeners along when it changes (an agent started by hand was stopped: the app starts its own).
 */
import { background } from '../core/background.js';
import { ClawError, errorMessage } from '../core/errors.js';
import type { Disposer } from '../core/emitter.js';
import type { ApiEvents, MethodName, MethodParams, MethodResults } from '../api/contract.js';
import type { AgentClient } from './agent-client.js';
import type { AgentConnection, AgentHostState } from './agent-connection.js';
import {
  afterAttachedLost,
  agentServing,
  attachedAs,
  attachedConnection,
  attachFailureLine,
  decideHost,
  type HostDecision,
} from './agent-attach.js';

/**
 * How long between looks for a service's agent that does not answer yet, in ms (2 s): its manager
 * starts it within seconds of a login or a crash (the unit's RestartSec=), and a look is one connect
 * to a local socket.
 */
export const SERVICE_LOOK_MS = 2_000;

export interface DesktopAgentOptions {
  /** Starts the app's own agent host (agent-host.ts). */
  startOwn: () => AgentConnection;
  /** Connects to the agent serving the home (its control socket); rejects NO_AGENT when none does. */
  connect: () => Promise<AgentClient>;
  /** Whether the home has a service installed (its service.json). */
  serviceInstalled: () => boolean;
  lookMs?: number;
  log?: (line: string) => void;
}

type EventListener = <E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => void;

/** The app's agent, and the one switch Settings makes: to or from a service on the home. */
export interface DesktopAgent extends AgentConnection {
  /**
   * Lets go of the agent of the moment (the app's own is stopped, so the home is free), runs `step`
   * (a service's install or uninstall), then looks at the home again: attaches to the service's agent,
   * or starts its own. Rejects with `step`'s error, after the look.
   */
  switchHome(step: () => Promise<void>): Promise<void>;
}

export function startDesktopAgent(options: DesktopAgentOptions): DesktopAgent {
  const log = options.log ?? ((line: string) => console.error(line));
  const lookMs = options.lookMs ?? SERVICE_LOOK_MS;
  let inner: AgentConnection | null = null;
  let offInnerState: Disposer | undefined;
  let shown: AgentHostState = { kind: 'starting' };
  let timer: NodeJS.Timeout | undefined;
  let quit = false;
  const stateListeners = new Set<(s: AgentHostState) => void>();
  const eventListeners = new Map<EventListener, Disposer | undefined>();

  const show = (next: AgentHostState): void => {
    shown = next;
    for (const l of [...stateListeners]) l(next);
  };

  const leaveInner = (): void => {
    offInnerState?.();
    offInnerState = undefined;
    for (const [listener, off] of eventListeners) {
      off?.();
      eventListeners.set(listener, undefined);
    }
    inner = null;
  };

  const adopt = (conn: AgentConnection): void => {
    inner = conn;
    for (const listener of eventListeners.keys()) eventListeners.set(listener, conn.onEvent(listener));
    offInnerState = conn.onHostState(show);
    show(conn.hostState());
  };

  const lookLater = (): void => {
    show({
      kind: 'restarting',
      reason: "waiting for this home's service to start its agent",
      retryAt: Date.now() + lookMs,
    });
    timer = setTimeout(lookNow, lookMs);
  };

  const act = (decision: HostDecision, client: AgentClient | undefined, service: boolean): void => {
    if (decision === 'attach' && client) {
      const attached = attachedAs({ serving: true, service });
      log(
        `attached to the agent serving this home (${attached === 'service' ? 'its service' : 'started outside the app'})`,
      );
      return adopt(
        attachedConnection(client, attached, (reason) => {
          log(`agent: ${reason}`);
          leaveInner();
          if (quit) return;
          const next = afterAttachedLost(options.serviceInstalled());
          if (next === 'wait-for-service') return lookLater();
          lookNow();
        }),
      );
    }
    if (decision === 'wait-for-service') return lookLater();
    adopt(options.startOwn());
  };

  const look = async (): Promise<void> => {
    timer = undefined;
    if (quit) return;
    let client: AgentClient | undefined;
    try {
      client = await agentServing(options.connect);
    } catch (err) {
      log(attachFailureLine(err));
    }
    const service = options.serviceInstalled();
    if (quit) return client?.close();
    act(decideHost({ serving: client !== undefined, service }), client, service);
  };
  // look() logs what it meets; a throw past that (a bug) is logged too, and the window waits as it is.
  const lookNow = (): void =>
    background(look(), (err) => log(`could not look for this home's agent: ${errorMessage(err)}`));

  lookNow();

  return {
    hostState: () => shown,
    onHostState(listener) {
      stateListeners.add(listener);
      return () => void stateListeners.delete(listener);
    },
    async call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResults[M]> {
      if (!inner) throw new ClawError('NO_AGENT', 'the agent is starting; try again in a moment');
      return inner.call(method, params);
    },
    onEvent(listener: EventListener): Disposer {
      eventListeners.set(listener, inner?.onEvent(listener));
      return () => {
        eventListeners.get(listener)?.();
        eventListeners.delete(listener);
      };
    },
    async openStream(method, params) {
      if (!inner) throw new ClawError('NO_AGENT', 'the agent is starting; try again in a moment');
      return inner.openStream(method, params);
    },
    start() {
      if (inner) return inner.start();
      // Waiting for a service's agent: look now rather than at the next tick.
      if (timer) {
        clearTimeout(timer);
        lookNow();
      }
    },
    async switchHome(step) {
      const conn = inner;
      leaveInner();
      show({ kind: 'starting' });
      try {
        await conn?.stop();
        await step();
      } finally {
        if (!quit) lookNow();
      }
    },
    stop(opts) {
      quit = true;
      clearTimeout(timer);
      return inner ? inner.stop(opts) : Promise.resolve();
    },
  };
}
