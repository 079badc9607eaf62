/**
 * The messages domain's permission word (core/permissions.ts PermissionWord), declared once: its contract
 * piece (messages-contract.ts) brings it to the node, and the window reads its default and its place among
 * the words here too, and adds only its words for people (src-renderer/features/permission-words.ts
 * `explained`; ADR 0111). Pure data, so the renderer imports it.
 */
import type { PermissionWord } from '../core/permissions.js';

export const MESSAGES_WORDS = {
  message: {
    meaning: "put bounded messages into this node's inbox",
    byDefault: true,
    rank: 50,
    // ADR 0046: it adds nothing `terminal` did not allow.
    grantedWith: 'terminal',
  },
} as const satisfies { readonly [word: string]: PermissionWord };
