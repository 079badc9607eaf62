/**
 * The API contract of an agent reached over its control socket, as the desktop main process uses it:
 * requests on one connection, events on one connection per listener (each subscription gets the
 * agent's first `status` event, as every other transport's subscriber does), and terminal streams on
 * fresh upgraded connections whose viewer — the window — acknowledges output itself
 * (docs/architecture.md §The API contract and its transports).
 */
import type { Disposer } from '../core/emitter.js';
import type { ApiEvents, ApiHandler, MethodName, MethodParams, MethodResults } from '../api/contract.js';
import { ControlClient, openControlStream } from '../api/control-client.js';
import type { StreamMethodName, StreamMethodParams } from '../api/stream-upgrade.js';
import type { AgentStream } from './agent-connection.js';

type EventListener = <E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => void;

export interface AgentClient extends ApiHandler {
  openStream<M extends StreamMethodName>(method: M, params: StreamMethodParams<M>): Promise<AgentStream<M>>;
  /** Once, when the request connection ends (the agent stopped or died). */
  onClose(listener: () => void): Disposer;
  /** Ends every connection this client holds (open streams stay: they belong to their viewers). */
  close(): void;
}

/**
 * Connects to the agent serving `socketPath` (the control socket of `home`).
 * @throws ClawError('NO_AGENT') when nothing listens there
 */
export async function connectAgentClient(socketPath: string, home: string): Promise<AgentClient> {
  const requests = await ControlClient.connect(socketPath, home);
  const subscriptions = new Set<ControlClient>();
  let closed = false;
  return {
    call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResults[M]> {
      return requests.call(method, params);
    },
    onEvent(listener: EventListener): Disposer {
      let client: ControlClient | undefined;
      let disposed = false;
      // A listener added before the connection is up still gets every event from then on.
      void ControlClient.connect(socketPath, home).then(
        (c) => {
          if (disposed || closed) return c.close();
          client = c;
          subscriptions.add(c);
          c.onEvent(listener);
          c.onClose(() => subscriptions.delete(c));
        },
        // The agent went away meanwhile: the host reconnects listeners once it runs again.
        () => undefined,
      );
      return () => {
        disposed = true;
        if (client) {
          subscriptions.delete(client);
          client.close();
        }
      };
    },
    openStream: (method, params) => openControlStream(socketPath, home, method, params, true),
    onClose: (listener) => requests.onClose(listener),
    close() {
      closed = true;
      requests.close();
      for (const c of subscriptions) c.close();
      subscriptions.clear();
    },
  };
}
