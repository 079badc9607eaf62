/**
 * One way to undo what a part set up (event subscriptions, timers, listeners on a socket) when it
 * ends: add each undo to a store as it is set up, dispose the store once. Written out by hand each
 * time, a list of undos got the details wrong in a different way in each file: run twice, run in the
 * order set up, stopped at the first that threw (leaving the rest subscribed), or filled again after
 * it ran with nothing left to run the new ones.
 */
import type { Disposer } from './emitter.js';

export type { Disposer } from './emitter.js';

/**
 * What a part set up and must undo when it ends. `dispose` runs every undo once, the last added
 * first (what was set up last may depend on what came before it), and runs all of them even when
 * one throws; the error (or an AggregateError of several) is thrown after the last. Disposing again
 * does nothing; what is added after disposal is undone at once, since nothing would undo it later.
 */
export class DisposableStore {
  private readonly undos: Disposer[] = [];
  private disposed = false;

  /** True once dispose() ran. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Keeps `undos` to run at dispose() (or now, when the store is disposed already). */
  add(...undos: Disposer[]): void {
    this.undos.push(...undos);
    if (this.disposed) this.runAll();
  }

  /** Undoes everything held, last added first; later adds are undone at once. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.runAll();
  }

  private runAll(): void {
    const errors: unknown[] = [];
    for (let undo = this.undos.pop(); undo; undo = this.undos.pop()) {
      try {
        undo();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} disposers threw`);
  }
}
