/**
 * Short confirmations ("Copied", "Forward added") that go away by themselves. Errors a user caused are
 * not toasts: they stay beside the control that caused them.
 */
import { Listeners, type Disposer } from '../api/transport.js';

export interface Toast {
  id: number;
  text: string;
}

/** How long a toast stays, in ms (4 s: long enough to read one line). */
export const TOAST_MS = 4000;

export class Toasts {
  private list: Toast[] = [];
  private newest: Toast | null = null;
  private nextId = 1;
  private readonly listeners = new Listeners<[]>();

  get = (): Toast[] => this.list;

  subscribe = (listener: () => void): Disposer => this.listeners.add(listener);

  /**
   * What a screen reader is told: the newest toast's text alone, while it is shown; '' once it is gone
   * (dismissing one brings no older toast back to be read again).
   */
  announcement = (): string => (this.newest && this.list.includes(this.newest) ? this.newest.text : '');

  /** Shows `text`; returns its id, for taking it down early when what it said no longer holds. */
  show(text: string): number {
    const toast = { id: this.nextId++, text };
    this.list = [...this.list.slice(-2), toast];
    this.newest = toast;
    this.listeners.emit();
    setTimeout(() => this.dismiss(toast.id), TOAST_MS);
    return toast.id;
  }

  dismiss(id: number): void {
    this.list = this.list.filter((t) => t.id !== id);
    this.listeners.emit();
  }
}
