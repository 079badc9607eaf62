/**
 * Where the window goes in Pair (lib/navigation.ts, ADR 0088): `#pair/new` (a fresh code),
 * `#pair/join`, `#join?invite=<code or invite>` (a join link), and its first form `#join=<code or
 * invite>`. Other features open Pair the same way (the Peers view's "Pair new device"). Pure, so it
 * is unit-tested.
 */
import type { FeatureLink } from '../../lib/navigation.js';

declare module '../../lib/navigation.js' {
  interface Intents {
    pair: {
      /** A fresh code to show, or the join form. */
      pairMode?: 'new' | 'join';
      /** The join form filled in with this code or invite. */
      joinCode?: string;
    };
  }
}

export const PAIR_LINKS: readonly FeatureLink<'pair'>[] = [
  { view: 'pair', route: 'pair/new', intent: () => ({ pairMode: 'new' }) },
  { view: 'pair', route: 'pair/join', intent: () => ({ pairMode: 'join' }) },
  {
    view: 'pair',
    route: 'join',
    firstForm: 'invite',
    intent: (param) => {
      const invite = param('invite');
      return invite ? { pairMode: 'join', joinCode: invite } : { pairMode: 'join' };
    },
  },
];
