/**
 * Keys inside config.json's entries that this release does not know: a newer release's field on a
 * peer or a forward, or a note written by hand. The schemas drop them when the file is read; they are
 * put back on the same entry (found by its key: a peer's fingerprint, a forward's name…) whenever the
 * file is saved, so running an older agent on a home does not strip what a newer one wrote. An entry
 * that is removed takes its extras with it.
 */

/** The settings lists whose entries keep extras, with the field that identifies an entry. */
const LISTS = {
  peers: 'fingerprint',
  pending: 'id',
  blocked: 'fingerprint',
  forwards: 'name',
  relays: 'url',
} as const;

/** The field that names an entry for people, where it is not the one that identifies it. */
const LABELS: Partial<Record<ListName, string>> = { peers: 'name', pending: 'name' };

type ListName = keyof typeof LISTS;

/** Per list, per entry key, the unknown fields; and the unknown fields of `ui`. */
export interface SettingsExtras {
  lists: Partial<Record<ListName, Map<string, Record<string, unknown>>>>;
  ui?: Record<string, unknown>;
  /** Where they are, for people: `peers[office].note`, `ui.theme`. */
  where: string[];
}

/** The known field names of each entry kind (the schemas' shapes). */
export type KnownFields = Record<ListName | 'ui', ReadonlySet<string>>;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function unknownOf(entry: Record<string, unknown>, known: ReadonlySet<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).filter(([k]) => !known.has(k)));
}

/** The extras of the file as read (`raw`, already validated by the schema). */
export function extrasOf(raw: unknown, known: KnownFields): SettingsExtras {
  const extras: SettingsExtras = { lists: {}, where: [] };
  if (!isRecord(raw)) return extras;
  for (const [list, keyField] of Object.entries(LISTS) as [ListName, string][]) {
    const entries = raw[list];
    if (!Array.isArray(entries)) continue;
    const byKey = new Map<string, Record<string, unknown>>();
    for (const entry of entries) {
      if (!isRecord(entry) || typeof entry[keyField] !== 'string') continue;
      const extra = unknownOf(entry, known[list]);
      if (Object.keys(extra).length === 0) continue;
      byKey.set(entry[keyField], extra);
      const label = LABELS[list] !== undefined ? entry[LABELS[list]] : undefined;
      const name = typeof label === 'string' ? label : entry[keyField];
      for (const field of Object.keys(extra)) extras.where.push(`${list}[${name}].${field}`);
    }
    if (byKey.size > 0) extras.lists[list] = byKey;
  }
  if (isRecord(raw.ui)) {
    const extra = unknownOf(raw.ui, known.ui);
    if (Object.keys(extra).length > 0) extras.ui = extra;
    for (const field of Object.keys(extra)) extras.where.push(`ui.${field}`);
  }
  return extras;
}

/** `settings` as saved: each entry with its extras back (the known fields win over an extra's). */
export function withExtras<S extends object>(settings: S, extras: SettingsExtras): S {
  const out = { ...settings } as Record<string, unknown>;
  for (const [list, byKey] of Object.entries(extras.lists) as [ListName, Map<string, object>][]) {
    const entries = out[list];
    if (!Array.isArray(entries)) continue;
    const keyField = LISTS[list];
    out[list] = entries.map((entry: Record<string, unknown>) => {
      const extra = byKey.get(entry[keyField] as string);
      return extra ? { ...extra, ...entry } : entry;
    });
  }
  if (extras.ui && isRecord(out.ui)) out.ui = { ...extras.ui, ...out.ui };
  return out as S;
}

/**
 * The extras of the entries still in `settings`: an entry that was removed takes its extras with it,
 * so one added later under the same key (a peer paired again, a forward of the same name) starts clean.
 */
export function pruneExtras(extras: SettingsExtras, settings: object): SettingsExtras {
  const lists: SettingsExtras['lists'] = {};
  const current = settings as Record<string, unknown>;
  for (const [list, byKey] of Object.entries(extras.lists) as [
    ListName,
    Map<string, Record<string, unknown>>,
  ][]) {
    const entries = current[list];
    if (!Array.isArray(entries)) continue;
    const keyField = LISTS[list];
    const present = new Set(entries.map((e: Record<string, unknown>) => e[keyField]));
    const kept = new Map([...byKey].filter(([key]) => present.has(key)));
    if (kept.size > 0) lists[list] = kept;
  }
  return { ...extras, lists };
}
