/**
 * What each terminal tab is called, on screen and for a screen reader. Pure, so node:test checks it.
 */
import type { SessionPhase } from './terminal-session.js';

/** A tab as these helpers need it. */
export interface NamedTab {
  key: number;
  peerName: string;
}

/** What one tab is called: its label, its close button's name, its panel's name. */
export interface TabNames {
  /**
   * `b`, then `b 2`, `b 3` for further tabs on a peer of the same name (skipping a label another tab
   * has, such as a peer's own name "b 2"): shown and spoken.
   */
  label: string;
  close: string;
  panel: string;
  /** The question before a live session is closed. */
  confirm: string;
}

/**
 * Names for `tabs` in their order: the first tab on a peer is called by the peer's name, further ones
 * by the name and a number, so no two tabs (nor their close buttons) sound the same. Tabs are counted
 * by the name they show, so two peers that share a name still get distinct labels, and a number that
 * would give another tab's label is skipped.
 */
export function tabNames(tabs: readonly NamedTab[]): Map<number, TabNames> {
  const seen = new Map<string, number>();
  const names = new Map<number, TabNames>();
  // Every peer's plain name is some tab's label, so a number never makes another peer's name: a peer
  // called "b 2" keeps it, and the second tab on peer b becomes "b 3" (the next label nobody has).
  const taken = new Set(tabs.map((t) => t.peerName));
  for (const t of tabs) {
    let n = (seen.get(t.peerName) ?? 0) + 1;
    if (n > 1) {
      while (taken.has(`${t.peerName} ${n}`)) n++;
      taken.add(`${t.peerName} ${n}`);
    }
    seen.set(t.peerName, n);
    const which = n === 1 ? 'terminal' : `terminal ${n}`;
    names.set(t.key, {
      label: n === 1 ? t.peerName : `${t.peerName} ${n}`,
      close: `Close ${which} on ${t.peerName}`,
      panel: `${n === 1 ? 'Terminal' : `Terminal ${n}`} on ${t.peerName}`,
      confirm: `Close the ${which} on ${t.peerName}?`,
    });
  }
  return names;
}

/**
 * The word on a tab's badge: its path while live, else its phase — but a session that had started
 * and then broke off (the peer stopped, the agent lost it) has `ended`; `failed` is kept for a session
 * that never opened.
 */
export function tabBadge(phase: SessionPhase, started: boolean, path: string | null): string {
  if (phase === 'live') return path ?? 'connecting';
  if (phase === 'failed' && started) return 'ended';
  return phase;
}
