/**
 * The node's own permission word, declared once: a peer allowed it may reach others through this node,
 * on its relay server (relay-clients/own-relay.ts) or as a hop of a route (routes/). core/permissions.ts
 * brings it to every vocabulary, and the window reads its default and its place among the words here
 * too (src-renderer/features/permission-words.ts `explained`; ADR 0111). Pure data, so the renderer
 * imports it.
 */
import type { PermissionWord } from './permissions.js';

export const NODE_WORDS = {
  relay: {
    meaning: 'reach other nodes through this one: its relay server, or a hop of a route',
    byDefault: false,
    rank: 30,
  },
} as const satisfies { readonly [word: string]: PermissionWord };
