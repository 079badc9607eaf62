/**
 * How the window reaches its agent, whatever carries the bytes: a WebSocket in a browser
 * (ws-transport.ts), IPC in Electron (ipc-transport.ts), or a fake in tests (fake-transport.ts). The
 * platform is picked once at start (pick-transport.ts); nothing above this interface knows which.
 * Methods and events are the API contract's (src-main/api/contract.ts); the transport only moves them.
 */

import type { StreamMethodName } from '../../src-main/api/contract.js';
import { parseHint, type Hint } from './hint.js';

/** Called for every pushed event after subscribing: the contract's event name and its data. */
export type EventListener = (event: string, data: unknown) => void;

/** Returned by every subscription: call it to stop listening. */
export type Disposer = () => void;

/**
 * Where the transport stands. `connecting` before the first success, `reconnecting` after a loss
 * (with the retry delay), `unauthorized` when the agent refused the token (no retry can fix that).
 */
export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  /** `stopped`: the desktop app's agent is not started again by itself (Start agent in the tray). */
  | { kind: 'reconnecting'; retryInMs: number; reason: string; stopped?: boolean }
  | { kind: 'unauthorized'; reason: string; hint?: Hint };

/**
 * An error the agent answered with: a stable code, the line to show, when another node refused that
 * node's refusal code (`PERMISSION_DENIED`, `REMOVED`, …; docs/mux-protocol.md), so the window can say
 * it in its own words (lib/refusal-text.ts) instead of parsing the message, and when the line says to
 * run a command, that command (shown as code beside it).
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly refusal?: string,
    readonly hint?: Hint,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The error body every transport carries (docs/web-ui.md); `hint` is checked before use. */
export interface ErrorBody {
  code: string;
  message: string;
  refusal?: string;
  hint?: Hint;
}

export function apiError(body: ErrorBody): ApiError {
  return new ApiError(body.code, body.message, body.refusal, parseHint(body.hint));
}

/** The binary channel of one streaming method (one terminal): terminal frames both ways. */
export interface StreamChannel {
  /** Sends bytes (whole terminal frames). Ignored once the channel closed. */
  send(bytes: Uint8Array): void;
  onMessage(listener: (bytes: Uint8Array) => void): Disposer;
  /** Once, when the channel ended; `reason` says why when it did not end cleanly. */
  onClose(listener: (reason: string | null) => void): Disposer;
  close(): void;
}

/**
 * A streaming method some domain's contract piece brings (its `streams`, ADR 0090): the contract's
 * list, so a domain that adds a stream adds it here without this file naming it.
 */
export type StreamMethod = StreamMethodName;

export interface Transport {
  request(method: string, params: unknown): Promise<unknown>;
  /** Every event the agent pushes; the transport subscribes (and re-subscribes after a reconnect). */
  subscribe(listener: EventListener): Disposer;
  openStream(method: StreamMethod, params: unknown): Promise<{ result: unknown; channel: StreamChannel }>;
  readonly state: ConnectionState;
  onState(listener: (state: ConnectionState) => void): Disposer;
  close(): void;
  /**
   * Whether it answers `method` (a method or a stream of the contract). Absent: it answers every one
   * (an agent behind it). A transport that is its own node answers only some (the browser node's, ADR
   * 0094): the window then shows only the features whose `needs` it serves (features/registry.ts).
   */
  serves?(method: string): boolean;
}

/** A set of listeners that returns a disposer per add: all the event plumbing the renderer needs. */
export class Listeners<A extends unknown[]> {
  private readonly set = new Set<(...args: A) => void>();

  add(listener: (...args: A) => void): Disposer {
    this.set.add(listener);
    return () => {
      this.set.delete(listener);
    };
  }

  emit(...args: A): void {
    for (const l of [...this.set]) l(...args);
  }

  get size(): number {
    return this.set.size;
  }

  clear(): void {
    this.set.clear();
  }
}
