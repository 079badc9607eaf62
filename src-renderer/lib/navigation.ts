/**
 * Which view the window shows. A tiny store rather than a router: the views are few and there are no
 * URLs to share. The choice survives a reload through sessionStorage, and main.tsx also names it in
 * the address's fragment (`#pair`, lib/fragment.ts viewFragment), so a reload lands where the window
 * was even where that storage did not keep it. The views are the registered features' ids
 * (features/index.ts), given at construction: this module names none.
 */
import { Listeners, type Disposer } from '../api/transport.js';

/** A view: the id of the feature that shows it (`peers`, `messages`). */
export type View = string;

/**
 * What a view was opened for: a peer pre-selected in "Add forward", a join started from a link, the
 * request a notification was about, a terminal to open (a tray item, lib/fragment.ts).
 */
export interface Intent {
  forwardVia?: string;
  pairMode?: 'new' | 'join';
  joinCode?: string;
  /** Approvals: the pending request (its id or fingerprint) to show first. */
  request?: string;
  /** Terminals: open a new tab to this peer (fingerprint), called `name` until the agent names it. */
  openTerminal?: { peer: string; name: string };
  /** Messages: the conversation with this peer (its fingerprint) open. */
  messagesPeer?: string;
  /** Files: the peer (fingerprint) to send files to, its dialog open. */
  sendFilesTo?: string;
}

const KEY = 'clawbridge.view';

/** Where the window is: the view, what it was opened for, and a count that changes on every go(). */
export interface Place {
  view: View;
  intent: Intent;
  seq: number;
}

/** Storage that may be absent (node tests, a locked-down browser). */
export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export class Navigation {
  private current: Place;
  private readonly listeners = new Listeners<[]>();

  /** `views`: every view there is, the first one shown when none was saved (or the saved one is gone). */
  constructor(
    private readonly storage: KeyValue | null,
    private readonly views: readonly View[],
  ) {
    const saved = storage?.getItem(KEY) ?? '';
    const view = views.includes(saved) ? saved : (views[0] ?? '');
    this.current = { view, intent: {}, seq: 0 };
  }

  get = (): Place => this.current;

  subscribe = (listener: () => void): Disposer => this.listeners.add(listener);

  /** Shows `view`; one that no feature shows is ignored, as a malformed link is. */
  go(view: View, intent: Intent = {}): void {
    if (!this.views.includes(view)) return;
    this.current = { view, intent, seq: this.current.seq + 1 };
    try {
      this.storage?.setItem(KEY, view);
    } catch {
      // Storage full or refused: the view still changes, it just will not survive a reload.
    }
    this.listeners.emit();
  }
}
