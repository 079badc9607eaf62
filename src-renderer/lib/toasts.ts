/**
 * Short confirmations ("Copied", "Forward added") that go away by themselves. Errors a user caused are
 * not toasts: they stay beside the control that caused them.
 */
import { Listeners, type Disposer } from '../api/transport.js';
import type { Hint } from '../api/hint.js';

export interface Toast {
  id: number;
  text: string;
  /** The command the text says to run, shown as code after it. */
  hint?: Hint;
}

/** How long a toast stays, in ms (4 s: long enough to read one line). */
export const TOAST_MS = 4000;

/**
 * How long the announcement is left empty before a toast whose text repeats the one being announced
 * (100 ms, in ms): a live region whose text does not change says nothing, so "Resume window saved"
 * twice in a row was heard once. Long enough for the browser to pass the empty region on to the
 * screen reader (one frame can be batched away), too short to notice.
 */
export const REPEAT_GAP_MS = 100;

/** What keeps a toast up: its Dismiss button has the focus, or the pointer is over it. */
export type Holder = 'focus' | 'pointer';

export class Toasts {
  private list: Toast[] = [];
  private newest: Toast | null = null;
  /** True while the announcement is held empty before a repeated text (REPEAT_GAP_MS). */
  private hushed = false;
  private hush: ReturnType<typeof setTimeout> | undefined;
  private nextId = 1;
  /** Each shown toast's pending dismissal; none while it is held (focused or pointed at). */
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();
  /** What holds each held toast: the focus, the pointer, or both. */
  private readonly holds = new Map<number, Set<Holder>>();
  private readonly listeners = new Listeners<[]>();

  get = (): Toast[] => this.list;

  subscribe = (listener: () => void): Disposer => this.listeners.add(listener);

  /**
   * What a screen reader is told: the newest toast's text alone, while it is shown; '' once it is gone
   * (dismissing one brings no older toast back to be read again).
   */
  announcement = (): string => this.announced()?.text ?? '';

  /**
   * The toast being announced (a stable object while it is), or null: the view keys the region's text
   * by its id, so each new toast is a new node there even when its words are the same.
   */
  announced = (): Toast | null =>
    !this.hushed && this.newest && this.list.includes(this.newest) ? this.newest : null;

  /** Shows `text` (and `hint`); returns its id, for taking it down early when it no longer holds. */
  show(text: string, hint?: Hint): number {
    const toast: Toast = hint ? { id: this.nextId++, text, hint } : { id: this.nextId++, text };
    // The same words as the announcement now: empty it for a moment first, so they are said again.
    const repeat = this.announcement() === text || this.hushed;
    // Three at most: the oldest goes, its timer and holds with it.
    for (const gone of this.list.slice(0, -2)) this.forget(gone.id);
    this.list = [...this.list.slice(-2), toast];
    this.newest = toast;
    if (repeat) {
      this.hushed = true;
      clearTimeout(this.hush);
      this.hush = setTimeout(() => {
        this.hushed = false;
        this.listeners.emit();
      }, REPEAT_GAP_MS);
    }
    this.listeners.emit();
    this.release(toast.id);
    return toast.id;
  }

  /**
   * Keeps a toast up while the user is on it — its Dismiss button focused or the pointer over it —
   * instead of taking it from under them (WCAG 2.2.1): a toast that went while its button had the
   * focus left the keyboard user somewhere else, and Shift+Tab no longer led back.
   */
  hold(id: number, by: Holder): void {
    if (!this.list.some((t) => t.id === id)) return;
    this.holds.set(id, new Set(this.holds.get(id)).add(by));
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
  }

  /** The user left the toast (focus and pointer both): it goes TOAST_MS later, a full read's time again. */
  release(id: number, by?: Holder): void {
    const holders = this.holds.get(id);
    if (by) holders?.delete(by);
    if (holders?.size || !this.list.some((t) => t.id === id)) return;
    this.holds.delete(id);
    clearTimeout(this.timers.get(id));
    this.timers.set(
      id,
      setTimeout(() => this.dismiss(id), TOAST_MS),
    );
  }

  dismiss(id: number): void {
    this.forget(id);
    this.list = this.list.filter((t) => t.id !== id);
    this.listeners.emit();
  }

  /** Drops a toast's pending dismissal and what held it. */
  private forget(id: number): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    this.holds.delete(id);
  }
}
