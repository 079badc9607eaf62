/**
 * The files domain's permission word (core/permissions.ts PermissionWord), declared once: its contract piece
 * (files-contract.ts) brings it to the node, and the window reads its default and its place among the words
 * here too, and adds only its words for people (src-renderer/features/permission-words.ts `explained`; ADR
 * 0111). Pure data, so the renderer imports it.
 */
import type { PermissionWord } from '../core/permissions.js';

export const FILES_WORDS = {
  files: {
    meaning: "send files and folders into this node's file inbox",
    byDefault: false,
    rank: 60,
  },
} as const satisfies { readonly [word: string]: PermissionWord };
