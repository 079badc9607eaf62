/**
 * Where the window goes in Terminals (lib/navigation.ts, ADR 0088): `#terminals?open=<peer>&name=<name>`
 * (a tray item, main's window-place.ts) opens a new tab to that peer, named `name` until the agent's
 * list names it. The tab is opened as the link is followed (terminals-feature.ts `follow`), not by the
 * view. Pure, so it is unit-tested.
 */
import type { FeatureLink } from '../../lib/navigation.js';

/** Longest peer name shown on a tab before the agent's list names it, in characters. */
const MAX_NAME_CHARS = 100;

declare module '../../lib/navigation.js' {
  interface Intents {
    terminals: {
      /** Open a new tab to this peer (fingerprint), called `name` until the agent names it. */
      openTerminal?: { peer: string; name: string };
    };
  }
}

export const TERMINALS_LINKS: readonly FeatureLink<'terminals'>[] = [
  {
    view: 'terminals',
    route: 'terminals',
    intent: (param) => {
      const peer = param('open');
      if (!peer) return {};
      return { openTerminal: { peer, name: param('name')?.slice(0, MAX_NAME_CHARS) ?? peer.slice(0, 8) } };
    },
  },
];
