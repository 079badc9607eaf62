/**
 * Where the window goes in Messages (lib/navigation.ts, ADR 0088): `#messages?peer=<fingerprint>` (a
 * notification about a message) opens that conversation. Pure, so it is unit-tested.
 */
import type { FeatureLink } from '../../lib/navigation.js';

declare module '../../lib/navigation.js' {
  interface Intents {
    messages: {
      /** The conversation with this peer (its fingerprint) open. */
      messagesPeer?: string;
    };
  }
}

export const MESSAGES_LINKS: readonly FeatureLink<'messages'>[] = [
  {
    view: 'messages',
    route: 'messages',
    intent: (param) => {
      const peer = param('peer');
      return peer ? { messagesPeer: peer } : {};
    },
  },
];
