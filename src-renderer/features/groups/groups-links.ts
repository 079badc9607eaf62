/**
 * Where the window goes in Groups (lib/navigation.ts, ADR 0088): `#groups`,
 * `#groups?join=<code or link>`, the join form filled in with a group invitation (the desktop app
 * opens a `clawbridge://group?invite=…` link so), and `#groups?refused=<why>`, a link the app refused
 * as a group invitation, said under the join form. Pure.
 */
import type { FeatureLink } from '../../lib/navigation.js';

declare module '../../lib/navigation.js' {
  interface Intents {
    groups: {
      /** The Invitation code field filled in with this code or link. */
      joinCode?: string;
      /** Why the app refused the group invitation link it was opened with. */
      refusedLink?: string;
    };
  }
}

/** Longest reason for a refused link shown: the app's own lines are much shorter. */
const MAX_REFUSED_CHARS = 300;

export const GROUPS_LINKS: readonly FeatureLink<'groups'>[] = [
  {
    view: 'groups',
    route: 'groups',
    intent: (param) => {
      const code = param('join');
      // One line, bounded: it is shown as the reason under the form.
      const refused = param('refused')
        ?.replace(/\p{Cc}/gu, ' ')
        .slice(0, MAX_REFUSED_CHARS);
      return { ...(code ? { joinCode: code } : {}), ...(refused ? { refusedLink: refused } : {}) };
    },
  },
];
