/**
 * Keys inside config.json's entries that this release does not know: a newer release's field on a
 * peer or a forward, or a note written by hand. The schemas drop them when the file is read; they are
 * put back on the same entry (found by its key: a peer's fingerprint, a section entry's key…) whenever
 * the file is saved, so running an older agent on a home does not strip what a newer one wrote. An
 * entry that is removed takes its extras with it. Which lists keep them is settings.ts knownFields:
 * the node's, and each section a domain brings (ADR 0093).
 */

/** One list of the file whose entries keep extras. */
export interface KnownList {
  /** The field that identifies an entry. */
  readonly key: string;
  /** The field that names an entry for people, where it is not `key`. */
  readonly label?: string;
  /** The fields this release knows of an entry. */
  readonly fields: ReadonlySet<string>;
}

/** The lists whose entries keep extras, by the list's key in the file; and the fields of `ui`. */
export interface KnownFields {
  readonly lists: { readonly [list: string]: KnownList };
  readonly ui: ReadonlySet<string>;
}

/** Per list, per entry key, the unknown fields (with the field the entries are found by); those of `ui`. */
export interface SettingsExtras {
  lists: { [list: string]: { key: string; byKey: Map<string, Record<string, unknown>> } };
  ui?: Record<string, unknown>;
  /** Where they are, for people: `peers[office].note`, `ui.theme`. */
  where: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function unknownOf(entry: Record<string, unknown>, known: ReadonlySet<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).filter(([k]) => !known.has(k)));
}

/** The extras of the file as read (`raw`, already validated by the schema). */
export function extrasOf(raw: unknown, known: KnownFields): SettingsExtras {
  const extras: SettingsExtras = { lists: {}, where: [] };
  if (!isRecord(raw)) return extras;
  for (const [list, { key: keyField, label: labelField, fields }] of Object.entries(known.lists)) {
    const entries = raw[list];
    if (!Array.isArray(entries)) continue;
    const byKey = new Map<string, Record<string, unknown>>();
    for (const entry of entries) {
      if (!isRecord(entry) || typeof entry[keyField] !== 'string') continue;
      const extra = unknownOf(entry, fields);
      if (Object.keys(extra).length === 0) continue;
      byKey.set(entry[keyField], extra);
      const label = labelField !== undefined ? entry[labelField] : undefined;
      const name = typeof label === 'string' ? label : entry[keyField];
      for (const field of Object.keys(extra)) extras.where.push(`${list}[${name}].${field}`);
    }
    if (byKey.size > 0) extras.lists[list] = { key: keyField, byKey };
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
  for (const [list, { key: keyField, byKey }] of Object.entries(extras.lists)) {
    const entries = out[list];
    if (!Array.isArray(entries)) continue;
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
  for (const [list, { key: keyField, byKey }] of Object.entries(extras.lists)) {
    const entries = current[list];
    if (!Array.isArray(entries)) continue;
    const present = new Set(entries.map((e: Record<string, unknown>) => e[keyField]));
    const kept = new Map([...byKey].filter(([key]) => present.has(key)));
    if (kept.size > 0) lists[list] = { key: keyField, byKey: kept };
  }
  return { ...extras, lists };
}
