/**
 * Where the window goes in Groups (lib/navigation.ts, ADR 0088): `#groups`, and
 * `#groups?join=<code or link>`, the join form filled in with a group invitation. Pure.
 */
import type { FeatureLink } from '../../lib/navigation.js';

declare module '../../lib/navigation.js' {
  interface Intents {
    groups: {
      /** The Invitation code field filled in with this code or link. */
      joinCode?: string;
    };
  }
}

export const GROUPS_LINKS: readonly FeatureLink<'groups'>[] = [
  {
    view: 'groups',
    route: 'groups',
    intent: (param) => {
      const code = param('join');
      return code ? { joinCode: code } : {};
    },
  },
];
