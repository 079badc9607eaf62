/**
 * A small typed event emitter whose `on` returns a disposer (no reactive-stream libraries: a disposer is enough here).
 * Listener errors are not caught: they surface where the event was emitted, like Node's EventEmitter.
 */
export type Disposer = () => void;

export class Emitter<Events extends Record<string, unknown[]>> {
  // Listeners are stored untyped; `on` and `emit` are the typed doors in and out.
  private readonly listeners = new Map<keyof Events, Set<(...args: unknown[]) => void>>();

  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): Disposer {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const stored = listener as unknown as (...args: unknown[]) => void;
    set.add(stored);
    return () => {
      set.delete(stored);
    };
  }

  once<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): Disposer {
    const dispose = this.on(event, (...args) => {
      dispose();
      listener(...args);
    });
    return dispose;
  }

  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) listener(...args);
  }

  /** How many listeners `event` has now (whether anyone hears it). */
  listenerCount<K extends keyof Events>(event: K): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  removeAll(): void {
    this.listeners.clear();
  }
}
