/**
 * What a peer may do on this node (enforced here, by the side that grants it). The words are the
 * domains', but for the node's own `relay`: each domain brings its own from its folder (its
 * `*-contract.ts` adds them to `PermissionWords` for the types and lists them in its contract piece
 * for run time), so this module names none of theirs (docs/adr/0085-domains-as-plug-ins.md). The
 * composition builds the vocabulary of the domains it runs and hands it down (api/vocabulary.ts, ADR
 * 0118): no process-wide list of words, so what parses never hangs on what registered first. No
 * schema library here: the CLI's client commands name permissions without loading the settings store.
 */

import { NODE_WORDS } from './node-words.js';

/**
 * Every permission word, by name: the node's own here, the domains' added by their contract files
 * with `declare module '../core/permissions.js' { interface PermissionWords { … } }`.
 */
export interface PermissionWords {
  /** Through this node: its own relay server, and a hop of a route (routes/). */
  relay: true;
}

export type Permission = Extract<keyof PermissionWords, string>;

/** What a domain says of one of its words. */
export interface PermissionWord {
  /** One line: what a peer allowed it may do here. */
  readonly meaning: string;
  /** Granted by `approve` and `peers add` when --allow is not given. */
  readonly byDefault: boolean;
  /**
   * Where the word stands in every list of words (the CLI's help, a peer's `allow`, the grants
   * message): lists keep the order releases before plug-ins wrote them in, whatever the domains' order.
   */
  readonly rank: number;
  /**
   * Granted on upgrade, once, to each peer allowed this other word in a settings file written before
   * this word existed (its `knownPermissions` lacks it): a word that adds nothing the other did not.
   */
  readonly grantedWith?: string;
}

/** The words a node knows, as its domains brought them. */
export interface PermissionVocabulary {
  /** Every word, in rank order. */
  readonly words: readonly Permission[];
  /** What `approve` and `peers add` grant when --allow is not given, in rank order. */
  readonly byDefault: readonly Permission[];
  readonly about: ReadonlyMap<Permission, PermissionWord>;
  /** True for a word of this vocabulary. */
  knows(word: string): word is Permission;
  /** `list`'s known words, each once, in rank order. */
  ordered(list: readonly string[]): Permission[];
}

/** What a permission word may look like: how a word this release does not know is still kept. */
export const PERMISSION_WORD = /^[a-z][a-z0-9-]{0,31}$/;

/** What brings permission words: a contract piece (api/contract.ts ContractPiece). */
export interface WordsPiece {
  readonly permissions?: { readonly [word: string]: PermissionWord } | undefined;
}

/**
 * A vocabulary of the node's words and those the domains bring (the same piece given twice counts once).
 * @throws Error when two pieces bring the same word or a word is not PERMISSION_WORD
 */
export function permissionVocabulary(pieces: readonly WordsPiece[]): PermissionVocabulary {
  const about = new Map<Permission, PermissionWord>();
  const all: readonly WordsPiece[] = [{ permissions: NODE_WORDS }, ...pieces];
  for (const piece of all) {
    for (const [word, what] of Object.entries(piece.permissions ?? {})) {
      if (!PERMISSION_WORD.test(word)) throw new Error(`'${word}' cannot be a permission word`);
      const had = about.get(word as Permission);
      if (had !== undefined && had !== what) throw new Error(`two domains bring the permission '${word}'`);
      about.set(word as Permission, what);
    }
  }
  const words = [...about.keys()].sort((a, b) => about.get(a)!.rank - about.get(b)!.rank);
  const knows = (word: string): word is Permission => about.has(word as Permission);
  return {
    words,
    byDefault: words.filter((w) => about.get(w)!.byDefault),
    about,
    knows,
    ordered: (list) => words.filter((w) => list.includes(w)),
  };
}
