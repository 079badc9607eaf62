/**
 * The permission words the window knows, with their words for people: what the registered features
 * declare (each feature's `*-permissions.ts`), gathered here and nowhere else. A word's default and its
 * place among the others are the domain's, declared once in its `<folder>-words.ts` (the node's own
 * `relay` in core/node-words.ts), which the contract piece brings to the agent and `explained` below
 * brings to the window (ADR 0111); a feature adds only what the window says of it.
 * test/unit/renderer/permission-words.test.ts holds the gathered words to the agent's list.
 *
 * A word the agent grants that no feature explains is still shown, by its own name (their-grants.ts
 * grantsText), but gets no box: a box needs a label. Pure: no React, so Node's unit tests import it.
 */

import type { PermissionWord as DomainWord } from '../../src-main/core/permissions.js';

/**
 * A permission word a feature explains (the agent grants and checks it; the window only words it).
 * `order` places it among the boxes and in "may do here: …", as the agent orders its permissions.
 */
export interface PermissionWord {
  readonly word: string;
  /** What its checkbox says: `Open terminals here`. */
  readonly label: string;
  /** What a refusal names: `terminals` in "does not allow terminals from this device". */
  readonly refused: string;
  /** Granted to a new peer unless the boxes are changed (the agent's default). */
  readonly byDefault: boolean;
  readonly order: number;
}

/** What the window says of a word: the rest is the domain's. */
export type WordText = Pick<PermissionWord, 'label' | 'refused'>;

/**
 * A domain's words (its `<folder>-words.ts`) with what the window says of each: the default and the
 * order are the domain's (`byDefault`, `rank`), so they are written once.
 */
export function explained<W extends string>(
  words: { readonly [K in W]: DomainWord },
  says: { readonly [K in W]: WordText },
): PermissionWord[] {
  return (Object.keys(words) as W[]).map((word) => ({
    word,
    ...says[word],
    byDefault: words[word].byDefault,
    order: words[word].rank,
  }));
}

/** Every feature's words, in their order; a word declared twice counts once (its first declaration). */
export function permissionWords(
  features: readonly { readonly permissions?: readonly PermissionWord[] }[],
): PermissionWord[] {
  const byWord = new Map<string, PermissionWord>();
  for (const w of features.flatMap((f) => f.permissions ?? []))
    if (!byWord.has(w.word)) byWord.set(w.word, w);
  return [...byWord.values()].sort((a, b) => a.order - b.order);
}

/**
 * What a new peer may do here unless the boxes are changed: the agent's default, offered alike by
 * Approve and by Join with code. Typed as the caller's permission type: the words are the agent's
 * (the test above compares them), and the agent refuses one it does not know.
 */
export function defaultAllow<P extends string>(words: readonly PermissionWord[]): P[] {
  return words.filter((w) => w.byDefault).map((w) => w.word as P);
}
