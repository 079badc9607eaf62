/**
 * Where the window goes in Approvals (lib/navigation.ts, ADR 0088): `#approvals?request=<id or
 * fingerprint>` (a notification about that request) shows it first. Pure, so it is unit-tested.
 */
import type { FeatureLink } from '../../lib/navigation.js';

declare module '../../lib/navigation.js' {
  interface Intents {
    approvals: {
      /** The pending request (its id or fingerprint) to show first. */
      request?: string;
    };
  }
}

export const APPROVALS_LINKS: readonly FeatureLink<'approvals'>[] = [
  {
    view: 'approvals',
    route: 'approvals',
    intent: (param) => {
      const request = param('request');
      return request ? { request } : {};
    },
  },
];
