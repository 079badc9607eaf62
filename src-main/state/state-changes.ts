/**
 * The typed changes the node-state store announces (node-state.ts): one per entry that was added,
 * changed or removed by a write, found by comparing the settings (or the pending requests) before and
 * after it. Parts subscribe to these instead of keeping copies of records (docs/architecture.md
 * §State and its owners).
 */
import type { Vocabulary } from '../api/vocabulary.js';
import { isDeepStrictEqual } from 'node:util';
import type { DomainSettings } from '../api/contract-piece.js';
import type { DeepReadonly } from '../core/deep-readonly.js';
import { relayUrlKey } from '../core/relay-url.js';
import { listSections, type ListSectionKey } from './settings-sections.js';
import type { PeerRecord, PendingRecord, RelaySetting, Settings } from './settings.js';

export type BlockedRecord = Settings['blocked'][number];

/** The node's lists of entries. */
const NODE_LISTS = ['peers', 'pending', 'blocked', 'relays'] as const;

/** The settings that are one value each (not lists of entries: the node's, or a domain's section). */
export type OptionKey = Exclude<keyof Settings, (typeof NODE_LISTS)[number] | ListSectionKey>;

/** What one entry was before a write and is after it (undefined: it did not exist then). */
interface Change<K extends string, T> {
  kind: K;
  /**
   * The entry's key: a fingerprint (peer, blocked), an id (pending), a relay's URL in the form all its
   * spellings share (core/relay-url.ts relayUrlKey), a section's entry's key (its piece says which).
   */
  id: string;
  before: T | undefined;
  after: T | undefined;
}

export type StateChange =
  | Change<'peer', PeerRecord>
  | Change<'pending', PendingRecord>
  | Change<'blocked', BlockedRecord>
  | Change<'relay', RelaySetting>
  | SectionChange
  | (Change<'option', unknown> & { id: OptionKey });

/** A change of an entry of a domain's section, of the kind its piece announces them as (ADR 0093). */
type SectionChange = {
  [K in keyof DomainSettings]: DomainSettings[K] extends { entry: infer E; change: infer C extends string }
    ? Change<C, DeepReadonly<E>>
    : never;
}[keyof DomainSettings];

export type StateChangeKind = StateChange['kind'];

function diffList<K extends string, T>(
  kind: K,
  before: readonly T[],
  after: readonly T[],
  key: (x: T) => string,
): Change<K, T>[] {
  const old = new Map(before.map((x) => [key(x), x]));
  const now = new Map(after.map((x) => [key(x), x]));
  const changes: Change<K, T>[] = [];
  for (const [id, b] of old) {
    const a = now.get(id);
    if (!isDeepStrictEqual(a, b)) changes.push({ kind, id, before: b, after: a });
  }
  for (const [id, a] of now) if (!old.has(id)) changes.push({ kind, id, before: undefined, after: a });
  return changes;
}

/**
 * Every entry and option that differs between `before` and `after`, removals and edits first. An older
 * file's `pending` is no list of this file's any more (it moves to pending.json at start): no change.
 * The domains' lists are those of `vocabulary`, the state's composition's.
 */
export function diffSettings(
  before: Settings,
  after: Settings,
  vocabulary: Pick<Vocabulary, 'sections'>,
): StateChange[] {
  const sections = listSections(vocabulary.sections);
  const lists = new Set<string>([...NODE_LISTS, ...sections.map(([key]) => key)]);
  const options: StateChange[] = [];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof Settings>;
  for (const id of keys) {
    if (lists.has(id) || isDeepStrictEqual(before[id], after[id])) continue;
    options.push({ kind: 'option', id: id as OptionKey, before: before[id], after: after[id] });
  }
  const entries = (s: Settings, key: string) =>
    (s as unknown as Record<string, readonly Record<string, unknown>[] | undefined>)[key] ?? [];
  return [
    ...diffList('peer', before.peers, after.peers, (p) => p.fingerprint),
    ...diffList('blocked', before.blocked, after.blocked, (b) => b.fingerprint),
    // One relay under another spelling (`wss://h:7474/`) is that relay changed, not one gone and one new.
    ...diffList('relay', before.relays, after.relays, (r) => relayUrlKey(r.url)),
    ...sections.flatMap(
      ([key, section]) =>
        diffList(section.change, entries(before, key), entries(after, key), (e) =>
          String(e[section.key]),
        ) as StateChange[],
    ),
    ...options,
  ];
}

/** Every pending request added, refreshed or gone between two lists of them (pending-file.ts keeps them). */
export function diffPending(
  before: readonly PendingRecord[],
  after: readonly PendingRecord[],
): StateChange[] {
  return diffList('pending', before, after, (p) => p.id);
}
