/**
 * The forwards domain's permission words (core/permissions.ts PermissionWord), declared once: its contract
 * piece (forwards-contract.ts) brings them to the node, and the window reads its default and its place among
 * the words here too, and adds only its words for people (src-renderer/features/permission-words.ts
 * `explained`; ADR 0111). Pure data, so the renderer imports it.
 */
import type { PermissionWord } from '../core/permissions.js';

export const FORWARDS_WORDS = {
  forward: {
    meaning: 'open connections from this machine: forwards and proxies that exit here',
    byDefault: true,
    rank: 20,
  },
  listen: {
    meaning: 'listen on a port of this machine for its reverse forwards (and shares)',
    byDefault: false,
    rank: 40,
  },
} as const satisfies { readonly [word: string]: PermissionWord };
