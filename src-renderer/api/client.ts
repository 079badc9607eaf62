/**
 * The typed face of a Transport: method names, parameters and results are the contract's
 * (src-main/api/contract.ts, types only: the page never runs the agent's code), so a renamed method or
 * a changed result breaks the renderer's typecheck instead of a screen.
 */
import type { ApiEvents, MethodName, MethodParams, MethodResults } from '../../src-main/api/contract.js';
import {
  Listeners,
  type Disposer,
  type StreamChannel,
  type StreamMethod,
  type Transport,
} from './transport.js';

/** An event the agent pushes, by the contract's name, and its data. */
export type EventName = Extract<keyof ApiEvents, string>;
export type EventData<E extends EventName> = ApiEvents[E];

export class ApiClient {
  /** The listeners of each event kind, fed by one subscription to the transport (made on first use). */
  private readonly byEvent = new Map<string, Listeners<[never]>>();
  private offEvents: Disposer | null = null;

  constructor(readonly transport: Transport) {}

  call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResults[M]> {
    return this.transport.request(method, params) as Promise<MethodResults[M]>;
  }

  /** Whether the node behind the transport answers `method` (transport.ts `serves`): most do all. */
  serves(method: string): boolean {
    return this.transport.serves?.(method) ?? true;
  }

  /** Every event the agent pushes, by the contract's event name. */
  onEvent(listener: (event: string, data: unknown) => void): Disposer {
    return this.transport.subscribe(listener);
  }

  /**
   * Each `event` the agent pushes, its data typed by the contract. The agent's events are trusted as
   * its answers are (`call`): both come from the contract's own handlers over the same transport.
   */
  on<E extends EventName>(event: E, listener: (data: EventData<E>) => void): Disposer {
    this.offEvents ??= this.transport.subscribe((name, data) => this.byEvent.get(name)?.emit(data as never));
    let listeners = this.byEvent.get(event);
    if (!listeners) this.byEvent.set(event, (listeners = new Listeners<[never]>()));
    return listeners.add(listener);
  }

  openStream(method: StreamMethod, params: unknown): Promise<{ result: unknown; channel: StreamChannel }> {
    return this.transport.openStream(method, params);
  }
}

/** The line to show for anything a call threw: the agent's own message when it sent one. */
export function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // The agent's refusal of a parameter names the method and the field (`invalid parameters for
  // peers.rename: name: use 1–64 letters…`); the window shows it beside that field, so the problem is
  // enough.
  const m = /^invalid parameters for [\w.]+: (?:[\w.]+: )?(.+)$/s.exec(text);
  return m ? m[1]!.charAt(0).toUpperCase() + m[1]!.slice(1) : text;
}
