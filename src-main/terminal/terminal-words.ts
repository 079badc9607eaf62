/**
 * The terminal domain's permission word (core/permissions.ts PermissionWord), declared once: its contract
 * piece (terminal-contract.ts) brings it to the node, and the window reads its default and its place among
 * the words here too, and adds only its words for people (src-renderer/features/permission-words.ts
 * `explained`; ADR 0111). Pure data, so the renderer imports it.
 */
import type { PermissionWord } from '../core/permissions.js';

export const TERMINAL_WORDS = {
  terminal: {
    meaning: 'open a terminal (a shell or a command) on this machine',
    byDefault: true,
    rank: 10,
  },
} as const satisfies { readonly [word: string]: PermissionWord };
