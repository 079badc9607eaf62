/**
 * Which view the window shows. A tiny store rather than a router: the views are few and there are no
 * URLs to share. The choice survives a reload through sessionStorage, and main.tsx also names it in
 * the address's fragment (`#pair`, lib/fragment.ts viewFragment), so a reload lands where the window
 * was even where that storage did not keep it.
 */
import { Listeners, type Disposer } from '../api/transport.js';

export const VIEWS = [
  'peers',
  'approvals',
  'pair',
  'terminals',
  'messages',
  'files',
  'forwards',
  'connections',
  'activity',
  'settings',
] as const;
export type View = (typeof VIEWS)[number];

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

  constructor(private readonly storage: KeyValue | null) {
    const saved = storage?.getItem(KEY);
    const view = (VIEWS as readonly string[]).includes(saved ?? '') ? (saved as View) : 'peers';
    this.current = { view, intent: {}, seq: 0 };
  }

  get = (): Place => this.current;

  subscribe = (listener: () => void): Disposer => this.listeners.add(listener);

  go(view: View, intent: Intent = {}): void {
    this.current = { view, intent, seq: this.current.seq + 1 };
    try {
      this.storage?.setItem(KEY, view);
    } catch {
      // Storage full or refused: the view still changes, it just will not survive a reload.
    }
    this.listeners.emit();
  }
}
