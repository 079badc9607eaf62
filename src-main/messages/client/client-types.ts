/**
 * What a program's side of the messages API takes and gives: the control connection it needs, the
 * options of send, wait, listen and serve, and the limits the client keeps. Shared by the client
 * (messages-client.ts), its listener (listener.ts) and serve loop (serve-loop.ts), and re-exported by
 * the package's client library (agent-client.ts).
 */
import type { ControlEventListener } from '../../api/control-client.js';
import type { EventOptions, MethodName, MethodParams, MethodResults } from '../../api/contract.js';
import type { InboxMessage } from '../messages-contract.js';
import type { AwaitedState, BodyParams, MessageBody } from '../message-bodies.js';

/** What the messages client needs of a control connection (api/control-client.ts ControlClient). */
export interface ControlConnection {
  call<M extends MethodName>(
    method: M,
    params: MethodParams<M>,
    timeoutMs?: number,
  ): Promise<MethodResults[M]>;
  /** `options` as ControlClient.onEvent takes them: the first subscription's are the connection's. */
  onEvent(listener: ControlEventListener, options?: EventOptions): () => void;
  onClose(listener: () => void): () => void;
}

/**
 * How this client subscribes: outbox changes as `message.states`, many per event (ADR 0059), and
 * arriving messages as `messages`, many per event (ADR 0122); an older agent sends `message.state`
 * and `message` ones instead, and both forms are taken. In this order: an agent that knows only the
 * first option is subscribed with it (api/event-options.ts subscribeLines).
 */
export const EVENT_OPTIONS: EventOptions = { messageStates: 'batched', messages: 'batched' };

/** Most IDs one call takes (MESSAGE_IDS_MAX and MESSAGE_LIST_MAX in contract-messages.ts, not imported: zod). */
export const IDS_PER_CALL = 10_000;

export interface SendOptions {
  /** Default `default`. */
  topic?: string;
  /** Time to live in ms (1 s – 30 days; default 7 days). */
  ttlMs?: number;
  /** The message this one answers. */
  replyTo?: string;
  /** With replyTo: the answer reports a failure. */
  error?: boolean;
}

export interface WaitOptions {
  /** Resolve only once this receipt came (`read` counts for `delivered`). */
  wait?: AwaitedState;
  /** How long to wait for it, in ms (default 30 s). */
  timeoutMs?: number;
}

/** How long a send waits for its receipt, or an ask for its reply, unless told otherwise (30 s). */
export const DEFAULT_WAIT_MS = 30_000;

export interface ListenOptions {
  topic?: string;
  /** A peer's name or fingerprint (as every command takes it). */
  from?: string;
  /** Also replies to questions this node asked (default true; `serve` leaves them to `ask`). */
  replies?: boolean;
  /** Mark each message read once the handler returned (default true). */
  ack?: boolean;
  /**
   * Leave messages past their TTL to expire: each is given to this instead of the handler, as it
   * comes up, and is not marked read (`serve`: a question whose asker stopped waiting). Default: they
   * are handled like the others.
   */
  onExpired?: (m: InboxMessage) => void;
  /**
   * What a listener handled, kept across listeners: one that follows another (a new connection after
   * the agent restarted) hands none of those messages over again and acknowledges those whose
   * acknowledgement was lost. Default: a memory of its own.
   */
  memory?: ListenMemory;
}

/** What listeners sharing it handled (bounded: listener.ts SEEN_MEMORY), and what is still to acknowledge. */
export interface ListenMemory {
  readonly seen: Set<string>;
  readonly toAck: string[];
}

/** A fresh memory for listeners that follow one another (ListenOptions.memory). */
export function listenMemory(): ListenMemory {
  return { seen: new Set(), toAck: [] };
}

/** A running listener. */
export interface Listening {
  /** Stops taking messages; resolves once the one being handled and its receipt are done. */
  stop(): Promise<void>;
  /** Resolves once the unread messages are listed and events followed: nothing is missed from here on. */
  readonly ready: Promise<void>;
  /** Rejects when the agent goes away (or a handler throws); resolves after stop() or close(). */
  readonly done: Promise<void>;
}

/** A command's answer to a served message. */
export interface ServeAnswer {
  body: MessageBody | BodyParams;
  error?: boolean;
}
