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
  /** `b`, then `b 2`, `b 3` for further tabs on a peer of the same name: shown and spoken. */
  label: string;
  close: string;
  panel: string;
  /** The question before a live session is closed. */
  confirm: string;
}

/**
 * Names for `tabs` in their order: the first tab on a peer is called by the peer's name, further ones
 * by the name and a number, so no two tabs (nor their close buttons) sound the same. Tabs are counted
 * by the name they show, so two peers that share a name still get distinct labels.
 */
export function tabNames(tabs: readonly NamedTab[]): Map<number, TabNames> {
  const seen = new Map<string, number>();
  const names = new Map<number, TabNames>();
  for (const t of tabs) {
    const n = (seen.get(t.peerName) ?? 0) + 1;
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
