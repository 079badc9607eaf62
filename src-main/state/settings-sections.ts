/**
 * The settings sections a domain owns (ADR 0091, ADR 0093): a part of config.json only one domain
 * writes, whose schema its contract piece brings (`ContractPiece.settings`). Its description names the section
 * (links/domain.ts `settings`), and the composition root hands that domain alone a slice of it: its
 * reads, one write that saves the section through the node-state store (one write of the file, its
 * changes announced as every other), and the rules the store applies in the same write when a peer
 * is renamed. The state knows sections by key only; what a section's entries mean is its domain's.
 * Which sections a settings file reads is its composition's (api/vocabulary.ts, ADR 0118), handed to
 * the file when it is opened.
 */
import type { DomainSettings, SettingsOption, SettingsSection } from '../api/contract-piece.js';
import type { Disposer } from '../core/emitter.js';
import type { Settings } from './settings.js';

/** Those of `sections` that are lists of entries (the others are single values: SettingsOption). */
export function listSections(
  sections: ReadonlyMap<string, SettingsSection | SettingsOption>,
): [string, SettingsSection][] {
  return [...sections].filter((e): e is [string, SettingsSection] => 'entry' in e[1]);
}

/** The keys of the domains' sections that are lists of entries. */
export type ListSectionKey = {
  [K in keyof DomainSettings]: DomainSettings[K] extends { entry: unknown } ? K : never;
}[keyof DomainSettings];

/** A section a domain owns: a key of the settings some domain's contract file claims (api/contract-piece.ts `DomainSettings`). */
export type SectionKey = keyof DomainSettings & keyof Settings;

/** A peer given another local name (`peers rename`, `peers add --rename`). */
export interface PeerRenamed {
  readonly fingerprint: string;
  readonly before: string;
  readonly after: string;
}

/** What the owning domain may do with its section, and nothing else of the settings. */
export interface SettingsSlice<K extends SectionKey> {
  /** The section as saved now, read-only all the way down. */
  get(): Settings[K];
  /**
   * Saves `change`'s result as the section: one write of config.json, its changes announced.
   * @throws and changes nothing when it cannot be saved (the schema refuses it, the disk is full)
   */
  update(change: (section: Settings[K]) => Settings[K]): void;
  /**
   * A rule the store applies to the section in the same write as a peer's rename (a forward bound
   * to the peer follows its new name), so no reader ever sees the two apart.
   */
  onPeerRenamed(rule: (section: Settings[K], renamed: PeerRenamed) => Settings[K]): Disposer;
}
