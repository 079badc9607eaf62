/**
 * What parses the node's settings and permission sets (ADR 0118): the permission words and the
 * settings sections of one composition, built from the contract pieces of the domains it runs and
 * handed down to what parses them (the settings file, the grants message, approvals, the API's
 * checks). Nothing registers itself in the process: two compositions in one process (an agent and a
 * test's toy) each read with their own, and the order the domains are listed in changes nothing.
 */
import { permissionVocabulary, type PermissionVocabulary } from '../core/permissions.js';
import type { ContractPiece, SettingsOption, SettingsSection } from './contract-piece.js';

export interface Vocabulary {
  /** The node's words and those the domains bring. */
  readonly permissions: PermissionVocabulary;
  /** The sections of config.json the domains bring, by key (the node's own fields are not here). */
  readonly sections: ReadonlyMap<string, SettingsSection | SettingsOption>;
}

/**
 * The vocabulary of a composition whose domains bring `pieces` (the same piece given twice counts once).
 * @throws Error when two pieces bring the same permission word or settings key
 */
export function vocabularyOf(pieces: readonly Pick<ContractPiece, 'permissions' | 'settings'>[]): Vocabulary {
  const sections = new Map<string, SettingsSection | SettingsOption>();
  for (const piece of pieces) {
    for (const [key, section] of Object.entries(piece.settings ?? {})) {
      const had = sections.get(key);
      if (had !== undefined && had !== section) throw new Error(`two domains bring the settings' ${key}`);
      sections.set(key, section);
    }
  }
  // In key order: what the schema reads does not hang on the order the domains are listed in.
  const sorted = new Map([...sections].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { permissions: permissionVocabulary(pieces), sections: sorted };
}

/**
 * The node's own vocabulary, no domain's: what a process that runs no agent reads config.json with
 * (the CLI's `id`, `log`): a domain's section is kept as a key it does not know, its words as words.
 */
export const NODE_VOCABULARY: Vocabulary = vocabularyOf([]);
