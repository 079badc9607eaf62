/**
 * The permission words the window knows, with their words for people: what the registered features
 * declare (each feature's `*-permissions.ts`), gathered here and nowhere else, so the agent's own list
 * can feed the window later without touching a component. test/unit/renderer/permission-words.test.ts
 * holds the declarations to the agent's list (order and default) meanwhile.
 *
 * A word the agent grants that no feature explains is still shown, by its own name (their-grants.ts
 * grantsText), but gets no box: a box needs a label. Pure: no React, so Node's unit tests import it.
 */

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
