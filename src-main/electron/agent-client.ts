/**
 * The API contract of an agent reached over its control socket, as the desktop main process uses it:
 * requests and events on one connection (a subscription is in order with the requests around it, as
 * on the other transports), every listener getting the latest `status` event when it subscribes, and
 * terminal streams on fresh upgraded connections whose viewer — the window — acknowledges output
 * itself (docs/architecture.md §The API contract and its transports).
 */
import type { Disposer } from '../core/emitter.js';
import type {
  ApiEvents,
  ApiHandler,
  MethodName,
  MethodParams,
  MethodResults,
  StreamMethodName,
  StreamMethodParams,
} from '../api/contract.js';
import { ControlClient, openControlStream } from '../api/control-client.js';
import type { AgentStream } from './agent-connection.js';

type EventListener = <E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => void;

export interface AgentClient extends ApiHandler {
  openStream<M extends StreamMethodName>(method: M, params: StreamMethodParams<M>): Promise<AgentStream<M>>;
  /** Once, when the request connection ends (the agent stopped or died). */
  onClose(listener: () => void): Disposer;
  /** Ends the request and event connection (open streams stay: they belong to their viewers). */
  close(): void;
}

/**
 * Connects to the agent serving `socketPath` (the control socket of `home`).
 * @throws ClawError('NO_AGENT') when nothing listens there
 */
export async function connectAgentClient(socketPath: string, home: string): Promise<AgentClient> {
  const requests = await ControlClient.connect(socketPath, home);
  const listeners = new Set<EventListener>();
  let lastStatus: ApiEvents['status'] | undefined;
  let subscribed = false;
  const fanOut: EventListener = (event, data) => {
    if (event === 'status') lastStatus = data as ApiEvents['status'];
    for (const l of [...listeners]) l(event, data);
  };
  return {
    call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResults[M]> {
      return requests.call(method, params);
    },
    onEvent(listener: EventListener): Disposer {
      listeners.add(listener);
      if (!subscribed) {
        // On the request connection, so the subscription is in place before any later request is
        // handled: an event caused by a call made right after subscribing is never missed.
        subscribed = true;
        requests.onEvent(fanOut);
      } else if (lastStatus) {
        // The agent pushes `status` once to each new subscriber; later listeners get the latest one.
        const status = lastStatus;
        queueMicrotask(() => listeners.has(listener) && listener('status', status));
      }
      return () => void listeners.delete(listener);
    },
    openStream: (method, params) => openControlStream(socketPath, home, method, params, true),
    onClose: (listener) => requests.onClose(listener),
    close: () => requests.close(),
  };
}
