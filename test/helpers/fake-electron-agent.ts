/**
 * An AgentConnection in memory for the window transport's unit tests: it answers `status` and
 * `peers.remove` (a refusal from another node, to see errors cross intact), records what reached it,
 * pushes events on demand, and opens terminal streams as in-memory ViewerChannels the test drives.
 */
import { ClawError } from '../../src-main/core/errors.js';
import type { ApiEvents } from '../../src-main/api/contract.js';
import type { ViewerChannel } from '../../src-main/api/viewer-channel.js';
import type { AgentConnection, AgentHostState } from '../../src-main/electron/agent-connection.js';

/** The agent's end of an in-memory terminal stream. */
export interface FakeStreamEnd {
  method: string;
  params: unknown;
  /** Bytes the page sent, in order. */
  fromPage: Uint8Array[];
  /** Sends bytes to the page. */
  toPage(bytes: Uint8Array): void;
  /** Ends the stream from the agent's side. */
  end(): void;
  closed: boolean;
  /** What write() answers: false makes the channel "full" until drain(). */
  accepting: boolean;
  drain(): void;
}

export interface FakeAgent {
  connection: AgentConnection;
  /** Methods that reached the agent, in order. */
  calls: { method: string; params: unknown }[];
  streams: FakeStreamEnd[];
  emit<E extends keyof ApiEvents>(event: E, data: ApiEvents[E]): void;
  /** Moves the host to `state`, as the supervisor would. */
  setHostState(state: AgentHostState): void;
  listenerCount(): number;
}

function memoryChannel(end: FakeStreamEnd): ViewerChannel {
  const data = new Set<(b: Uint8Array) => void>();
  const drains = new Set<() => void>();
  const closes = new Set<() => void>();
  let paused = true;
  const queued: Uint8Array[] = [];
  const deliver = () => {
    while (!paused && queued.length) for (const l of data) l(queued.shift()!);
  };
  end.toPage = (bytes) => {
    queued.push(bytes);
    deliver();
  };
  const close = () => {
    if (end.closed) return;
    end.closed = true;
    for (const l of closes) l();
  };
  end.end = close;
  end.drain = () => {
    end.accepting = true;
    for (const l of drains) l();
  };
  const add = <T>(set: Set<T>, l: T) => (set.add(l), () => void set.delete(l));
  return {
    viewerAcks: true,
    write(bytes) {
      end.fromPage.push(new Uint8Array(bytes));
      return end.accepting;
    },
    onData: (l) => add(data, l),
    onDrain: (l) => add(drains, l),
    onClose: (l) => add(closes, l),
    pause: () => void (paused = true),
    resume: () => {
      paused = false;
      deliver();
    },
    close,
  };
}

export function fakeAgent(): FakeAgent {
  const calls: FakeAgent['calls'] = [];
  const streams: FakeStreamEnd[] = [];
  const listeners = new Set<(event: string, data: unknown) => void>();
  let state: AgentHostState = { kind: 'running' };
  const stateListeners = new Set<(s: AgentHostState) => void>();
  const connection: AgentConnection = {
    hostState: () => state,
    start: () => undefined,
    onHostState(listener) {
      stateListeners.add(listener);
      return () => void stateListeners.delete(listener);
    },
    call(method, params) {
      calls.push({ method, params });
      if (method === 'status') return Promise.resolve({ name: 'desk' } as never);
      if (method === 'peers.remove')
        return Promise.reject(
          new ClawError('STREAM_REJECTED', 'far refused: permission denied', {
            refusal: 'PERMISSION_DENIED',
          }),
        );
      return Promise.reject(new ClawError('INTERNAL', `the fake agent does not answer ${method}`));
    },
    onEvent(listener) {
      const l = listener as (event: string, data: unknown) => void;
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    openStream(method, params) {
      const end = {
        method,
        params,
        fromPage: [],
        closed: false,
        accepting: true,
      } as unknown as FakeStreamEnd;
      const channel = memoryChannel(end);
      streams.push(end);
      return Promise.resolve({
        result: { id: '0123456789abcdef', path: 'direct', remote: '127.0.0.1:1' } as never,
        channel,
      });
    },
    stop: () => Promise.resolve(),
  };
  return {
    connection,
    calls,
    streams,
    emit: (event, data) => {
      for (const l of [...listeners]) l(event, data);
    },
    listenerCount: () => listeners.size,
    setHostState(next) {
      state = next;
      for (const l of [...stateListeners]) l(next);
    },
  };
}
